package responses

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"
	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// wireRequest is the Responses API request, each field kept raw so that a
// wrong type is reported with the field's name, as OpenAI does. Fields this
// gateway does not translate are not read at all: a natively forwarded
// request keeps them.
type wireRequest struct {
	Model              json.RawMessage `json:"model"`
	Input              json.RawMessage `json:"input"`
	Instructions       json.RawMessage `json:"instructions"`
	Tools              json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	Text               json.RawMessage `json:"text"`
	MaxOutputTokens    json.RawMessage `json:"max_output_tokens"`
	Temperature        json.RawMessage `json:"temperature"`
	TopP               json.RawMessage `json:"top_p"`
	ParallelToolCalls  json.RawMessage `json:"parallel_tool_calls"`
	Reasoning          json.RawMessage `json:"reasoning"`
	Stream             json.RawMessage `json:"stream"`
	Metadata           json.RawMessage `json:"metadata"`
	PreviousResponseID json.RawMessage `json:"previous_response_id"`
	Conversation       json.RawMessage `json:"conversation"`
	Prompt             json.RawMessage `json:"prompt"`
	Background         json.RawMessage `json:"background"`
}

// duplicateModel reports whether the object has more than one top-level key
// that names the model: "model" in any case or escaping (Go's decoder
// matches keys without regard to case).
func duplicateModel(body []byte) bool {
	n := 0
	gjson.ParseBytes(body).ForEach(func(k, _ gjson.Result) bool {
		if strings.EqualFold(k.Str, "model") {
			n++
		}
		return n < 2
	})
	return n > 1
}

// converter builds the unified request.
type converter struct {
	st  *State
	out unified.ChatRequest
	// calls are the call ids of the function_call items seen so far.
	calls map[string]bool
	// history is true when earlier turns live upstream (previous_response_id,
	// conversation): outputs may then answer calls this input does not hold.
	history bool
	// deferred are images from tool outputs, sent in a user message once the
	// run of tool messages ends.
	deferred []unified.Part
}

func (c *converter) nativeOnly(what string) {
	c.st.NativeOnly = append(c.st.NativeOnly, what)
}

// ParseRequest implements dialect.Ingress.
func (in *Ingress) ParseRequest(body []byte, p dialect.Params) (*dialect.Request, *providers.Error) {
	if p.Method != Method && p.Method != "" {
		return nil, &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found", Message: "unknown Responses API method " + strconv.Quote(p.Method)}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, badRequest("", "", "request body is empty: expected a JSON object")
	}
	if !json.Valid(trimmed) {
		return nil, badRequest("", "", "We could not parse the JSON body of your request: it is not valid JSON.")
	}
	if trimmed[0] != '{' {
		return nil, badRequest("", "", "request body must be a JSON object")
	}
	if duplicateModel(trimmed) {
		// The forwarded body's first "model" is rewritten, and an upstream
		// reading the last one would see a model the gateway did not choose.
		return nil, badRequest("model", "duplicate_parameter", "Duplicate parameter: 'model' is given more than once.")
	}
	var w wireRequest
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return nil, badRequest("", "", "request body must be a JSON object")
	}
	model, perr := requiredString(w.Model, "model")
	if perr != nil {
		return nil, perr
	}
	st := &State{Model: model}
	c := &converter{st: st, calls: map[string]bool{}}
	out := &c.out
	out.Model = model

	// Server-side state and hosted features: only OpenAI has them.
	if s, perr := optionalString(w.PreviousResponseID, "previous_response_id"); perr != nil {
		return nil, perr
	} else if s != "" {
		c.nativeOnly("previous_response_id")
		c.history = true
	}
	if !absent(w.Conversation) {
		c.nativeOnly("conversation")
		c.history = true
	}
	if !absent(w.Prompt) {
		c.nativeOnly("prompt")
	}
	if !absent(w.Background) {
		b, perr := decodeBool(w.Background, "background")
		if perr != nil {
			return nil, perr
		}
		if b {
			c.nativeOnly("background")
		}
	}

	if !absent(w.Instructions) {
		s, perr := decodeString(w.Instructions, "instructions")
		if perr != nil {
			return nil, perr
		}
		st.Echo.Instructions = w.Instructions
		if s != "" {
			out.Messages = append(out.Messages, unified.Message{Role: unified.RoleSystem, Content: unified.TextContent(s)})
		}
	}
	switch {
	case absent(w.Input):
		if len(st.NativeOnly) == 0 {
			return nil, missing("input")
		}
	case w.Input[0] == '"':
		s, perr := decodeString(w.Input, "input")
		if perr != nil {
			return nil, perr
		}
		out.Messages = append(out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.TextContent(s)})
	default:
		items, perr := decodeArray(w.Input, "input")
		if perr != nil {
			return nil, invalidType("input", "a string or an array", w.Input)
		}
		for i, raw := range items {
			if perr := c.item(raw, idx("input", i)); perr != nil {
				return nil, perr
			}
		}
		c.flushDeferred()
		for i := range out.Messages {
			if m := &out.Messages[i]; m.Role == unified.RoleAssistant && m.Content.IsNull() && len(m.ToolCalls) == 0 {
				// An assistant message that said nothing still needs content.
				m.Content = unified.TextContent("")
			}
		}
	}

	if perr := c.tools(w.Tools); perr != nil {
		return nil, perr
	}
	if perr := c.toolChoice(w.ToolChoice); perr != nil {
		return nil, perr
	}
	if len(out.Tools) == 0 {
		// Chat completions refuses tool_choice without tools.
		out.ToolChoice = nil
	}
	if perr := c.text(w.Text); perr != nil {
		return nil, perr
	}
	if !absent(w.MaxOutputTokens) {
		n, perr := decodeInt(w.MaxOutputTokens, "max_output_tokens")
		if perr != nil {
			return nil, perr
		}
		if n < 1 {
			return nil, badRequest("max_output_tokens", "integer_below_min_value", "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", n)
		}
		out.MaxTokens = &n
		st.Echo.MaxOutputTokens = &n
	}
	if !absent(w.Temperature) {
		f, perr := decodeNumber(w.Temperature, "temperature")
		if perr != nil {
			return nil, perr
		}
		out.Temperature, st.Echo.Temperature = &f, &f
	}
	if !absent(w.TopP) {
		f, perr := decodeNumber(w.TopP, "top_p")
		if perr != nil {
			return nil, perr
		}
		out.TopP, st.Echo.TopP = &f, &f
	}
	if !absent(w.ParallelToolCalls) {
		b, perr := decodeBool(w.ParallelToolCalls, "parallel_tool_calls")
		if perr != nil {
			return nil, perr
		}
		st.Echo.ParallelToolCalls = &b
		if len(out.Tools) > 0 {
			// Chat completions refuses parallel_tool_calls without tools.
			out.ParallelToolCalls = &b
		}
	}
	if !absent(w.Reasoning) {
		var r struct {
			Effort  json.RawMessage `json:"effort"`
			Summary json.RawMessage `json:"summary"`
		}
		if perr := decodeObject(w.Reasoning, "reasoning", &r); perr != nil {
			return nil, perr
		}
		effort, perr := optionalString(r.Effort, "reasoning.effort")
		if perr != nil {
			return nil, perr
		}
		summary, perr := optionalString(r.Summary, "reasoning.summary")
		if perr != nil {
			return nil, perr
		}
		out.ReasoningEffort = effort
		st.Echo.ReasoningEffort, st.Echo.ReasoningSummary = effort, summary
	}
	if !absent(w.Metadata) {
		if w.Metadata[0] != '{' {
			return nil, invalidType("metadata", "an object", w.Metadata)
		}
		st.Echo.Metadata = w.Metadata
	}
	stream := false
	if !absent(w.Stream) {
		if stream, perr = decodeBool(w.Stream, "stream"); perr != nil {
			return nil, perr
		}
	}
	if stream {
		out.Stream = true
		// response.completed carries the usage, so the unified stream must
		// always end with its usage chunk.
		out.StreamOptions = &unified.StreamOptions{IncludeUsage: true}
	}

	ub, err := json.Marshal(out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	return &dialect.Request{
		Endpoint:     model,
		Task:         providers.TaskChat,
		Body:         ub,
		Stream:       stream,
		IncludeUsage: true,
		// Header stays nil here: the gateway copies openai-beta from the
		// client's request into it.
		Forward: &providers.ForwardRequest{Method: "POST", Path: ForwardPath, Body: body, ModelField: "model", Stream: stream},
		State:   st,
	}, nil
}

func (c *converter) text(raw json.RawMessage) *providers.Error {
	if absent(raw) {
		return nil
	}
	var t struct {
		Format json.RawMessage `json:"format"`
	}
	if perr := decodeObject(raw, "text", &t); perr != nil {
		return perr
	}
	c.st.Echo.Text = raw
	if absent(t.Format) {
		return nil
	}
	var f struct {
		Type        json.RawMessage `json:"type"`
		Name        json.RawMessage `json:"name"`
		Description json.RawMessage `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      json.RawMessage `json:"strict"`
	}
	if perr := decodeObject(t.Format, "text.format", &f); perr != nil {
		return perr
	}
	typ, perr := requiredString(f.Type, "text.format.type")
	if perr != nil {
		return perr
	}
	switch typ {
	case "text":
	case "json_object":
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_object"}
	case "json_schema":
		name, perr := requiredString(f.Name, "text.format.name")
		if perr != nil {
			return perr
		}
		desc, perr := optionalString(f.Description, "text.format.description")
		if perr != nil {
			return perr
		}
		if absent(f.Schema) {
			return missing("text.format.schema")
		}
		if f.Schema[0] != '{' {
			return invalidType("text.format.schema", "an object", f.Schema)
		}
		js := &unified.JSONSchema{Name: name, Description: desc, Schema: f.Schema}
		if !absent(f.Strict) {
			b, perr := decodeBool(f.Strict, "text.format.strict")
			if perr != nil {
				return perr
			}
			js.Strict = &b
		}
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_schema", JSONSchema: js}
	default:
		c.nativeOnly("text.format (" + typ + ")")
	}
	return nil
}
