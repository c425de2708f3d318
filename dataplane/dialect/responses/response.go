package responses

import (
	"errors"
	"fmt"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Response statuses.
const (
	statusInProgress = "in_progress"
	statusCompleted  = "completed"
	statusIncomplete = "incomplete"
	statusFailed     = "failed"
)

// responseObject is the Response object, its fields in the order OpenAI's
// API writes them.
type responseObject struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	Background         bool               `json:"background"`
	CompletedAt        *int64             `json:"completed_at"`
	Error              *responseError     `json:"error"`
	IncompleteDetails  *incompleteDetails `json:"incomplete_details"`
	Instructions       json.RawMessage    `json:"instructions"`
	MaxOutputTokens    *int64             `json:"max_output_tokens"`
	MaxToolCalls       *int64             `json:"max_tool_calls"`
	Model              string             `json:"model"`
	Output             []*outItem         `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	PromptCacheKey     *string            `json:"prompt_cache_key"`
	Reasoning          reasoning          `json:"reasoning"`
	SafetyIdentifier   *string            `json:"safety_identifier"`
	ServiceTier        string             `json:"service_tier"`
	Store              bool               `json:"store"`
	Temperature        float64            `json:"temperature"`
	Text               json.RawMessage    `json:"text"`
	ToolChoice         json.RawMessage    `json:"tool_choice"`
	Tools              json.RawMessage    `json:"tools"`
	TopLogprobs        int64              `json:"top_logprobs"`
	TopP               float64            `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *usage             `json:"usage"`
	User               *string            `json:"user"`
	Metadata           json.RawMessage    `json:"metadata"`
}

type responseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type incompleteDetails struct {
	Reason string `json:"reason"`
}

type reasoning struct {
	Effort  *string `json:"effort"`
	Summary *string `json:"summary"`
}

type usage struct {
	InputTokens        int64 `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int64 `json:"total_tokens"`
}

// usageOf converts unified usage; nil stays nil (the backend did not say).
func usageOf(u *unified.Usage) *usage {
	if u == nil {
		return nil
	}
	out := &usage{InputTokens: max(u.PromptTokens, 0), OutputTokens: max(u.CompletionTokens, 0), TotalTokens: max(u.TotalTokens, 0)}
	if d := u.PromptTokensDetails; d != nil {
		out.InputTokensDetails.CachedTokens = max(d.CachedTokens, 0)
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.OutputTokensDetails.ReasoningTokens = max(d.ReasoningTokens, 0)
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	return out
}

func nonNull(raw json.RawMessage, def string) json.RawMessage {
	if absent(raw) {
		return json.RawMessage(def)
	}
	return raw
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// newResponse returns a Response object echoing the request's settings.
func (in *Ingress) newResponse(st *State, id string, created int64, status string) *responseObject {
	e := &st.Echo
	r := &responseObject{ID: id, Object: "response", CreatedAt: created, Status: status, Model: st.Model,
		Output: []*outItem{}, ServiceTier: "default", Truncation: "disabled",
		Instructions: e.Instructions, MaxOutputTokens: e.MaxOutputTokens,
		Reasoning:   reasoning{Effort: optString(e.ReasoningEffort), Summary: optString(e.ReasoningSummary)},
		Temperature: 1, TopP: 1, ParallelToolCalls: true,
		Text:       nonNull(e.Text, `{"format":{"type":"text"}}`),
		ToolChoice: nonNull(e.ToolChoice, `"auto"`),
		Tools:      nonNull(e.Tools, `[]`),
		Metadata:   nonNull(e.Metadata, `{}`),
	}
	if e.Temperature != nil {
		r.Temperature = *e.Temperature
	}
	if e.TopP != nil {
		r.TopP = *e.TopP
	}
	if e.ParallelToolCalls != nil {
		r.ParallelToolCalls = *e.ParallelToolCalls
	}
	return r
}

// finish sets the final status from a unified finish_reason.
func (in *Ingress) finish(r *responseObject, finishReason string) {
	switch finishReason {
	case unified.FinishLength:
		r.Status, r.IncompleteDetails = statusIncomplete, &incompleteDetails{Reason: "max_output_tokens"}
	case unified.FinishContentFilter:
		r.Status, r.IncompleteDetails = statusIncomplete, &incompleteDetails{Reason: "content_filter"}
	default:
		r.Status = statusCompleted
		now := in.now().Unix()
		r.CompletedAt = &now
	}
}

// Item and part kinds.
const (
	kindMessage = iota + 1
	kindFunctionCall
	kindText
	kindRefusal
)

// outItem is one output item: an assistant message or a function call.
type outItem struct {
	kind   int
	id     string
	status string
	// parts of a message.
	parts []*outPart
	// callID, name and args of a function call.
	callID, name, args string
}

// outPart is one content part of a message: output_text or refusal.
type outPart struct {
	kind int
	text string
}

// MarshalJSON writes the item as OpenAI's API does.
func (it *outItem) MarshalJSON() ([]byte, error) {
	return appendItem(nil, it), nil
}

func appendItem(b []byte, it *outItem) []byte {
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, it.id)
	if it.kind == kindFunctionCall {
		b = append(b, `,"type":"function_call","status":`...)
		b = jsonenc.AppendString(b, it.status)
		b = append(b, `,"arguments":`...)
		b = jsonenc.AppendString(b, it.args)
		b = append(b, `,"call_id":`...)
		b = jsonenc.AppendString(b, it.callID)
		b = append(b, `,"name":`...)
		b = jsonenc.AppendString(b, it.name)
		return append(b, '}')
	}
	b = append(b, `,"type":"message","status":`...)
	b = jsonenc.AppendString(b, it.status)
	b = append(b, `,"content":[`...)
	for i, p := range it.parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPart(b, p.kind, p.text)
	}
	return append(b, `],"role":"assistant"}`...)
}

func appendPart(b []byte, kind int, text string) []byte {
	if kind == kindRefusal {
		b = append(b, `{"type":"refusal","refusal":`...)
		b = jsonenc.AppendString(b, text)
		return append(b, '}')
	}
	b = append(b, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	b = jsonenc.AppendString(b, text)
	return append(b, '}')
}

// Response implements dialect.Ingress.
func (in *Ingress) Response(req *dialect.Request, body []byte) ([]byte, error) {
	st := stateOf(req)
	if e := nativeOnlyError(st); e != nil {
		// The gateway translated a request that needs OpenAI: refuse the
		// answer rather than pass it off as one given with those features.
		return nil, errors.New(e.Message)
	}
	var r unified.ChatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the answer is not a chat completion: %w", err)
	}
	ch, ok := r.FirstChoice()
	if !ok {
		return nil, errors.New("the answer has no choices")
	}
	created := r.Created
	if created <= 0 {
		created = in.now().Unix()
	}
	resp := in.newResponse(st, in.responseID(r.ID), created, statusCompleted)
	m := ch.Message
	msg := &outItem{kind: kindMessage, id: in.newID("msg_"), status: statusCompleted}
	if m.Content != nil && *m.Content != "" {
		msg.parts = append(msg.parts, &outPart{kind: kindText, text: *m.Content})
	}
	if m.Refusal != nil && *m.Refusal != "" {
		msg.parts = append(msg.parts, &outPart{kind: kindRefusal, text: *m.Refusal})
	}
	if len(msg.parts) == 0 && len(m.ToolCalls) == 0 {
		// An empty answer is still a message, as OpenAI gives it.
		msg.parts = append(msg.parts, &outPart{kind: kindText})
	}
	if len(msg.parts) > 0 {
		resp.Output = append(resp.Output, msg)
	}
	for _, tc := range m.ToolCalls {
		callID := tc.ID
		if callID == "" {
			callID = in.newID("call_")
		}
		resp.Output = append(resp.Output, &outItem{kind: kindFunctionCall, id: in.newID("fc_"), status: statusCompleted,
			callID: callID, name: tc.Function.Name, args: tc.Function.Arguments})
	}
	in.finish(resp, ch.FinishReason)
	if resp.Status == statusIncomplete {
		resp.Output[len(resp.Output)-1].status = statusIncomplete
	}
	resp.Usage = usageOf(r.Usage)
	return jsonenc.Marshal(resp)
}
