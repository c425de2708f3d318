// Package anthropic serves the Anthropic Messages API as a client dialect:
// POST /gateway/anthropic/v1/messages (streaming included) and
// /v1/messages/count_tokens. A request becomes a unified (OpenAI chat) request
// for any backend; the unified answer, whole or streamed, is rendered back as
// Anthropic's message object or its exact SSE event sequence (message_start,
// content_block_start/delta/stop, message_delta, message_stop). When a target
// is Anthropic itself and its adapter can forward, the gateway sends the
// client's own body instead (Request.Forward) and nothing here is used.
//
// Translation choices (what an Anthropic client loses on a non-Anthropic
// backend), each documented where it is made:
//
//   - system (string or text blocks) becomes one system message, blocks
//     joined with a blank line; cache_control is dropped everywhere.
//   - A user message's tool_result blocks become one "tool" message each, in
//     order, followed by a user message with the message's other blocks
//     (OpenAI wants tool messages right after the assistant's tool_calls).
//     is_error results are prefixed "Error: "; images inside a tool result
//     (which an OpenAI tool message cannot carry) move to that user message,
//     introduced by a short text part naming the tool call.
//   - Images: base64 becomes a data: URI, url stays a URL. Documents: base64
//     (PDF) becomes a file part with a data: URI, text and content sources
//     become text (and image) parts; url and file-id sources are dropped.
//   - thinking and redacted_thinking blocks in the history are dropped: only
//     Anthropic can read them back (native forwarding keeps them).
//   - Server and Anthropic-defined tools (web_search, bash, text_editor,
//     computer, code_execution, ...) and their result blocks cannot run on
//     another provider: they are left out of the unified request and named in
//     State.Dropped. The request still proceeds, so a Claude-backed endpoint
//     (forwarded natively) gets them and any other endpoint answers without
//     them. Rejecting them here would break native forwarding, since
//     ParseRequest cannot know the target.
//   - thinking becomes reasoning_effort: budget_tokens up to 1024 is "low",
//     up to 8192 "medium", more "high"; adaptive is "medium";
//     output_config.effort, when given, wins ("max" becomes "high").
//   - top_k has no OpenAI counterpart and is dropped; max_tokens is sent as
//     max_tokens (many OpenAI-compatible servers know no other name).
//   - metadata.user_id becomes user; one longer than 64 characters (Claude
//     Code's are about 150; OpenAI takes 64, OpenRouter 128) becomes its
//     SHA-256 in hex, still stable per user.
//   - Answers: reasoning_content becomes a thinking block (with an empty
//     signature: no Anthropic model signed it) only when the client enabled
//     thinking, as Anthropic itself would; tool-call arguments that are not a
//     JSON object become the input {}; "stop" maps to end_turn (OpenAI does
//     not say which stop sequence matched, so stop_sequence stays null).
//   - Streams: input usage is only known at the end of a unified stream, so
//     message_start carries zeros and message_delta carries the real
//     input_tokens and cache counts, as newer Anthropic API versions do (the
//     official SDKs' accumulators take them from there). Blocks follow each
//     other as the real service sends them, one open at a time; thinking
//     blocks carry no signature_delta. A backend that interleaves fragments
//     of parallel tool calls (none known does) gets its late fragments sent
//     to the call's already-stopped block by index, which index-keyed
//     accumulators (the TypeScript and Python SDKs) handle and the Go SDK's
//     does not when the input was incomplete at the stop.
//   - count_tokens on a non-Anthropic backend asks it for a one-token answer
//     and returns its prompt_tokens as {"input_tokens": N}: a real count from
//     the backend's own tokenizer, at the cost of one tiny completion.
package anthropic

import (
	"crypto/rand"
	"net/http"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Methods are the values of dialect.Params.Method this dialect serves.
const (
	MethodMessages    = "messages"
	MethodCountTokens = "count_tokens"
)

// Ingress is the Anthropic Messages dialect. It is safe for concurrent use.
type Ingress struct {
	// newID returns a fresh id with the given prefix ("msg_", "toolu_");
	// tests replace it to make output deterministic.
	newID func(prefix string) string
}

var _ dialect.Ingress = (*Ingress)(nil)

// New returns the dialect.
func New() *Ingress { return &Ingress{newID: randomID} }

// Native implements dialect.Ingress: requests to Anthropic targets are
// forwarded as the client sent them.
func (*Ingress) Native() string { return "anthropic" }

// State is what ParseRequest remembers about a request for rendering its answer.
type State struct {
	// Model is the client's "model": the Endpoint name, echoed in answers.
	Model string `json:"model"`
	// CountTokens is set for /v1/messages/count_tokens.
	CountTokens bool `json:"count_tokens,omitempty"`
	// Thinking is set when the client enabled extended thinking; only then
	// does reasoning text come back as thinking blocks.
	Thinking bool `json:"thinking,omitempty"`
	// Dropped names what the unified request leaves out because no other
	// provider can take it (server tools, untranslatable blocks), e.g.
	// "tools.2 (web_search_20250305)". A natively forwarded request keeps all.
	Dropped []string `json:"dropped,omitempty"`
}

func stateOf(req *dialect.Request) *State {
	if req != nil {
		if s, ok := req.State.(*State); ok && s != nil {
			return s
		}
	}
	return &State{}
}

// Error implements dialect.Ingress: Anthropic's error body, its type chosen
// from the status.
func (*Ingress) Error(e *providers.Error) []byte {
	return errorJSON(e)
}

func errorJSON(e *providers.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	b := make([]byte, 0, 64+len(msg))
	b = append(b, `{"type":"error","error":{"type":`...)
	b = jsonenc.AppendString(b, ErrorType(e.Status))
	b = append(b, `,"message":`...)
	b = jsonenc.AppendString(b, msg)
	return append(b, "}}"...)
}

// ErrorType is Anthropic's error type for an HTTP status.
func ErrorType(status int) string {
	switch {
	case status == 401:
		return "authentication_error"
	case status == 402:
		return "billing_error"
	case status == 403:
		return "permission_error"
	case status == 404:
		return "not_found_error"
	case status == 408 || status == 504:
		return "timeout_error"
	case status == 413:
		return "request_too_large"
	case status == 429:
		return "rate_limit_error"
	case status == 503 || status == 529:
		return "overloaded_error"
	case status >= 400 && status < 500:
		return "invalid_request_error"
	default:
		return "api_error"
	}
}

func randomID(prefix string) string { return prefix + rand.Text() }

// messageID derives an Anthropic message id from a unified one, so logs on
// both sides can be matched; an empty one gets a random id.
func (in *Ingress) messageID(unifiedID string) string {
	if id := dialect.CleanID(unifiedID, "msg_"); id != "" {
		return "msg_" + id
	}
	return in.newID("msg_")
}
