package bedrocktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// EncodeEvent writes one ConverseStream event frame (":message-type" event).
func EncodeEvent(w io.Writer, eventType string, payload []byte) error {
	var h eventstream.Headers
	h.Set(":event-type", eventstream.StringValue(eventType))
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue("event"))
	return eventstream.NewEncoder().Encode(w, eventstream.Message{Headers: h, Payload: payload})
}

// EncodeException writes one exception frame (":message-type" exception),
// e.g. exceptionType "throttlingException".
func EncodeException(w io.Writer, exceptionType string, payload []byte) error {
	var h eventstream.Headers
	h.Set(":exception-type", eventstream.StringValue(exceptionType))
	h.Set(":content-type", eventstream.StringValue("application/json"))
	h.Set(":message-type", eventstream.StringValue("exception"))
	return eventstream.NewEncoder().Encode(w, eventstream.Message{Headers: h, Payload: payload})
}

// padding mimics the random-length "p" member Bedrock adds to every event
// so that payload sizes leak nothing.
const padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"

// fragments splits s into at least three pieces when it is long enough.
func fragments(s string) []string {
	if len(s) < 3 {
		return []string{s}
	}
	n := len(s) / 3
	return []string{s[:n], s[n : 2*n], s[2*n:]}
}

type streamWriter struct {
	done <-chan struct{}
	w    http.ResponseWriter
	fl   http.Flusher
	n    int
	last []byte
}

func (sw *streamWriter) event(typ string, payload map[string]any) {
	sw.n++
	payload["p"] = padding[:sw.n%len(padding)]
	b, _ := json.Marshal(payload)
	var buf bytes.Buffer
	_ = EncodeEvent(&buf, typ, b)
	sw.last = buf.Bytes()
	_, _ = sw.w.Write(sw.last)
	sw.fl.Flush()
}

func (sw *streamWriter) exception(typ string, payload map[string]any) {
	b, _ := json.Marshal(payload)
	_ = EncodeException(sw.w, typ, b)
	sw.fl.Flush()
}

func (s *Server) converseStream(w http.ResponseWriter, r *http.Request, model string, a answer) {
	w.Header()["x-amzn-RequestId"] = []string{s.requestID()}
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	sw := &streamWriter{done: r.Context().Done(), w: w, fl: w.(http.Flusher)}
	if strings.Contains(model, "throttle-stream") {
		sw.exception("throttlingException", map[string]any{"message": "Too many requests, please wait before trying again."})
		return
	}
	sw.event("messageStart", map[string]any{"role": "assistant"})
	block := 0
	if a.reasoning != "" {
		sw.event("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]string{"text": a.reasoning}}})
		sw.event("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"reasoningContent": map[string]string{"signature": "fake-signature"}}})
		sw.event("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	if a.text != "" {
		for i, word := range strings.SplitAfter(a.text, " ") {
			sw.event("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]string{"text": word}})
			if i == 0 && s.broken(sw, model) {
				return
			}
		}
		sw.event("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	for _, c := range a.calls {
		sw.event("contentBlockStart", map[string]any{"contentBlockIndex": block,
			"start": map[string]any{"toolUse": map[string]string{"toolUseId": c.id, "name": c.name}}})
		for _, f := range fragments(c.input) {
			sw.event("contentBlockDelta", map[string]any{"contentBlockIndex": block, "delta": map[string]any{"toolUse": map[string]string{"input": f}}})
		}
		sw.event("contentBlockStop", map[string]any{"contentBlockIndex": block})
		block++
	}
	sw.event("messageStop", map[string]any{"stopReason": a.stopReason})
	sw.event("metadata", map[string]any{"usage": a.usage, "metrics": map[string]int{"latencyMs": 42}})
}

// broken plays the failing stream behaviours after the first text event and
// reports whether the stream must end there.
func (s *Server) broken(sw *streamWriter, model string) bool {
	switch {
	case strings.Contains(model, "stall-stream"):
		select {
		case <-sw.done:
		case <-time.After(10 * time.Second):
		}
		return true
	case strings.Contains(model, "break-stream"):
		return true
	case strings.Contains(model, "torn-stream"):
		_, _ = sw.w.Write(sw.last[:len(sw.last)/2])
		sw.fl.Flush()
		return true
	case strings.Contains(model, "error-stream"):
		sw.exception("modelStreamErrorException", map[string]any{"message": "The model failed while streaming.",
			"originalStatusCode": 500, "originalMessage": "internal model error"})
		return true
	}
	return false
}
