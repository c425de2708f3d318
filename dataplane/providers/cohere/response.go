package cohere

import (
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// finishReason maps Cohere's finish_reason to OpenAI's. ok is false for the
// reasons that mean the generation failed (ERROR, TIMEOUT), which the adapter
// reports as errors: OpenAI has no finish reason for them.
func finishReason(r string) (reason string, ok bool) {
	switch r {
	case "COMPLETE", "STOP_SEQUENCE", "":
		return unified.FinishStop, true
	case "MAX_TOKENS", "ERROR_LIMIT":
		return unified.FinishLength, true
	case "TOOL_CALL":
		return unified.FinishToolCalls, true
	case "ERROR_TOXIC":
		return unified.FinishContentFilter, true
	case "ERROR", "TIMEOUT":
		return "", false
	default:
		// A reason added after this adapter was written: the answer is there.
		return unified.FinishStop, true
	}
}

// generationError is the error for a failed finish reason.
func generationError(reason, detail string) *providers.Error {
	msg := "cohere stopped the generation with " + reason
	if detail != "" {
		msg += ": " + detail
	}
	if reason == "TIMEOUT" {
		return &providers.Error{Status: 504, Type: "timeout_error", Code: "upstream_timeout", Message: msg, Retryable: true, Timeout: true}
	}
	return &providers.Error{Status: 502, Type: "api_error", Code: "upstream_error", Message: msg, Retryable: true}
}

// toUsage converts Cohere's usage. billed_units (what the account is charged,
// without the prompt template Cohere adds) is preferred; tokens is the
// fallback when a deployment reports only that.
func toUsage(u *usage) unified.Usage {
	if u == nil {
		return unified.Usage{}
	}
	c := u.BilledUnits
	if c == nil {
		c = u.Tokens
	}
	if c == nil {
		c = &tokenCounts{}
	}
	out := unified.Usage{PromptTokens: int64(c.InputTokens), CompletionTokens: int64(c.OutputTokens)}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	if u.CachedTokens > 0 {
		out.PromptTokensDetails = &unified.PromptTokensDetails{CachedTokens: int64(u.CachedTokens)}
	}
	return out
}

func metricsUsage(u unified.Usage) providers.Usage {
	return providers.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
}

func malformed(what string, err error) *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_response",
		Message: "cohere returned a " + what + " the gateway could not read: " + err.Error()}
}

// chatResponse turns Cohere's answer into an OpenAI chat.completion. Text
// blocks become content; tool_plan and thinking blocks become
// reasoning_content; content is null when the model only called tools.
func (t *translator) chatResponse(body []byte) ([]byte, error) {
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed("response", err)
	}
	finish, ok := finishReason(r.FinishReason)
	if !ok {
		return nil, generationError(r.FinishReason, "")
	}
	var text, reasoning strings.Builder
	reasoning.WriteString(r.Message.ToolPlan)
	for _, c := range r.Message.Content {
		switch c.Type {
		case "text":
			text.WriteString(c.Text)
		case "thinking":
			reasoning.WriteString(c.Thinking)
		}
	}
	msg := unified.ResponseMessage{Role: unified.RoleAssistant, ReasoningContent: reasoning.String()}
	for _, tc := range r.Message.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, openAIToolCall(tc, nil))
	}
	if len(msg.ToolCalls) > 0 && finish == unified.FinishStop {
		finish = unified.FinishToolCalls
	}
	if s := text.String(); s != "" || len(msg.ToolCalls) == 0 {
		msg.Content = &s
	}
	u := toUsage(r.Usage)
	out := unified.ChatResponse{
		ID:      chatID(r.ID),
		Object:  "chat.completion",
		Created: t.now().Unix(),
		Model:   t.model,
		Choices: []unified.Choice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   &u,
	}
	return jsonenc.Marshal(out)
}

// chatID derives the OpenAI id from Cohere's message id.
func chatID(id string) string {
	if id == "" {
		id = "cohere"
	}
	return "chatcmpl-" + id
}

// openAIToolCall converts a tool call; Cohere may omit arguments for a
// function without parameters, which OpenAI clients expect as "{}".
func openAIToolCall(tc toolCall, index *int) unified.ToolCall {
	args := tc.Function.Arguments
	if args == "" {
		args = "{}"
	}
	return unified.ToolCall{Index: index, ID: tc.ID, Type: "function", Function: unified.FunctionCall{Name: tc.Function.Name, Arguments: args}}
}
