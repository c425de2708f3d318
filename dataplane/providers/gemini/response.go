package gemini

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Gemini finish reasons (google.ai.generativelanguage.v1beta.Candidate.FinishReason).
// finishReason maps them to OpenAI's vocabulary:
//
//	STOP                                  stop, or tool_calls when the candidate called a function
//	MAX_TOKENS                            length
//	SAFETY, RECITATION, BLOCKLIST,
//	PROHIBITED_CONTENT, SPII, IMAGE_SAFETY,
//	IMAGE_PROHIBITED_CONTENT, IMAGE_RECITATION content_filter
//	anything else (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL,
//	UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, NO_IMAGE, IMAGE_OTHER,
//	FINISH_REASON_UNSPECIFIED, unknown, absent)
//	                                      stop, or tool_calls when the candidate called a function
//
// Gemini answers STOP even when the model called a function, so the
// candidate's parts decide between stop and tool_calls.
func finishReason(reason string, calledTool bool) string {
	switch reason {
	case "MAX_TOKENS":
		return unified.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return unified.FinishContentFilter
	}
	if calledTool {
		return unified.FinishToolCalls
	}
	return unified.FinishStop
}

// toUsage maps usageMetadata to OpenAI usage:
//
//	prompt_tokens     = promptTokenCount + toolUsePromptTokenCount
//	completion_tokens = candidatesTokenCount + thoughtsTokenCount
//	total_tokens      = totalTokenCount, or the sum when larger
//	cached_tokens     = cachedContentTokenCount (already inside promptTokenCount)
//	reasoning_tokens  = thoughtsTokenCount (already inside completion_tokens)
func toUsage(u *usageMetadata) *unified.Usage {
	if u == nil {
		return nil
	}
	prompt := u.PromptTokenCount + u.ToolUsePromptTokenCount
	completion := u.CandidatesTokenCount + u.ThoughtsTokenCount
	return &unified.Usage{
		PromptTokens:            prompt,
		CompletionTokens:        completion,
		TotalTokens:             max(u.TotalTokenCount, prompt+completion),
		PromptTokensDetails:     &unified.PromptTokensDetails{CachedTokens: u.CachedContentTokenCount},
		CompletionTokensDetails: &unified.CompletionTokensDetails{ReasoningTokens: u.ThoughtsTokenCount},
	}
}

// ids derives the OpenAI ids of one answer from Gemini's responseId (or a
// random one when Gemini sent none). Gemini function calls carry no id, so
// tool-call ids are synthesized as call_<hash>_<n>, unique per answer, with
// the part's thoughtSignature appended after thoughtSeparator.
type ids struct {
	completion string
	callPrefix string
	calls      int
}

func newIDs(responseID string) *ids {
	if responseID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		responseID = hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(responseID))
	return &ids{completion: "chatcmpl-" + sanitizeID(responseID), callPrefix: "call_" + hex.EncodeToString(sum[:6]) + "_"}
}

func (d *ids) nextCall(signature string) string {
	id := d.callPrefix + strconv.Itoa(d.calls)
	d.calls++
	if signature != "" {
		id += thoughtSeparator + signature
	}
	return id
}

// sanitizeID keeps an id to characters that are safe everywhere ids travel.
func sanitizeID(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

// blockedMessage explains a prompt Gemini refused to answer.
func blockedMessage(pf *promptFeedback) string {
	msg := "The prompt was blocked by Gemini (blockReason: " + pf.BlockReason + ")."
	if pf.BlockReasonMessage != "" {
		msg += " " + pf.BlockReasonMessage
	}
	return msg
}

// toolCall converts a functionCall part.
func toolCall(fc *functionCall, id string, index *int) unified.ToolCall {
	// Gemini pretty-prints non-streamed answers; OpenAI sends compact
	// arguments.
	var buf bytes.Buffer
	args := "{}"
	if json.Compact(&buf, fc.Args) == nil && buf.Len() > 0 && buf.String() != "null" {
		args = buf.String()
	}
	return unified.ToolCall{Index: index, ID: id, Type: "function", Function: unified.FunctionCall{Name: fc.Name, Arguments: args}}
}

// translateResponse converts a whole generateContent answer. A prompt
// blocked before generation (promptFeedback.blockReason, no candidates) is
// answered as one choice with finish_reason content_filter, content null and
// the block reason as the refusal, rather than an error: the request was
// valid, and OpenAI clients already handle content_filter.
func translateResponse(r *generateContentResponse, model string, created int64) *unified.ChatResponse {
	d := newIDs(r.ResponseID)
	if r.ModelVersion != "" {
		model = r.ModelVersion
	}
	out := &unified.ChatResponse{ID: d.completion, Object: "chat.completion", Created: created, Model: model,
		Choices: make([]unified.Choice, 0, max(len(r.Candidates), 1)), Usage: toUsage(r.UsageMetadata)}
	if out.Usage == nil {
		out.Usage = &unified.Usage{}
	}
	if len(r.Candidates) == 0 {
		msg := unified.ResponseMessage{Role: unified.RoleAssistant}
		reason := unified.FinishStop
		if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
			msg.Refusal = unified.Ptr(blockedMessage(r.PromptFeedback))
			reason = unified.FinishContentFilter
		} else {
			msg.Content = unified.Ptr("")
		}
		out.Choices = append(out.Choices, unified.Choice{Index: 0, Message: msg, FinishReason: reason})
		return out
	}
	for _, c := range r.Candidates {
		var text, thoughts strings.Builder
		var calls []unified.ToolCall
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					calls = append(calls, toolCall(p.FunctionCall, d.nextCall(p.ThoughtSignature), nil))
				case p.Text != nil && p.Thought:
					thoughts.WriteString(*p.Text)
				case p.Text != nil:
					text.WriteString(*p.Text)
				}
			}
		}
		msg := unified.ResponseMessage{Role: unified.RoleAssistant, ToolCalls: calls, ReasoningContent: thoughts.String()}
		if text.Len() > 0 || len(calls) == 0 {
			msg.Content = unified.Ptr(text.String())
		}
		out.Choices = append(out.Choices, unified.Choice{Index: c.Index, Message: msg,
			FinishReason: finishReason(c.FinishReason, len(calls) > 0)})
	}
	return out
}
