package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// panicky is an adapter with a bug: it panics on Send, or mid-stream.
type panicky struct{}

func (panicky) Send(_ context.Context, _ *providers.Credential, call *providers.Call) (*providers.Result, error) {
	if call.Stream {
		return &providers.Result{Stream: &panickyStream{}}, nil
	}
	panic("adapter bug")
}

type panickyStream struct{ n int }

func (p *panickyStream) Next() ([]byte, error) {
	p.n++
	if p.n > 1 {
		panic("stream bug")
	}
	return []byte(`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}`), nil
}

func (p *panickyStream) Close() error { return nil }

// A panic in one request is that request's 500 (or a cut stream), logged with
// its stack; the process goes on serving everything else.
func TestPanicIsContainedToItsRequest(t *testing.T) {
	reg := builtin.Registry()
	idx, err := state.New(func(p string) (providers.Adapter, bool) {
		if p == "panicky" {
			return panicky{}, true
		}
		return reg.Adapter(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	srv := New(Options{Index: idx, Metrics: metrics.New(), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	creds := []*providers.Credential{{Name: "bug", Provider: "panicky"}, {Name: "mock", Provider: "mock"}}
	if _, err := idx.Replace([]*state.Endpoint{chatEP("buggy", tgt("m", "bug")), chatEP("fine", tgt("echo", "mock"))}, creds); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: "http://" + ln.Addr().String(), index: idx}

	resp, body := e.post(chatPath, `{"model":"buggy","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", resp.StatusCode, body)
	}
	if eb := errBody(t, body); eb.Code == nil || *eb.Code != "internal_error" || strings.Contains(eb.Message, "adapter bug") {
		t.Errorf("error body %+v: want code internal_error and no panic detail", eb)
	}

	resp, err = http.Post(e.url+chatPath, "application/json", strings.NewReader(`{"model":"buggy","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	streamed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(streamed), `"content":"hi"`) || strings.Contains(string(streamed), "[DONE]") {
		t.Errorf("stream: want the first chunk and no [DONE], got %q", streamed)
	}

	for i := 0; i < 3; i++ {
		if resp, body := e.post(chatPath, `{"model":"fine","messages":[{"role":"user","content":"still here"}]}`); resp.StatusCode != 200 {
			t.Fatalf("after the panics: status %d: %s", resp.StatusCode, body)
		}
	}
	for _, want := range []string{"panic serving request", "adapter bug", "panic while streaming", "stream bug"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
