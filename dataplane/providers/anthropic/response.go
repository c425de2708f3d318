package anthropic

import (
	"bytes"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// finishReason maps an Anthropic stop_reason to OpenAI's finish_reason.
// Unknown or missing reasons count as "stop": a new reason must not turn a
// good answer into an error.
func finishReason(stopReason string) string {
	switch stopReason {
	case stopMaxTokens, stopContextWindow, "compaction":
		return unified.FinishLength
	case stopToolUse:
		return unified.FinishToolCalls
	case stopRefusal:
		return unified.FinishContentFilter
	default: // end_turn, stop_sequence, pause_turn
		return unified.FinishStop
	}
}

// openAIUsage converts Anthropic usage: input_tokens excludes the prompt
// tokens read from or written to the cache, so the prompt is their sum, and
// the cache reads are OpenAI's cached_tokens.
func openAIUsage(u usage) *unified.Usage {
	return unified.UsageFromCache(u.InputTokens, u.OutputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens)
}

// gatewayUsage is the usage reported for metrics and token limits.
func gatewayUsage(u usage) providers.Usage {
	return providers.Usage{
		PromptTokens:     u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens,
		CompletionTokens: u.OutputTokens,
	}
}

// chunkID derives the OpenAI id from the Anthropic message id.
func chunkID(msgID string) string {
	if msgID == "" {
		return "chatcmpl-anthropic"
	}
	return "chatcmpl-" + msgID
}

// invalidResponse is the error for an upstream body that cannot be read.
func invalidResponse(what string) *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "invalid_upstream_response", Retryable: true,
		Message: "anthropic returned " + what}
}

// translateResponse turns a Messages API response into an OpenAI
// chat.completion. model is the fallback when the response names none.
func translateResponse(body []byte, info requestInfo, model string, created int64) ([]byte, providers.Usage, error) {
	var r messagesResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, providers.Usage{}, invalidResponse("a response that is not valid JSON")
	}
	if r.Type != "" && r.Type != "message" {
		return nil, providers.Usage{}, invalidResponse("an unexpected object of type " + r.Type)
	}
	var text, reasoning strings.Builder
	var calls []unified.ToolCall
	hasText, structured := false, false
	for _, b := range r.Content {
		switch b.Type {
		case blockText:
			text.WriteString(b.Text)
			hasText = true
		case blockThinking:
			reasoning.WriteString(b.Thinking)
		case blockToolUse:
			args := compactJSON(b.Input)
			if info.jsonMode && b.Name == JSONToolName {
				// The structured answer is the content; any preamble text the
				// model wrote would make it unparseable, so it is dropped.
				if !structured {
					text.Reset()
				}
				text.WriteString(args)
				hasText, structured = true, true
				continue
			}
			calls = append(calls, unified.ToolCall{ID: b.ID, Type: "function",
				Function: unified.FunctionCall{Name: b.Name, Arguments: args}})
		}
	}
	msg := unified.ResponseMessage{Role: unified.RoleAssistant, ToolCalls: calls, ReasoningContent: reasoning.String()}
	// content is null only when the model did nothing but call tools.
	if hasText || len(calls) == 0 {
		msg.Content = unified.Ptr(text.String())
	}
	finish := finishReason(r.StopReason)
	if finish == unified.FinishToolCalls && len(calls) == 0 {
		finish = unified.FinishStop // only the structured-output tool was called
	}
	if model = firstNonEmpty(r.Model, model); model == "" {
		model = "anthropic"
	}
	out := unified.ChatResponse{
		ID:      chunkID(r.ID),
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: []unified.Choice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   openAIUsage(r.Usage),
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, providers.Usage{}, err
	}
	return b, gatewayUsage(r.Usage), nil
}

// compactJSON returns a tool input as OpenAI's arguments string.
func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
