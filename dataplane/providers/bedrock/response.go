package bedrock

import (
	"bytes"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// meta identifies the OpenAI response being built.
type meta struct {
	// ID is the response id: "chatcmpl-" + Bedrock's request id.
	ID string
	// Model is the model id the call used.
	Model string
	// Created is the Unix time of the response.
	Created int64
	// Plan carries what the request translation decided.
	Plan plan
}

// finishReason maps a Bedrock stopReason to OpenAI's finish_reason.
// model_context_window_exceeded is a truncation, like max_tokens; reasons
// OpenAI has no word for (malformed_model_output, malformed_tool_use, or
// ones added later) map to "stop".
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return unified.FinishLength
	case "tool_use":
		return unified.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return unified.FinishContentFilter
	default: // end_turn, stop_sequence
		return unified.FinishStop
	}
}

// convertUsage maps Bedrock's usage to OpenAI's. Bedrock's inputTokens
// excludes cache reads and writes; OpenAI's prompt_tokens includes every
// input token, with the cache reads repeated in cached_tokens.
func convertUsage(u *tokenUsage) *unified.Usage {
	if u == nil {
		return nil
	}
	return unified.UsageFromCache(u.InputTokens, u.OutputTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens)
}

func metricsUsage(u *unified.Usage) providers.Usage {
	if u == nil {
		return providers.Usage{}
	}
	return providers.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
}

// chatResponse converts a Converse response body into an OpenAI
// chat.completion. Text blocks are joined; toolUse blocks become tool_calls
// with the toolUseId as the call id; a call to the response tool becomes the
// message content. Content is null when the model only called tools.
func chatResponse(body []byte, m meta) ([]byte, error) {
	var in converseResponse
	if err := json.Unmarshal(body, &in); err != nil || in.Output.Message == nil {
		return nil, &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_response",
			Message: "Bedrock returned a response that is not a Converse output"}
	}
	var (
		text      strings.Builder
		reasoning strings.Builder
		calls     []unified.ToolCall
	)
	for _, b := range in.Output.Message.Content {
		switch {
		case b.Text != nil:
			text.WriteString(*b.Text)
		case b.ToolUse != nil:
			input := compactJSON(b.ToolUse.Input)
			if m.Plan.jsonTool && b.ToolUse.Name == responseToolName {
				text.WriteString(input)
				continue
			}
			calls = append(calls, unified.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
				Function: unified.FunctionCall{Name: b.ToolUse.Name, Arguments: input}})
		case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
			reasoning.WriteString(b.ReasoningContent.ReasoningText.Text)
		}
	}
	finish := finishReason(in.StopReason)
	if finish == unified.FinishToolCalls && len(calls) == 0 {
		finish = unified.FinishStop // only the response tool was called
	}
	msg := unified.ResponseMessage{Role: unified.RoleAssistant, ToolCalls: calls, ReasoningContent: reasoning.String()}
	if text.Len() > 0 || len(calls) == 0 {
		msg.Content = unified.Ptr(text.String())
	}
	out := unified.ChatResponse{
		ID: m.ID, Object: "chat.completion", Created: m.Created, Model: m.Model,
		Choices: []unified.Choice{{Index: 0, Message: msg, FinishReason: finish, Logprobs: json.RawMessage("null")}},
		Usage:   convertUsage(in.Usage),
	}
	if out.Usage == nil {
		out.Usage = &unified.Usage{}
	}
	return json.Marshal(out)
}

// compactJSON renders a toolUse input as OpenAI's arguments string.
func compactJSON(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "{}"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
