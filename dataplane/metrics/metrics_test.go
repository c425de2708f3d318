package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	m := New()
	m.Request("chat", "openai", 200, 0.1)
	m.Request("chat", "openai", 200, 0.2)
	m.Request("chat", "openai", 429, 0.01)
	m.Attempt("chat", "openai", "ok")
	m.Attempt("chat", "openai", "retryable_error")
	m.Tokens("chat", "openai", 10, 5)
	m.Swapped(3)
	want := `
# HELP gateway_requests_total Client requests by endpoint, provider of the final attempt and HTTP status.
# TYPE gateway_requests_total counter
gateway_requests_total{endpoint="chat",provider="openai",status="200"} 2
gateway_requests_total{endpoint="chat",provider="openai",status="429"} 1
# HELP gateway_tokens_total Tokens by endpoint, provider and direction (in = prompt, out = completion).
# TYPE gateway_tokens_total counter
gateway_tokens_total{direction="in",endpoint="chat",provider="openai"} 10
gateway_tokens_total{direction="out",endpoint="chat",provider="openai"} 5
# HELP gateway_config_generation Generation of the configuration being served.
# TYPE gateway_config_generation gauge
gateway_config_generation 3
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"gateway_requests_total", "gateway_tokens_total", "gateway_config_generation"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.attempts); n != 3 {
		t.Fatalf("attempt series = %d, want 3 (ok, error, retryable_error)", n)
	}
}
