package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/valyala/fasthttp"
)

// Pre-rendered upstream answers, so the mock costs the same for the baseline
// and the gateway and as little as possible for both.
var (
	chatJSON  = []byte(`{"id":"chatcmpl-bench0000000000000000000000","object":"chat.completion","created":1700000000,"model":"bench-model","system_fingerprint":"fp_bench","choices":[{"index":0,"message":{"role":"assistant","content":"The quick brown fox jumps over the lazy dog. This sentence is here to make the answer a realistic size for a short chat completion, about the length of a typical one-paragraph reply from a model.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":42,"total_tokens":61,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default"}`)
	embedJSON = []byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,0.015797347,-0.0077780345,-0.0046922187,0.014438921,-0.008862098,0.0021230192,0.006812313,-0.0102383]}],"model":"bench-embed","usage":{"prompt_tokens":8,"total_tokens":8}}`)
	// 22 events: role chunk, 20 content chunks, finish chunk; then usage and [DONE].
	sseEvents    = buildSSE()
	anthropicMsg = []byte(`{"id":"msg_bench000000000000000000","type":"message","role":"assistant","model":"claude-bench","content":[{"type":"text","text":"The quick brown fox jumps over the lazy dog. This sentence is here to make the answer a realistic size for a short chat completion, about the length of a typical one-paragraph reply from a model."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"output_tokens":42,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`)
)

func buildSSE() [][]byte {
	head := `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","system_fingerprint":"fp_bench","choices":[{"index":0,"delta":`
	var out [][]byte
	add := func(delta, finish string) {
		out = append(out, []byte("data: "+head+delta+`,"logprobs":null,"finish_reason":`+finish+`}],"usage":null}`+"\n\n"))
	}
	add(`{"role":"assistant","content":""}`, "null")
	for i := 0; i < 20; i++ {
		add(fmt.Sprintf(`{"content":"word%02d "}`, i), "null")
	}
	add(`{}`, `"stop"`)
	out = append(out, []byte(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":20,"total_tokens":39}}`+"\n\n"))
	out = append(out, []byte("data: [DONE]\n\n"))
	return out
}

// upstream serves OpenAI chat (JSON and SSE), embeddings and Anthropic
// messages, one write and flush per SSE event.
func upstream(addr string) error {
	h := func(rc *fasthttp.RequestCtx) {
		path := string(rc.Path())
		switch {
		case strings.HasSuffix(path, "/embeddings"):
			rc.SetContentType("application/json")
			rc.SetBody(embedJSON)
		case strings.HasSuffix(path, "/v1/messages"):
			rc.SetContentType("application/json")
			rc.SetBody(anthropicMsg)
		case bytes.Contains(rc.PostBody(), []byte(`"stream":true`)):
			rc.SetContentType("text/event-stream")
			rc.SetBodyStreamWriter(func(w *bufioWriter) {
				for _, ev := range sseEvents {
					_, _ = w.Write(ev)
					if w.Flush() != nil {
						return
					}
				}
			})
		default:
			rc.SetContentType("application/json")
			rc.SetBody(chatJSON)
		}
	}
	s := &fasthttp.Server{Handler: h, Name: "bench-upstream", ReadBufferSize: 16 << 10}
	return s.ListenAndServe(addr)
}

// proxy is the baseline: the cheapest useful Go hop, a fasthttp reverse proxy
// that forwards the request as is and relays the response, streaming included.
func proxy(addr, target string) error {
	client := &fasthttp.HostClient{Addr: target, MaxConns: 4096, StreamResponseBody: true, ReadBufferSize: 16 << 10}
	h := func(rc *fasthttp.RequestCtx) {
		req := &rc.Request
		req.Header.Del("Connection")
		resp := fasthttp.AcquireResponse()
		if err := client.Do(req, resp); err != nil {
			fasthttp.ReleaseResponse(resp)
			rc.Error(err.Error(), fasthttp.StatusBadGateway)
			return
		}
		rc.Response.Header.SetContentTypeBytes(resp.Header.ContentType())
		rc.SetStatusCode(resp.StatusCode())
		if resp.Header.ContentLength() >= 0 {
			rc.SetBody(resp.Body())
			fasthttp.ReleaseResponse(resp)
			return
		}
		if s := resp.BodyStream(); s != nil {
			rc.SetBodyStreamWriter(func(w *bufioWriter) {
				defer fasthttp.ReleaseResponse(resp)
				buf := make([]byte, 16<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						_, _ = w.Write(buf[:n])
						if w.Flush() != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
			return
		}
		rc.SetBody(resp.Body())
		fasthttp.ReleaseResponse(resp)
	}
	s := &fasthttp.Server{Handler: h, Name: "bench-proxy", ReadBufferSize: 16 << 10}
	return s.ListenAndServe(addr)
}
