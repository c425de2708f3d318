package anthropictest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// eventWriter writes named SSE events the way Anthropic frames them:
// "event: <type>\ndata: <json with the same type>\n\n".
type eventWriter struct {
	w  http.ResponseWriter
	fl http.Flusher
}

func (e eventWriter) send(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", v["type"], b)
	e.fl.Flush()
}

// writeStream streams m as the Messages API does, honouring the broken-stream
// behaviours of the model name.
func writeStream(w http.ResponseWriter, r *http.Request, req *Request, m *Response) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	e := eventWriter{w: w, fl: w.(http.Flusher)}
	start := *m
	start.Content = []map[string]any{}
	start.StopReason = ""
	start.StopSequence = nil
	start.Usage.OutputTokens = 1
	startJSON, _ := json.Marshal(start)
	var startMsg map[string]any
	_ = json.Unmarshal(startJSON, &startMsg)
	startMsg["stop_reason"] = nil
	e.send(map[string]any{"type": "message_start", "message": startMsg})
	e.send(map[string]any{"type": "ping"})

	switch req.Model {
	case "stall-stream", "break-stream", "error-stream":
		e.send(map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		e.send(textDelta(0, "partial"))
		switch req.Model {
		case "stall-stream":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "error-stream":
			e.send(map[string]any{"type": "error", "error": map[string]string{"type": "overloaded_error", "message": "Overloaded"}})
		}
		return // break-stream: the connection ends without message_stop
	}

	for i, b := range m.Content {
		switch b["type"] {
		case "text":
			e.send(map[string]any{"type": "content_block_start", "index": i, "content_block": map[string]any{"type": "text", "text": ""}})
			for _, word := range strings.SplitAfter(b["text"].(string), " ") {
				if word != "" {
					e.send(textDelta(i, word))
				}
			}
		case "thinking":
			e.send(map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}})
			for _, word := range strings.SplitAfter(b["thinking"].(string), " ") {
				e.send(map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "thinking_delta", "thinking": word}})
			}
			e.send(map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "signature_delta", "signature": b["signature"]}})
		case "tool_use":
			e.send(map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "tool_use", "id": b["id"], "name": b["name"], "input": map[string]any{}}})
			in, _ := json.Marshal(b["input"])
			for _, frag := range splitN(string(in), 3) {
				e.send(map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "input_json_delta", "partial_json": frag}})
			}
		}
		e.send(map[string]any{"type": "content_block_stop", "index": i})
	}
	e.send(map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": m.StopReason, "stop_sequence": m.StopSequence},
		"usage": map[string]any{"output_tokens": m.Usage.OutputTokens}})
	e.send(map[string]any{"type": "message_stop"})
}

func textDelta(i int, text string) map[string]any {
	return map[string]any{"type": "content_block_delta", "index": i, "delta": map[string]any{"type": "text_delta", "text": text}}
}

// splitN cuts s into an empty first fragment (Anthropic starts tool input
// that way) followed by n pieces of about equal length.
func splitN(s string, n int) []string {
	out := []string{""}
	size := (len(s) + n - 1) / n
	if size == 0 {
		return append(out, s)
	}
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}
