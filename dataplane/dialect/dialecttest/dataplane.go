package dialecttest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// UpstreamKey is the server-side key of the fake OpenAI upstream Start
// runs the data plane in front of.
const UpstreamKey = "sk-upstream-test"

// Start runs the data plane with the built-in providers, serving dialects,
// in front of a fake OpenAI upstream that calls tools (credential "up") and
// the mock provider (credential "mock"). Every dialect's SDK tests route
// through the same chat Endpoints:
//
//	gpt-chat       gpt-4o-mini, a plain answer
//	agent          openaitest.ToolsModel, tool calls
//	limited        a 429
//	broken-stream  a stream that fails midway
//
// and the Endpoints in extra.
func Start(t testing.TB, dialects gateway.Dialects, extra ...*state.Endpoint) (*gatewaytest.Env, *openaitest.Server) {
	t.Helper()
	up := openaitest.NewWithTools(UpstreamKey)
	t.Cleanup(up.Close)
	ep := gatewaytest.Endpoint
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Registry: builtin.Registry(),
		Credentials: []*providers.Credential{
			{Name: "up", Provider: "openai", BaseURL: up.BaseURL(), Secret: UpstreamKey},
			{Name: "mock", Provider: "mock"},
		},
		Endpoints: append([]*state.Endpoint{
			ep("gpt-chat", providers.TaskChat, "gpt-4o-mini", "up"),
			ep("agent", providers.TaskChat, openaitest.ToolsModel, "up"),
			ep("limited", providers.TaskChat, "fail-429", "up"),
			ep("broken-stream", providers.TaskChat, "error-stream", "up"),
		}, extra...),
		Dialects: dialects,
	})
	return gw, up
}

// CheckCredentials asserts that the headers of a request the upstream got
// carry serverKey as the bearer token, clientKey nowhere, and none of
// clientHeaders (the dialect's own key headers, such as x-api-key): a
// client's credential must never travel past the gateway.
func CheckCredentials(t testing.TB, h http.Header, serverKey, clientKey string, clientHeaders ...string) {
	t.Helper()
	if h == nil {
		t.Fatal("the upstream saw no request")
	}
	if got := h.Get("Authorization"); got != "Bearer "+serverKey {
		t.Errorf("upstream Authorization = %q, want the server-side key", got)
	}
	for k, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, clientKey) {
				t.Errorf("the client's key reached the upstream in %s", k)
			}
		}
	}
	for _, name := range clientHeaders {
		if h.Get(name) != "" {
			t.Errorf("%s reached the upstream", strings.ToLower(name))
		}
	}
}
