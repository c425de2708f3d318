package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

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

// badRequest is OpenAI's 400.
func badRequest(param, code, format string, args ...any) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

func missing(param string) *providers.Error {
	return badRequest(param, "missing_required_parameter", "Missing required parameter: '%s'.", param)
}

func invalidType(param, expected string, raw json.RawMessage) *providers.Error {
	return badRequest(param, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.", param, expected, kindOf(raw))
}

func invalidValue(param, value string, supported ...string) *providers.Error {
	quoted := make([]string, len(supported))
	for i, s := range supported {
		quoted[i] = "'" + s + "'"
	}
	return badRequest(param, "invalid_value", "Invalid value for '%s': '%s'. Supported values are: %s.", param, value, strings.Join(quoted, ", "))
}

// kindOf names a JSON value's kind the way OpenAI's errors do.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "a decimal"
	}
	return "an integer"
}

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func decodeString(raw json.RawMessage, param string) (string, *providers.Error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", invalidType(param, "a string", raw)
	}
	return s, nil
}

// requiredString decodes a field that must be a non-empty string.
func requiredString(raw json.RawMessage, param string) (string, *providers.Error) {
	if absent(raw) {
		return "", missing(param)
	}
	s, perr := decodeString(raw, param)
	if perr == nil && s == "" {
		perr = badRequest(param, "empty_string", "Invalid '%s': empty string. Expected a string with minimum length 1, but got an empty string instead.", param)
	}
	return s, perr
}

// optionalString decodes a field that may be absent or null.
func optionalString(raw json.RawMessage, param string) (string, *providers.Error) {
	if absent(raw) {
		return "", nil
	}
	return decodeString(raw, param)
}

func decodeNumber(raw json.RawMessage, param string) (float64, *providers.Error) {
	var f float64
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) || json.Unmarshal(raw, &f) != nil ||
		math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, invalidType(param, "a decimal", raw)
	}
	return f, nil
}

func decodeInt(raw json.RawMessage, param string) (int64, *providers.Error) {
	f, perr := decodeNumber(raw, param)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, invalidType(param, "an integer", raw)
	}
	return int64(f), nil
}

func decodeBool(raw json.RawMessage, param string) (bool, *providers.Error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidType(param, "a boolean", raw)
}

func decodeArray(raw json.RawMessage, param string) ([]json.RawMessage, *providers.Error) {
	var a []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, invalidType(param, "an array", raw)
	}
	return a, nil
}

// decodeObject decodes an object whose fields are json.RawMessage (or
// strings checked later); only the outer shape can be wrong here.
func decodeObject(raw json.RawMessage, param string, v any) *providers.Error {
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, v) != nil {
		return invalidType(param, "an object", raw)
	}
	return nil
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

func idx(param string, i int) string { return param + "[" + strconv.Itoa(i) + "]" }

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

// wireItem is one input item, any type.
type wireItem struct {
	Type      json.RawMessage `json:"type"`
	Role      json.RawMessage `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    json.RawMessage `json:"call_id"`
	Name      json.RawMessage `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// item converts one input item.
func (c *converter) item(raw json.RawMessage, param string) *providers.Error {
	var it wireItem
	if perr := decodeObject(raw, param, &it); perr != nil {
		return perr
	}
	typ := "message"
	if !absent(it.Type) {
		s, perr := decodeString(it.Type, param+".type")
		if perr != nil {
			return perr
		}
		typ = s
	} else if absent(it.Role) {
		return missing(param + ".type")
	}
	if typ != "function_call_output" {
		c.flushDeferred()
	}
	switch typ {
	case "message":
		return c.message(&it, param)
	case "function_call":
		return c.functionCall(&it, param)
	case "function_call_output":
		return c.functionCallOutput(&it, param)
	case "reasoning":
		// The model's own reasoning: only OpenAI can read it back, and
		// dropping it loses nothing a chat model could use.
		return nil
	default:
		// item_reference, hosted tool calls and their outputs (web_search_call,
		// computer_call_output, mcp_call, custom_tool_call, ...).
		c.nativeOnly(param + " (" + typ + ")")
		return nil
	}
}

// lastAssistant returns the last message when it is the assistant's, so
// assistant items of one turn become one chat message.
func (c *converter) lastAssistant() *unified.Message {
	if n := len(c.out.Messages); n > 0 && c.out.Messages[n-1].Role == unified.RoleAssistant {
		return &c.out.Messages[n-1]
	}
	return nil
}

func (c *converter) message(it *wireItem, param string) *providers.Error {
	role, perr := requiredString(it.Role, param+".role")
	if perr != nil {
		return perr
	}
	switch role {
	case unified.RoleUser, unified.RoleAssistant, unified.RoleSystem, unified.RoleDeveloper:
	default:
		return invalidValue(param+".role", role, "user", "assistant", "system", "developer")
	}
	if absent(it.Content) {
		return missing(param + ".content")
	}
	var (
		text    *string
		parts   []unified.Part
		refusal string
	)
	if it.Content[0] == '"' {
		s, perr := decodeString(it.Content, param+".content")
		if perr != nil {
			return perr
		}
		text = &s
	} else {
		raws, perr := decodeArray(it.Content, param+".content")
		if perr != nil {
			return invalidType(param+".content", "a string or an array", it.Content)
		}
		parts = make([]unified.Part, 0, len(raws))
		for j, raw := range raws {
			pp := idx(param+".content", j)
			p, ok, perr := c.part(raw, pp)
			if perr != nil {
				return perr
			}
			if !ok {
				continue
			}
			switch {
			case p.Type == unified.PartRefusal && role == unified.RoleAssistant:
				refusal += p.Refusal
			case p.Type == unified.PartRefusal:
				parts = append(parts, unified.Part{Type: unified.PartText, Text: p.Refusal})
			case p.Type != unified.PartText && role != unified.RoleUser:
				// Chat completions takes images and files from the user only.
				c.nativeOnly(pp + " (" + p.Type + " in a " + role + " message)")
			default:
				parts = append(parts, p)
			}
		}
	}
	if role == unified.RoleUser {
		content := unified.Content{Text: text, Parts: parts}
		if content.IsNull() {
			content.Parts = []unified.Part{}
		}
		c.out.Messages = append(c.out.Messages, unified.Message{Role: role, Content: content})
		return nil
	}
	// System, developer and assistant content is text: the parts are joined.
	s := ""
	if text != nil {
		s = *text
	} else {
		sep := ""
		if role != unified.RoleAssistant {
			sep = "\n"
		}
		ss := make([]string, 0, len(parts))
		for _, p := range parts {
			ss = append(ss, p.Text)
		}
		s = strings.Join(ss, sep)
	}
	if role != unified.RoleAssistant {
		c.out.Messages = append(c.out.Messages, unified.Message{Role: role, Content: unified.TextContent(s)})
		return nil
	}
	m := c.lastAssistant()
	if m == nil {
		c.out.Messages = append(c.out.Messages, unified.Message{Role: role})
		m = &c.out.Messages[len(c.out.Messages)-1]
	}
	if s != "" {
		if prev := m.Content.PlainText(); prev != "" {
			s = prev + "\n" + s
		}
		m.Content = unified.TextContent(s)
	}
	if refusal != "" {
		if m.Refusal != nil {
			refusal = *m.Refusal + refusal
		}
		m.Refusal = &refusal
	}
	return nil
}

// wirePart is one content part of a message or of a tool output.
type wirePart struct {
	Type     json.RawMessage `json:"type"`
	Text     json.RawMessage `json:"text"`
	Refusal  json.RawMessage `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"`
	FileID   json.RawMessage `json:"file_id"`
	FileData json.RawMessage `json:"file_data"`
	FileURL  json.RawMessage `json:"file_url"`
	Filename json.RawMessage `json:"filename"`
	Detail   json.RawMessage `json:"detail"`
	// InputAudio is input_audio's {data, format}.
	InputAudio json.RawMessage `json:"input_audio"`
}

// part converts one content part; ok is false when it is left out (an
// OpenAI-only source, named in State.NativeOnly).
func (c *converter) part(raw json.RawMessage, param string) (unified.Part, bool, *providers.Error) {
	var p wirePart
	if perr := decodeObject(raw, param, &p); perr != nil {
		return unified.Part{}, false, perr
	}
	typ, perr := requiredString(p.Type, param+".type")
	if perr != nil {
		return unified.Part{}, false, perr
	}
	switch typ {
	case "input_text", "output_text":
		s, perr := decodeString(p.Text, param+".text")
		if absent(p.Text) {
			perr = missing(param + ".text")
		}
		return unified.Part{Type: unified.PartText, Text: s}, true, perr
	case "refusal":
		s, perr := decodeString(p.Refusal, param+".refusal")
		if absent(p.Refusal) {
			perr = missing(param + ".refusal")
		}
		return unified.Part{Type: unified.PartRefusal, Refusal: s}, true, perr
	case "input_image":
		url, perr := optionalString(p.ImageURL, param+".image_url")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		detail, perr := optionalString(p.Detail, param+".detail")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		if url == "" {
			if absent(p.FileID) {
				return unified.Part{}, false, missing(param + ".image_url")
			}
			c.nativeOnly(param + ".file_id")
			return unified.Part{}, false, nil
		}
		return unified.Part{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: url, Detail: detail}}, true, nil
	case "input_file":
		data, perr := optionalString(p.FileData, param+".file_data")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		name, perr := optionalString(p.Filename, param+".filename")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		if data == "" {
			switch {
			case !absent(p.FileID):
				c.nativeOnly(param + ".file_id")
			case !absent(p.FileURL):
				c.nativeOnly(param + ".file_url")
			default:
				return unified.Part{}, false, missing(param + ".file_data")
			}
			return unified.Part{}, false, nil
		}
		return unified.Part{Type: unified.PartFile, File: &unified.File{FileData: data, Filename: name}}, true, nil
	case "input_audio":
		var a struct {
			Data   json.RawMessage `json:"data"`
			Format json.RawMessage `json:"format"`
		}
		if perr := decodeObject(p.InputAudio, param+".input_audio", &a); perr != nil {
			return unified.Part{}, false, perr
		}
		data, perr := requiredString(a.Data, param+".input_audio.data")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		format, perr := requiredString(a.Format, param+".input_audio.format")
		if perr != nil {
			return unified.Part{}, false, perr
		}
		return unified.Part{Type: unified.PartInputAudio, InputAudio: &unified.InputAudio{Data: data, Format: format}}, true, nil
	default:
		c.nativeOnly(param + " (" + typ + ")")
		return unified.Part{}, false, nil
	}
}

func (c *converter) functionCall(it *wireItem, param string) *providers.Error {
	callID, perr := requiredString(it.CallID, param+".call_id")
	if perr != nil {
		return perr
	}
	name, perr := requiredString(it.Name, param+".name")
	if perr != nil {
		return perr
	}
	if absent(it.Arguments) {
		return missing(param + ".arguments")
	}
	args, perr := decodeString(it.Arguments, param+".arguments")
	if perr != nil {
		return perr
	}
	c.calls[callID] = true
	m := c.lastAssistant()
	if m == nil {
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleAssistant})
		m = &c.out.Messages[len(c.out.Messages)-1]
	}
	m.ToolCalls = append(m.ToolCalls, unified.ToolCall{ID: callID, Type: "function", Function: unified.FunctionCall{Name: name, Arguments: args}})
	return nil
}

func (c *converter) functionCallOutput(it *wireItem, param string) *providers.Error {
	callID, perr := requiredString(it.CallID, param+".call_id")
	if perr != nil {
		return perr
	}
	if !c.calls[callID] && !c.history {
		return badRequest("input", "", "No tool call found for function call output with call_id %s.", callID)
	}
	if absent(it.Output) {
		return missing(param + ".output")
	}
	var text string
	if it.Output[0] == '"' {
		if text, perr = decodeString(it.Output, param+".output"); perr != nil {
			return perr
		}
	} else {
		raws, perr := decodeArray(it.Output, param+".output")
		if perr != nil {
			return invalidType(param+".output", "a string or an array", it.Output)
		}
		var texts []string
		var media []unified.Part
		for j, raw := range raws {
			p, ok, perr := c.part(raw, idx(param+".output", j))
			if perr != nil {
				return perr
			}
			switch {
			case !ok:
			case p.Type == unified.PartText:
				texts = append(texts, p.Text)
			case p.Type == unified.PartRefusal:
				texts = append(texts, p.Refusal)
			default:
				media = append(media, p)
			}
		}
		text = strings.Join(texts, "\n")
		if len(media) > 0 {
			c.deferred = append(c.deferred, unified.Part{Type: unified.PartText, Text: "Content returned by tool call " + callID + ":"})
			c.deferred = append(c.deferred, media...)
		}
	}
	c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleTool, ToolCallID: callID, Content: unified.TextContent(text)})
	return nil
}

// flushDeferred sends the images of the tool outputs just read in a user
// message, after the tool messages (which chat completions wants right after
// the assistant's tool_calls).
func (c *converter) flushDeferred() {
	if len(c.deferred) == 0 {
		return
	}
	c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.Content{Parts: c.deferred}})
	c.deferred = nil
}

func (c *converter) tools(raw json.RawMessage) *providers.Error {
	if absent(raw) {
		return nil
	}
	items, perr := decodeArray(raw, "tools")
	if perr != nil {
		return perr
	}
	c.st.Echo.Tools = raw
	for i, r := range items {
		param := idx("tools", i)
		var t struct {
			Type        json.RawMessage `json:"type"`
			Name        json.RawMessage `json:"name"`
			Description json.RawMessage `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      json.RawMessage `json:"strict"`
		}
		if perr := decodeObject(r, param, &t); perr != nil {
			return perr
		}
		typ, perr := requiredString(t.Type, param+".type")
		if perr != nil {
			return perr
		}
		if typ != "function" {
			// Built-in (web_search, file_search, code_interpreter,
			// image_generation, computer_use, shell, ...), mcp and custom tools
			// run at OpenAI or need its grammar support.
			c.nativeOnly(param + " (" + typ + ")")
			continue
		}
		name, perr := requiredString(t.Name, param+".name")
		if perr != nil {
			return perr
		}
		desc, perr := optionalString(t.Description, param+".description")
		if perr != nil {
			return perr
		}
		fn := unified.FunctionDef{Name: name, Description: desc}
		if !absent(t.Parameters) {
			if t.Parameters[0] != '{' {
				return invalidType(param+".parameters", "an object", t.Parameters)
			}
			fn.Parameters = t.Parameters
		}
		if !absent(t.Strict) {
			b, perr := decodeBool(t.Strict, param+".strict")
			if perr != nil {
				return perr
			}
			fn.Strict = &b
		}
		c.out.Tools = append(c.out.Tools, unified.Tool{Type: "function", Function: fn})
	}
	return nil
}

func (c *converter) toolChoice(raw json.RawMessage) *providers.Error {
	if absent(raw) {
		return nil
	}
	c.st.Echo.ToolChoice = raw
	if raw[0] == '"' {
		mode, perr := decodeString(raw, "tool_choice")
		if perr != nil {
			return perr
		}
		switch mode {
		case unified.ToolChoiceAuto, unified.ToolChoiceNone, unified.ToolChoiceRequired:
			c.out.ToolChoice = &unified.ToolChoice{Mode: mode}
			return nil
		}
		return invalidValue("tool_choice", mode, "none", "auto", "required")
	}
	var tc struct {
		Type  json.RawMessage   `json:"type"`
		Name  json.RawMessage   `json:"name"`
		Mode  json.RawMessage   `json:"mode"`
		Tools []json.RawMessage `json:"tools"`
	}
	if perr := decodeObject(raw, "tool_choice", &tc); perr != nil {
		return invalidType("tool_choice", "a string or an object", raw)
	}
	typ, perr := requiredString(tc.Type, "tool_choice.type")
	if perr != nil {
		return perr
	}
	switch typ {
	case "function":
		name, perr := requiredString(tc.Name, "tool_choice.name")
		if perr != nil {
			return perr
		}
		c.out.ToolChoice = &unified.ToolChoice{Function: name}
	case "allowed_tools":
		mode, perr := requiredString(tc.Mode, "tool_choice.mode")
		if perr != nil {
			return perr
		}
		if mode != unified.ToolChoiceAuto && mode != unified.ToolChoiceRequired {
			return invalidValue("tool_choice.mode", mode, "auto", "required")
		}
		allowed := map[string]bool{}
		for i, r := range tc.Tools {
			var t struct {
				Type json.RawMessage `json:"type"`
				Name json.RawMessage `json:"name"`
			}
			param := idx("tool_choice.tools", i)
			if perr := decodeObject(r, param, &t); perr != nil {
				return perr
			}
			typ, perr := requiredString(t.Type, param+".type")
			if perr != nil {
				return perr
			}
			if typ != "function" {
				c.nativeOnly(param + " (" + typ + ")")
				continue
			}
			name, perr := requiredString(t.Name, param+".name")
			if perr != nil {
				return perr
			}
			allowed[name] = true
		}
		// Chat completions' own allowed_tools is not universal: keep only the
		// allowed tools instead, with the mode.
		kept := c.out.Tools[:0]
		for _, t := range c.out.Tools {
			if allowed[t.Function.Name] {
				kept = append(kept, t)
			}
		}
		c.out.Tools = kept
		c.out.ToolChoice = &unified.ToolChoice{Mode: mode}
	default:
		// A hosted tool (file_search, web_search_preview, ...), mcp or custom.
		c.nativeOnly("tool_choice (" + typ + ")")
	}
	return nil
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
