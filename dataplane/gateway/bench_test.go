package gateway

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
)

var (
	benchChat = []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":42,"total_tokens":61}}`)
	benchSSE  = func() []byte {
		var b []byte
		b = append(b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"...)
		for i := 0; i < 20; i++ {
			b = append(b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},\"finish_reason\":null}],\"usage\":null}\n\n"...)
		}
		b = append(b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"...)
		b = append(b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":20,\"total_tokens\":21}}\n\n"...)
		return append(b, "data: [DONE]\n\n"...)
	}()
)

// benchEnv runs the data plane in front of a fasthttp upstream on loopback.
func benchEnv(b *testing.B) (gatewayURL string) {
	b.Helper()
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	upSrv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		if len(rc.PostBody()) > 0 && rc.PostArgs() != nil && string(rc.Request.Header.Peek("Accept")) == "text/event-stream" {
			rc.SetContentType("text/event-stream")
			rc.SetBodyStreamWriter(func(w *bufio.Writer) {
				_, _ = w.Write(benchSSE)
				_ = w.Flush()
			})
			return
		}
		rc.SetContentType("application/json")
		rc.SetBody(benchChat)
	}}
	go func() { _ = upSrv.Serve(up) }()
	b.Cleanup(func() { _ = upSrv.Shutdown() })
	reg := builtin.Registry()
	idx, _ := state.New(reg.Adapter)
	_, err = idx.Replace([]*state.Endpoint{{Name: "c", Task: providers.TaskChat, Targets: []state.Target{{Model: "m", Credential: "k", Weight: 1}}}},
		[]*providers.Credential{{Name: "k", Provider: "openai", BaseURL: "http://" + up.Addr().String() + "/v1", Secret: "sk"}})
	if err != nil {
		b.Fatal(err)
	}
	srv := New(Options{Index: idx, Metrics: metrics.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown(b.Context()) })
	return "http://" + ln.Addr().String() + chatPath
}

func benchRequests(b *testing.B, body string) {
	url := benchEnv(b)
	client := &fasthttp.Client{MaxConnsPerHost: 64}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		for pb.Next() {
			req.SetRequestURI(url)
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/json")
			req.SetBodyString(body)
			if err := client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
				b.Errorf("request failed: %v %d %s", err, resp.StatusCode(), resp.Body())
				return
			}
		}
	})
}

// BenchmarkChatSameDialect measures a whole non-streaming request through the
// data plane (client and upstream included, all on loopback).
func BenchmarkChatSameDialect(b *testing.B) {
	benchRequests(b, `{"model":"c","messages":[{"role":"user","content":"Write one paragraph about foxes."}],"max_tokens":200}`)
}

// BenchmarkStream22Events measures a 22-event stream through the data plane.
func BenchmarkStream22Events(b *testing.B) {
	benchRequests(b, `{"model":"c","stream":true,"messages":[{"role":"user","content":"Write one paragraph about foxes."}]}`)
}

func BenchmarkLookupAndPick(b *testing.B) {
	m := make([]state.Target, 3)
	for i := range m {
		m[i] = state.Target{Model: "m", Credential: "k", Weight: uint32(i + 1)}
	}
	reg := builtin.Registry()
	idx, _ := state.New(reg.Adapter)
	_, _ = idx.Replace([]*state.Endpoint{{Name: "c", Task: providers.TaskChat, Targets: m}}, []*providers.Credential{{Name: "k", Provider: "mock"}})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if idx.Snapshot().Route("c").Pick() == nil {
				b.Fatal("no target")
			}
		}
	})
}
