package coheretest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

type call struct{ id, name, args string }

// answer is what the fake says.
type answer struct {
	text   string
	plan   string
	calls  []call
	finish string
}

func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func decide(req *ChatRequest) answer {
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		return answer{text: "tool said: " + text(last.Content), finish: "COMPLETE"}
	}
	user := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			user = text(m.Content)
		}
	}
	a := answer{text: "fake: " + user, finish: "COMPLETE"}
	switch req.Model {
	case "tools":
		return answer{plan: "I will check the weather.", calls: []call{{"get_weather_0fake", "get_weather", `{"city":"Paris"}`}}, finish: "TOOL_CALL"}
	case "parallel-tools":
		return answer{plan: "I will check both cities.", calls: []call{{"get_weather_1fake", "get_weather", `{"city":"Paris"}`},
			{"get_weather_2fake", "get_weather", `{"city":"Rome"}`}}, finish: "TOOL_CALL"}
	case "max-tokens":
		a.finish = "MAX_TOKENS"
	case "stop-sequence":
		a.finish = "STOP_SEQUENCE"
	case "toxic":
		a.finish = "ERROR_TOXIC"
	case "error-finish", "error-stream":
		a.finish = "ERROR"
	}
	return a
}

func usage(a answer) map[string]any {
	out := len(strings.Fields(a.text)) + 5*len(a.calls)
	return map[string]any{"billed_units": map[string]any{"input_tokens": 9, "output_tokens": out},
		"tokens": map[string]any{"input_tokens": 509, "output_tokens": out + 2}}
}

func (s *Server) chat(w http.ResponseWriter, req *ChatRequest) {
	a := decide(req)
	if req.Stream {
		stream(w, req, a)
		return
	}
	msg := map[string]any{"role": "assistant"}
	if len(a.calls) > 0 {
		msg["tool_plan"] = a.plan
		calls := make([]map[string]any, len(a.calls))
		for i, c := range a.calls {
			calls[i] = map[string]any{"id": c.id, "type": "function", "function": map[string]any{"name": c.name, "arguments": c.args}}
		}
		msg["tool_calls"] = calls
	} else {
		msg["content"] = []any{map[string]any{"type": "text", "text": a.text}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001", "finish_reason": a.finish,
		"message": msg, "usage": usage(a)})
}

// stream writes Cohere's named events: message-start, then content or a tool
// plan and tool calls (arguments in three fragments), then message-end.
func stream(w http.ResponseWriter, req *ChatRequest, a answer) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	send := func(v map[string]any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", v["type"], b)
		fl.Flush()
	}
	send(map[string]any{"id": "c0ffee00-0000-4000-8000-000000000002", "type": "message-start",
		"delta": map[string]any{"message": map[string]any{"role": "assistant", "content": []any{}, "tool_plan": "", "tool_calls": []any{}, "citations": []any{}}}})
	if len(a.calls) > 0 {
		for _, word := range strings.SplitAfter(a.plan, " ") {
			send(map[string]any{"type": "tool-plan-delta", "delta": map[string]any{"message": map[string]any{"tool_plan": word}}})
		}
		for i, c := range a.calls {
			send(map[string]any{"type": "tool-call-start", "index": i, "delta": map[string]any{"message": map[string]any{
				"tool_calls": map[string]any{"id": c.id, "type": "function", "function": map[string]any{"name": c.name, "arguments": ""}}}}})
			third := len(c.args) / 3
			for _, frag := range []string{c.args[:third], c.args[third : 2*third], c.args[2*third:]} {
				send(map[string]any{"type": "tool-call-delta", "index": i, "delta": map[string]any{"message": map[string]any{
					"tool_calls": map[string]any{"function": map[string]any{"arguments": frag}}}}})
			}
			send(map[string]any{"type": "tool-call-end", "index": i})
		}
	} else {
		send(map[string]any{"type": "content-start", "index": 0, "delta": map[string]any{"message": map[string]any{"content": map[string]any{"type": "text", "text": ""}}}})
		words := strings.SplitAfter(a.text, " ")
		if req.Model == "break-stream" || req.Model == "error-stream" {
			words = words[:1]
		}
		for _, word := range words {
			send(map[string]any{"type": "content-delta", "index": 0, "delta": map[string]any{"message": map[string]any{"content": map[string]any{"text": word}}}})
		}
		if req.Model == "break-stream" {
			return
		}
		send(map[string]any{"type": "content-end", "index": 0})
	}
	delta := map[string]any{"finish_reason": a.finish, "usage": usage(a)}
	if a.finish == "ERROR" {
		delta["error"] = "internal server error, this has been reported to our developers"
	}
	send(map[string]any{"type": "message-end", "delta": delta})
}
