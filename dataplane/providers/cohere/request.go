package cohere

import (
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Sampling defaults: the gateway adds none. A parameter the client did not set
// is left out, so Cohere's own defaults apply (temperature 0.3, p 0.75, the
// model's maximum output). OpenAI's top_p range (0, 1] is wider than Cohere's
// p range [0.01, 0.99], so top_p is clamped into it: clients commonly send
// top_p 1 to mean "no nucleus filtering", which Cohere would reject.
const (
	minP = 0.01
	maxP = 0.99
)

// translator converts one call; it is created per request and never modifies
// the client's body, so a retry can build another from the same Call.
type translator struct {
	model        string
	includeUsage bool
	now          func() time.Time
}

func newTranslator(call *providers.Call, now func() time.Time) *translator {
	return &translator{model: call.Model, includeUsage: call.IncludeUsage, now: now}
}

func badRequest(param, msg string) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Param: param, Message: msg}
}

// chatRequest turns an OpenAI chat request into Cohere's.
func (t *translator) chatRequest(body []byte, stream bool) ([]byte, error) {
	var req unified.ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, badRequest("", "invalid chat request: "+err.Error())
	}
	out, err := t.toCohere(&req, stream)
	if err != nil {
		return nil, err
	}
	return jsonenc.Marshal(out)
}

func (t *translator) toCohere(req *unified.ChatRequest, stream bool) (*chatRequest, error) {
	if req.N != nil && *req.N > 1 {
		return nil, badRequest("n", "cohere returns one choice per request; n must be 1")
	}
	out := &chatRequest{
		Model:            t.model,
		Stream:           stream,
		MaxTokens:        req.MaxOutputTokens(),
		StopSequences:    req.Stop,
		Temperature:      req.Temperature,
		Seed:             req.Seed,
		FrequencyPenalty: req.FrequencyPenalty,
		PresencePenalty:  req.PresencePenalty,
	}
	if req.TopP != nil {
		p := min(max(*req.TopP, minP), maxP)
		out.P = &p
	}
	msgs, err := messages(req.Messages)
	if err != nil {
		return nil, err
	}
	out.Messages = msgs
	if err := tools(req, out); err != nil {
		return nil, err
	}
	if out.ResponseFormat, err = responseFormatOf(req.ResponseFormat); err != nil {
		return nil, err
	}
	return out, nil
}

// messages converts the conversation. System and developer messages are
// merged, in order, into one leading system message: Cohere's chat template
// expects the system turn first.
func messages(in []unified.Message) ([]message, error) {
	var system []string
	out := make([]message, 0, len(in)+1)
	for i, m := range in {
		param := "messages[" + strconv.Itoa(i) + "]"
		switch m.Role {
		case unified.RoleSystem, unified.RoleDeveloper:
			text, err := textOnly(m.Content, param)
			if err != nil {
				return nil, err
			}
			system = append(system, text)
		case unified.RoleUser:
			c, err := userContent(m.Content, param)
			if err != nil {
				return nil, err
			}
			out = append(out, message{Role: "user", Content: c})
		case unified.RoleAssistant:
			out = append(out, assistant(m))
		case unified.RoleTool:
			if m.ToolCallID == "" {
				return nil, badRequest(param+".tool_call_id", "a tool message needs the tool_call_id it answers")
			}
			text, err := textOnly(m.Content, param)
			if err != nil {
				return nil, err
			}
			out = append(out, message{Role: "tool", ToolCallID: m.ToolCallID, Content: text})
		default:
			return nil, badRequest(param+".role", "cohere does not accept role "+strconv.Quote(m.Role))
		}
	}
	if len(system) > 0 {
		out = append([]message{{Role: "system", Content: strings.Join(system, "\n\n")}}, out...)
	}
	return out, nil
}

// textOnly reads string content or text parts.
func textOnly(c unified.Content, param string) (string, error) {
	for _, p := range c.Parts {
		if p.Type != unified.PartText {
			return "", badRequest(param+".content", "only text content is allowed here, got "+strconv.Quote(p.Type))
		}
	}
	return c.PlainText(), nil
}

// userContent keeps string content a string; parts become text and
// image_url blocks (Cohere accepts http(s) URLs and base64 data URLs).
func userContent(c unified.Content, param string) (any, error) {
	if c.Parts == nil {
		return c.PlainText(), nil
	}
	parts := make([]contentPart, 0, len(c.Parts))
	for _, p := range c.Parts {
		switch p.Type {
		case unified.PartText:
			parts = append(parts, contentPart{Type: "text", Text: p.Text})
		case unified.PartImageURL:
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, badRequest(param+".content", "image_url part without a url")
			}
			parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURL{URL: p.ImageURL.URL, Detail: p.ImageURL.Detail}})
		default:
			return nil, badRequest(param+".content", "cohere does not accept "+strconv.Quote(p.Type)+" content")
		}
	}
	return parts, nil
}

// assistant converts an assistant turn. With tool calls, Cohere carries the
// accompanying text as tool_plan (the adapter returns tool_plan to clients as
// reasoning_content, which is preferred when the client sends it back).
func assistant(m unified.Message) message {
	text := m.Content.PlainText()
	if len(m.ToolCalls) == 0 {
		return message{Role: "assistant", Content: text}
	}
	out := message{Role: "assistant", ToolPlan: m.ReasoningContent, ToolCalls: make([]toolCall, len(m.ToolCalls))}
	if out.ToolPlan == "" {
		out.ToolPlan = text
	}
	for i, tc := range m.ToolCalls {
		args := tc.Function.Arguments
		if args == "" {
			args = "{}"
		}
		out.ToolCalls[i] = toolCall{ID: tc.ID, Type: "function", Function: toolFunction{Name: tc.Function.Name, Arguments: args}}
	}
	return out
}

// tools converts tools and tool_choice. Cohere's tool_choice knows only
// REQUIRED and NONE (auto is the default), so a named function is forced by
// sending only that tool with REQUIRED.
func tools(req *unified.ChatRequest, out *chatRequest) error {
	ts := req.Tools
	if tc := req.ToolChoice; tc != nil {
		switch {
		case tc.Function != "":
			var named []unified.Tool
			for _, t := range ts {
				if t.Function.Name == tc.Function {
					named = append(named, t)
				}
			}
			if len(named) == 0 {
				return badRequest("tool_choice", "tool_choice names "+strconv.Quote(tc.Function)+", which is not among the tools")
			}
			ts = named
			out.ToolChoice = "REQUIRED"
		case tc.Mode == unified.ToolChoiceNone:
			out.ToolChoice = "NONE"
		case tc.Mode == unified.ToolChoiceRequired:
			out.ToolChoice = "REQUIRED"
		case tc.Mode == unified.ToolChoiceAuto || tc.Mode == "":
		default:
			return badRequest("tool_choice", "unknown tool_choice "+strconv.Quote(tc.Mode))
		}
	}
	if len(ts) == 0 {
		out.ToolChoice = ""
		return nil
	}
	out.Tools = make([]tool, len(ts))
	for i, t := range ts {
		if t.Type != "" && t.Type != "function" {
			return badRequest("tools["+strconv.Itoa(i)+"].type", "cohere accepts only function tools")
		}
		out.Tools[i] = tool{Type: "function", Function: toolDef{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters}}
	}
	return nil
}

// responseFormatOf maps JSON mode and JSON schema; Cohere expresses both as
// json_object, with the schema (the inner "schema" of OpenAI's json_schema) alongside.
func responseFormatOf(rf *unified.ResponseFormat) (*responseFormat, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		return &responseFormat{Type: "json_object"}, nil
	case "json_schema":
		out := &responseFormat{Type: "json_object"}
		if rf.JSONSchema != nil && len(rf.JSONSchema.Schema) > 0 && string(rf.JSONSchema.Schema) != "null" {
			out.JSONSchema = rf.JSONSchema.Schema
		}
		return out, nil
	}
	return nil, badRequest("response_format.type", "unknown response_format type "+strconv.Quote(rf.Type))
}
