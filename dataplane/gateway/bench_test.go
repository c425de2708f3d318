package gateway

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

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
// The upstream writes the whole stream at once, or with perEvent one flush
// per event, as hack/bench's mock (and a real provider) does.
func benchEnv(b *testing.B) (gatewayURL string) { return benchEnvStream(b, false) }

func benchEnvStream(b *testing.B, perEvent bool) (gatewayURL string) {
	b.Helper()
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	upSrv := &fasthttp.Server{Handler: func(rc *fasthttp.RequestCtx) {
		if len(rc.PostBody()) > 0 && rc.PostArgs() != nil && string(rc.Request.Header.Peek("Accept")) == "text/event-stream" {
			rc.SetContentType("text/event-stream")
			rc.SetBodyStreamWriter(func(w *bufio.Writer) {
				if !perEvent {
					_, _ = w.Write(benchSSE)
					_ = w.Flush()
					return
				}
				for rest := benchSSE; len(rest) > 0; {
					i := bytes.Index(rest, []byte("\n\n")) + 2
					_, _ = w.Write(rest[:i])
					if w.Flush() != nil {
						return
					}
					rest = rest[i:]
				}
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

func benchRequests(b *testing.B, body string) { benchRequestsTo(b, benchEnv(b), body) }

func benchRequestsTo(b *testing.B, url, body string) {
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

// BenchmarkStream22EventsPerWrite is BenchmarkStream22Events with an upstream
// that flushes every event on its own.
func BenchmarkStream22EventsPerWrite(b *testing.B) {
	benchRequestsTo(b, benchEnvStream(b, true), `{"model":"c","stream":true,"messages":[{"role":"user","content":"Write one paragraph about foxes."}]}`)
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

// BenchmarkStream22EventsC256 runs the 22-event stream with 256 clients in
// flight (2 CPUs × 128) and reports the heap in use at the end, per stream in
// flight: what the relay path holds while streams are open.
func BenchmarkStream22EventsC256(b *testing.B) {
	url := benchEnvStream(b, true)
	client := &fasthttp.Client{MaxConnsPerHost: 1024}
	body := `{"model":"c","stream":true,"messages":[{"role":"user","content":"Write one paragraph about foxes."}]}`
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the heap in use while the load runs
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
					if f := os.Getenv("BENCH_HEAP_PROFILE"); f != "" && b.N > 1000 {
						if w, err := os.Create(f); err == nil {
							_ = pprof.WriteHeapProfile(w)
							_ = w.Close()
						}
					}
				}
			}
		}
	}()
	b.ReportAllocs()
	b.SetParallelism(128)
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
	b.StopTimer()
	close(stop)
	<-done
	if p := peak.Load(); p > before.HeapInuse {
		b.ReportMetric(float64(p-before.HeapInuse)/(1<<20), "peak-heap-MiB")
	}
}
