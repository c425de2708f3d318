package anthropic

import (
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// message is Anthropic's response message.
type message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []contentBlock `json:"content"`
	StopReason   string         `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        usage          `json:"usage"`
}

// contentBlock is one response block: text, thinking or tool_use.
type contentBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      *string         `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
}

type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
}

// usageOf converts unified usage. Anthropic's input_tokens excludes tokens
// read from or written to the prompt cache, which OpenAI's prompt_tokens
// includes.
func usageOf(u *unified.Usage) usage {
	if u == nil {
		return usage{}
	}
	out := usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if d := u.PromptTokensDetails; d != nil {
		out.CacheReadInputTokens = max(d.CachedTokens, 0)
		out.CacheCreationInputTokens = max(d.CacheWriteTokens, 0)
		out.InputTokens -= out.CacheReadInputTokens + out.CacheCreationInputTokens
	}
	out.InputTokens = max(out.InputTokens, 0)
	out.OutputTokens = max(out.OutputTokens, 0)
	return out
}

// stopReason maps an OpenAI finish_reason; "stop" with tool calls (some
// servers say so) is tool_use, and anything unknown ends the turn.
func stopReason(finish string, hasToolCalls bool) string {
	switch finish {
	case unified.FinishLength:
		return "max_tokens"
	case unified.FinishToolCalls, "function_call":
		return "tool_use"
	case unified.FinishContentFilter:
		return "refusal"
	}
	if hasToolCalls {
		return "tool_use"
	}
	return "end_turn"
}

// Response implements dialect.Ingress.
func (in *Ingress) Response(req *dialect.Request, body []byte) ([]byte, error) {
	st := stateOf(req)
	var r unified.ChatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the answer is not a chat completion: %w", err)
	}
	if st.CountTokens {
		var n int64
		if r.Usage != nil {
			n = max(r.Usage.PromptTokens, 0)
		}
		return append(jsonenc.AppendInt([]byte(`{"input_tokens":`), n), '}'), nil
	}
	ch, ok := r.FirstChoice()
	if !ok {
		return nil, errors.New("the answer has no choices")
	}
	m := ch.Message
	msg := message{ID: in.messageID(r.ID), Type: "message", Role: "assistant", Model: st.Model,
		Content: []contentBlock{}, Usage: usageOf(r.Usage)}
	if st.Thinking && m.ReasoningContent != "" {
		sig := ""
		msg.Content = append(msg.Content, contentBlock{Type: "thinking", Thinking: &m.ReasoningContent, Signature: &sig})
	}
	if m.Content != nil && *m.Content != "" {
		msg.Content = append(msg.Content, contentBlock{Type: "text", Text: m.Content})
	} else if m.Refusal != nil && *m.Refusal != "" {
		msg.Content = append(msg.Content, contentBlock{Type: "text", Text: m.Refusal})
	}
	for _, tc := range m.ToolCalls {
		id := tc.ID
		if id == "" {
			id = in.newID("toolu_")
		}
		name := tc.Function.Name
		msg.Content = append(msg.Content, contentBlock{Type: "tool_use", ID: id, Name: &name, Input: dialect.ToolArgs(tc.Function.Arguments)})
	}
	msg.StopReason = stopReason(ch.FinishReason, len(m.ToolCalls) > 0)
	if m.Refusal != nil && *m.Refusal != "" && (m.Content == nil || *m.Content == "") {
		msg.StopReason = "refusal"
	}
	return jsonenc.Marshal(msg)
}
