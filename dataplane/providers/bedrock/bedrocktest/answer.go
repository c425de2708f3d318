package bedrocktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

type toolCall struct {
	id, name, input string
}

// answer is what the fake model says, before it is put on the wire.
type answer struct {
	text, reasoning string
	calls           []toolCall
	stopReason      string
	usage           map[string]int64
}

// stopReasons are the reasons a "stop-<reason>" model id can pick.
var stopReasons = []string{"end_turn", "stop_sequence", "max_tokens", "tool_use", "guardrail_intervened",
	"content_filtered", "malformed_model_output", "malformed_tool_use", "model_context_window_exceeded"}

func words(s string) int64 { return int64(len(strings.Fields(s))) }

func (s *Server) answer(model string, req *cRequest) answer {
	last := req.Messages[len(req.Messages)-1]
	var text, results []string
	for _, b := range last.Content {
		switch {
		case b.Text != nil:
			text = append(text, *b.Text)
		case b.ToolResult != nil:
			for _, c := range b.ToolResult.Content {
				if c.Text != nil {
					results = append(results, *c.Text)
				} else if c.JSON != nil {
					results = append(results, string(c.JSON))
				}
			}
		}
	}
	prompt := strings.Join(text, " ")
	var a answer
	if last.Role == "user" && len(results) == 0 && req.ToolConfig != nil {
		a.calls = s.toolCalls(model, req.ToolConfig, prompt)
	}
	if len(a.calls) > 0 {
		a.stopReason = "tool_use"
	} else {
		a.stopReason = "end_turn"
		if len(results) > 0 {
			a.text = "fake: tool said " + strings.Join(results, "; ")
		} else {
			a.text = "fake: " + prompt
		}
	}
	for _, r := range stopReasons {
		if strings.Contains(model, "stop-"+r) {
			a.stopReason = r
		}
	}
	if strings.Contains(model, "reasoning") {
		a.reasoning = "The user wants an echo."
	}
	var in int64
	for _, sys := range req.System {
		if sys.Text != nil {
			in += words(*sys.Text)
		}
	}
	for _, m := range req.Messages {
		in += 3
		for _, b := range m.Content {
			if b.Text != nil {
				in += words(*b.Text)
			}
		}
	}
	out := words(a.text) + words(a.reasoning)
	for _, c := range a.calls {
		out += 5 + words(c.input)
	}
	a.usage = map[string]int64{"inputTokens": in, "outputTokens": out, "totalTokens": in + out}
	if strings.Contains(model, "cache") {
		a.usage["cacheReadInputTokens"] = 100
		a.usage["cacheWriteInputTokens"] = 20
		a.usage["totalTokens"] += 120
	}
	return a
}

// toolCalls decides which tools the fake model calls: the forced one, the
// first (for "tool-call" models or toolChoice any), or the first two.
func (s *Server) toolCalls(model string, tc *cToolConfig, prompt string) []toolCall {
	type spec struct {
		name   string
		schema json.RawMessage
	}
	var specs []spec
	for _, t := range tc.Tools {
		if t.ToolSpec != nil {
			specs = append(specs, spec{t.ToolSpec.Name, t.ToolSpec.InputSchema.JSON})
		}
	}
	if len(specs) == 0 {
		return nil
	}
	var pick []spec
	switch c := tc.ToolChoice; {
	case c != nil && c.Tool != nil:
		for _, sp := range specs {
			if sp.name == c.Tool.Name {
				pick = []spec{sp}
			}
		}
	case strings.Contains(model, "parallel-tools"):
		pick = []spec{specs[0], specs[min(1, len(specs)-1)]}
	case strings.Contains(model, "tool-call") || (c != nil && c.Any != nil):
		pick = specs[:1]
	}
	calls := make([]toolCall, len(pick))
	for i, sp := range pick {
		calls[i] = toolCall{id: fmt.Sprintf("tooluse_fake%04d", s.seq.Add(1)), name: sp.name, input: toolInput(sp.schema, prompt)}
	}
	return calls
}

// toolInput fills every declared property with the prompt, or answers
// {"answer": prompt} for a schema without properties.
func toolInput(schema json.RawMessage, prompt string) string {
	var sch struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(schema, &sch)
	names := make([]string, 0, len(sch.Properties))
	for k := range sch.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		names = []string{"answer"}
	}
	in := map[string]string{}
	for _, n := range names {
		in[n] = prompt
	}
	b, _ := json.Marshal(in)
	return string(b)
}

func (s *Server) converse(w http.ResponseWriter, a answer) {
	var content []any
	if a.reasoning != "" {
		content = append(content, map[string]any{"reasoningContent": map[string]any{
			"reasoningText": map[string]string{"text": a.reasoning, "signature": "fake-signature"}}})
	}
	if a.text != "" {
		content = append(content, map[string]string{"text": a.text})
	}
	for _, c := range a.calls {
		content = append(content, map[string]any{"toolUse": map[string]any{
			"toolUseId": c.id, "name": c.name, "input": json.RawMessage(c.input)}})
	}
	b, _ := json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": a.stopReason, "usage": a.usage, "metrics": map[string]int{"latencyMs": 42},
	})
	w.Header()["x-amzn-RequestId"] = []string{s.requestID()}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
