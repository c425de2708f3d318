package anthropic

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// wireRequest is the Messages request, each field kept raw so that a wrong
// type is reported with the field's name, as Anthropic does. Fields this
// gateway does not translate (top_k, service_tier, container, mcp_servers,
// ...) are not read at all: a natively forwarded request keeps them.
type wireRequest struct {
	Model         json.RawMessage `json:"model"`
	MaxTokens     json.RawMessage `json:"max_tokens"`
	Messages      json.RawMessage `json:"messages"`
	System        json.RawMessage `json:"system"`
	Tools         json.RawMessage `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
	StopSequences json.RawMessage `json:"stop_sequences"`
	Temperature   json.RawMessage `json:"temperature"`
	TopP          json.RawMessage `json:"top_p"`
	Stream        json.RawMessage `json:"stream"`
	Metadata      json.RawMessage `json:"metadata"`
	Thinking      json.RawMessage `json:"thinking"`
	OutputConfig  json.RawMessage `json:"output_config"`
	OutputFormat  json.RawMessage `json:"output_format"`
}

// badRequest is Anthropic's 400, naming the field by its dotted path.
func badRequest(param, format string, args ...any) *providers.Error {
	msg := fmt.Sprintf(format, args...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_request", Param: param, Message: msg}
}

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func path(parent string, elems ...any) string {
	var b strings.Builder
	b.WriteString(parent)
	for _, e := range elems {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, e)
	}
	return b.String()
}

func decodeString(raw json.RawMessage, param string) (string, *providers.Error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", badRequest(param, "Input should be a valid string")
	}
	return s, nil
}

func decodeNumber(raw json.RawMessage, param string) (float64, *providers.Error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badRequest(param, "Input should be a valid number")
	}
	return f, nil
}

func decodeInt(raw json.RawMessage, param string) (int64, *providers.Error) {
	f, perr := decodeNumber(raw, param)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, badRequest(param, "Input should be a valid integer")
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
	return false, badRequest(param, "Input should be a valid boolean")
}

func decodeArray(raw json.RawMessage, param string) ([]json.RawMessage, *providers.Error) {
	var a []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, badRequest(param, "Input should be a valid list")
	}
	return a, nil
}

// decodeObject decodes an object into v, naming the offending field when one
// has the wrong type.
func decodeObject(raw json.RawMessage, param string, v any) *providers.Error {
	if len(raw) == 0 || raw[0] != '{' {
		return badRequest(param, "Input should be a valid dictionary")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badRequest(path(param, te.Field), "Input should be a valid %s", jsonKind(te.Type.Kind().String()))
		}
		return badRequest(param, "Input should be a valid dictionary")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "map", "struct":
		return "dictionary"
	case "ptr":
		return "value"
	default:
		return "number"
	}
}

// ParseRequest implements dialect.Ingress.
func (in *Ingress) ParseRequest(body []byte, p dialect.Params) (*dialect.Request, *providers.Error) {
	countTokens := p.Method == MethodCountTokens
	if !countTokens && p.Method != MethodMessages && p.Method != "" {
		return nil, &providers.Error{Status: 404, Type: "not_found_error", Message: "unknown Messages API method " + strconv.Quote(p.Method)}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, badRequest("", "request body is empty: expected a JSON object")
	}
	if !json.Valid(trimmed) {
		return nil, badRequest("", "request body is not valid JSON")
	}
	if trimmed[0] != '{' {
		return nil, badRequest("", "request body must be a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return nil, badRequest("", "request body must be a JSON object")
	}

	if absent(w.Model) {
		return nil, badRequest("model", "Field required")
	}
	model, perr := decodeString(w.Model, "model")
	if perr != nil {
		return nil, perr
	}
	if model == "" {
		return nil, badRequest("model", "String should have at least 1 character (the name of a gateway endpoint)")
	}
	st := &State{Model: model, CountTokens: countTokens}
	c := &converter{in: in, st: st}
	out := &c.out
	out.Model = model

	if !countTokens {
		if absent(w.MaxTokens) {
			return nil, badRequest("max_tokens", "Field required")
		}
		n, perr := decodeInt(w.MaxTokens, "max_tokens")
		if perr != nil {
			return nil, perr
		}
		if n < 1 {
			return nil, badRequest("max_tokens", "Input should be greater than or equal to 1")
		}
		out.MaxTokens = &n
	} else {
		// The backend is asked for one token: only its prompt_tokens matter.
		one := int64(1)
		out.MaxTokens = &one
	}

	if !absent(w.System) {
		if perr := c.system(w.System); perr != nil {
			return nil, perr
		}
	}
	if absent(w.Messages) {
		return nil, badRequest("messages", "Field required")
	}
	msgs, perr := decodeArray(w.Messages, "messages")
	if perr != nil {
		return nil, perr
	}
	if len(msgs) == 0 {
		return nil, badRequest("messages", "List should have at least 1 item")
	}
	for i, m := range msgs {
		if perr := c.message(i, m); perr != nil {
			return nil, perr
		}
	}

	if perr := c.tools(w.Tools, w.ToolChoice); perr != nil {
		return nil, perr
	}
	if !absent(w.StopSequences) {
		items, perr := decodeArray(w.StopSequences, "stop_sequences")
		if perr != nil {
			return nil, perr
		}
		for i, it := range items {
			s, perr := decodeString(it, path("stop_sequences", i))
			if perr != nil {
				return nil, perr
			}
			out.Stop = append(out.Stop, s)
		}
	}
	if !absent(w.Temperature) {
		f, perr := decodeNumber(w.Temperature, "temperature")
		if perr != nil {
			return nil, perr
		}
		out.Temperature = &f
	}
	if !absent(w.TopP) {
		f, perr := decodeNumber(w.TopP, "top_p")
		if perr != nil {
			return nil, perr
		}
		out.TopP = &f
	}
	if !absent(w.Metadata) {
		var md struct {
			UserID *string `json:"user_id"`
		}
		if perr := decodeObject(w.Metadata, "metadata", &md); perr != nil {
			return nil, perr
		}
		if md.UserID != nil {
			out.User = userField(*md.UserID)
		}
	}
	if perr := c.reasoning(w.Thinking, w.OutputConfig); perr != nil {
		return nil, perr
	}
	if perr := c.outputFormat(w.OutputFormat, w.OutputConfig); perr != nil {
		return nil, perr
	}

	stream := false
	if !absent(w.Stream) {
		if stream, perr = decodeBool(w.Stream, "stream"); perr != nil {
			return nil, perr
		}
	}
	if countTokens {
		// count_tokens never streams, and a reasoning model given one token
		// would spend it thinking (or refuse): the count needs neither.
		stream = false
		out.ReasoningEffort = ""
		st.Thinking = false
	}
	if stream {
		out.Stream = true
		// Anthropic reports usage in message_start/message_delta, so the
		// unified stream must always end with its usage chunk.
		out.StreamOptions = &unified.StreamOptions{IncludeUsage: true}
	}

	ub, err := json.Marshal(out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	fwdPath := "/v1/messages"
	if countTokens {
		fwdPath = "/v1/messages/count_tokens"
	}
	return &dialect.Request{
		Endpoint:     model,
		Task:         providers.TaskChat,
		Body:         ub,
		Stream:       stream,
		IncludeUsage: stream,
		// Header stays nil here: the gateway copies anthropic-version and
		// anthropic-beta from the client's request into it.
		Forward: &providers.ForwardRequest{Method: "POST", Path: fwdPath, Body: body, ModelField: "model", Stream: stream},
		State:   st,
	}, nil
}

// maxUserLen is the longest "user" OpenAI accepts; OpenRouter's limit (128)
// is looser. Claude Code's user_id is about 150 characters.
const maxUserLen = 64

// userField maps metadata.user_id to OpenAI's user: a longer id becomes its
// SHA-256 in hex (64 characters), still stable per user.
func userField(id string) string {
	if len(id) <= maxUserLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// converter builds the unified request.
type converter struct {
	in  *Ingress
	st  *State
	out unified.ChatRequest
}

func (c *converter) drop(what string) { c.st.Dropped = append(c.st.Dropped, what) }

// system turns the system prompt into one system message; text blocks are
// joined with a blank line (OpenAI-compatible servers do not all take arrays
// for system content).
func (c *converter) system(raw json.RawMessage) *providers.Error {
	var text string
	if raw[0] == '"' {
		s, perr := decodeString(raw, "system")
		if perr != nil {
			return perr
		}
		text = s
	} else {
		blocks, perr := decodeArray(raw, "system")
		if perr != nil {
			return badRequest("system", "Input should be a valid string or a list of text blocks")
		}
		var parts []string
		for i, b := range blocks {
			p := path("system", i)
			var tb struct {
				Type string  `json:"type"`
				Text *string `json:"text"`
			}
			if perr := decodeObject(b, p, &tb); perr != nil {
				return perr
			}
			if tb.Type != "text" {
				return badRequest(path(p, "type"), "Input should be 'text'")
			}
			if tb.Text == nil {
				return badRequest(path(p, "text"), "Field required")
			}
			parts = append(parts, *tb.Text)
		}
		text = strings.Join(parts, "\n\n")
	}
	if text != "" {
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleSystem, Content: unified.TextContent(text)})
	}
	return nil
}

// wireBlock is a request content block; only the fields of translated types
// are read.
type wireBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	Source    json.RawMessage `json:"source"`
	ID        *string         `json:"id"`
	Name      *string         `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID *string         `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   *bool           `json:"is_error"`
}

type wireSource struct {
	Type      string          `json:"type"`
	MediaType string          `json:"media_type"`
	Data      *string         `json:"data"`
	URL       *string         `json:"url"`
	Content   json.RawMessage `json:"content"`
}

// decodeBlockType reads a block's type. Block types this translation cannot
// carry to another provider (server tool use and results, search results,
// container uploads, types newer than this gateway) are dropped and recorded
// by the callers rather than rejected, because the same request may be
// forwarded natively to Anthropic, which knows them.
func decodeBlockType(raw json.RawMessage, param string) (string, *providers.Error) {
	var head struct {
		Type json.RawMessage `json:"type"`
	}
	if perr := decodeObject(raw, param, &head); perr != nil {
		return "", perr
	}
	if absent(head.Type) {
		return "", badRequest(path(param, "type"), "Field required")
	}
	return decodeString(head.Type, path(param, "type"))
}

func decodeBlock(raw json.RawMessage, param string) (wireBlock, *providers.Error) {
	var b wireBlock
	perr := decodeObject(raw, param, &b)
	return b, perr
}

// message converts messages[i].
func (c *converter) message(i int, raw json.RawMessage) *providers.Error {
	p := path("messages", i)
	var m struct {
		Role    json.RawMessage `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if perr := decodeObject(raw, p, &m); perr != nil {
		return perr
	}
	if absent(m.Role) {
		return badRequest(path(p, "role"), "Field required")
	}
	role, perr := decodeString(m.Role, path(p, "role"))
	if perr != nil {
		return perr
	}
	if role != unified.RoleUser && role != unified.RoleAssistant {
		return badRequest(path(p, "role"), "Input should be 'user' or 'assistant'")
	}
	if absent(m.Content) {
		return badRequest(path(p, "content"), "Field required")
	}
	if m.Content[0] == '"' {
		s, perr := decodeString(m.Content, path(p, "content"))
		if perr != nil {
			return perr
		}
		c.out.Messages = append(c.out.Messages, unified.Message{Role: role, Content: unified.TextContent(s)})
		return nil
	}
	blocks, perr := decodeArray(m.Content, path(p, "content"))
	if perr != nil {
		return badRequest(path(p, "content"), "Input should be a valid string or a list of content blocks")
	}
	if role == unified.RoleAssistant {
		return c.assistant(p, blocks)
	}
	return c.user(p, blocks)
}

// assistant converts an assistant turn: text blocks are concatenated into the
// content, tool_use blocks become tool_calls, thinking is dropped.
func (c *converter) assistant(p string, blocks []json.RawMessage) *providers.Error {
	var (
		text    strings.Builder
		hasText bool
		calls   []unified.ToolCall
	)
	for j, raw := range blocks {
		bp := path(p, "content", j)
		typ, perr := decodeBlockType(raw, bp)
		if perr != nil {
			return perr
		}
		switch typ {
		case "text":
			b, perr := decodeBlock(raw, bp)
			if perr != nil {
				return perr
			}
			if b.Text == nil {
				return badRequest(path(bp, "text"), "Field required")
			}
			text.WriteString(*b.Text)
			hasText = true
		case "tool_use":
			call, perr := c.toolUse(raw, bp)
			if perr != nil {
				return perr
			}
			calls = append(calls, call)
		case "thinking", "redacted_thinking":
			// Signed by Anthropic and meaningful only to it.
		case "tool_result":
			return badRequest(path(bp, "type"), "tool_result blocks are only allowed in user messages")
		default:
			c.drop(bp + " (" + typ + ")")
		}
	}
	if !hasText && len(calls) == 0 {
		// Nothing another provider can read (only thinking, say): an OpenAI
		// assistant message needs content or tool calls, so leave it out.
		return nil
	}
	m := unified.Message{Role: unified.RoleAssistant, ToolCalls: calls}
	if hasText {
		m.Content = unified.TextContent(text.String())
	}
	c.out.Messages = append(c.out.Messages, m)
	return nil
}

func (c *converter) toolUse(raw json.RawMessage, bp string) (unified.ToolCall, *providers.Error) {
	b, perr := decodeBlock(raw, bp)
	if perr != nil {
		return unified.ToolCall{}, perr
	}
	if b.ID == nil {
		return unified.ToolCall{}, badRequest(path(bp, "id"), "Field required")
	}
	if b.Name == nil {
		return unified.ToolCall{}, badRequest(path(bp, "name"), "Field required")
	}
	args := "{}"
	if !absent(b.Input) {
		if b.Input[0] != '{' {
			return unified.ToolCall{}, badRequest(path(bp, "input"), "Input should be a valid dictionary")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b.Input); err == nil {
			args = buf.String()
		}
	}
	return unified.ToolCall{ID: *b.ID, Type: "function", Function: unified.FunctionCall{Name: *b.Name, Arguments: args}}, nil
}

// user converts a user turn: one tool message per tool_result, in order, then
// a user message with everything else.
func (c *converter) user(p string, blocks []json.RawMessage) *providers.Error {
	var (
		tools []unified.Message
		parts []unified.Part
		moved []unified.Part // images from tool results
	)
	for j, raw := range blocks {
		bp := path(p, "content", j)
		typ, perr := decodeBlockType(raw, bp)
		if perr != nil {
			return perr
		}
		switch typ {
		case "text", "image", "document":
			ps, perr := c.mediaBlock(typ, raw, bp)
			if perr != nil {
				return perr
			}
			parts = append(parts, ps...)
		case "tool_result":
			tm, imgs, perr := c.toolResult(raw, bp)
			if perr != nil {
				return perr
			}
			tools = append(tools, tm)
			if len(imgs) > 0 {
				moved = append(moved, unified.Part{Type: unified.PartText, Text: "Image from the result of tool call " + tm.ToolCallID + ":"})
				moved = append(moved, imgs...)
			}
		case "tool_use":
			return badRequest(path(bp, "type"), "tool_use blocks are only allowed in assistant messages")
		case "thinking", "redacted_thinking":
		default:
			c.drop(bp + " (" + typ + ")")
		}
	}
	c.out.Messages = append(c.out.Messages, tools...)
	parts = append(moved, parts...)
	switch {
	case len(parts) == 0:
		if len(tools) == 0 {
			// Every block was dropped; keep the turn so roles still alternate.
			c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.TextContent("")})
		}
	case len(parts) == 1 && parts[0].Type == unified.PartText:
		// Plain string content reaches the most OpenAI-compatible servers.
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.TextContent(parts[0].Text)})
	default:
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.Content{Parts: parts}})
	}
	return nil
}

// mediaBlock converts a text, image or document block into parts; sources no
// other provider can fetch (url documents, Files API ids) are dropped.
func (c *converter) mediaBlock(typ string, raw json.RawMessage, bp string) ([]unified.Part, *providers.Error) {
	b, perr := decodeBlock(raw, bp)
	if perr != nil {
		return nil, perr
	}
	if typ == "text" {
		if b.Text == nil {
			return nil, badRequest(path(bp, "text"), "Field required")
		}
		return []unified.Part{{Type: unified.PartText, Text: *b.Text}}, nil
	}
	sp := path(bp, "source")
	if absent(b.Source) {
		return nil, badRequest(sp, "Field required")
	}
	var src wireSource
	if perr := decodeObject(b.Source, sp, &src); perr != nil {
		return nil, perr
	}
	need := func(v *string, field string) (string, *providers.Error) {
		if v == nil || *v == "" {
			return "", badRequest(path(sp, field), "Field required")
		}
		return *v, nil
	}
	switch {
	case src.Type == "base64":
		data, perr := need(src.Data, "data")
		if perr != nil {
			return nil, perr
		}
		if src.MediaType == "" {
			return nil, badRequest(path(sp, "media_type"), "Field required")
		}
		uri := "data:" + src.MediaType + ";base64," + data
		if typ == "image" {
			return []unified.Part{{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}}, nil
		}
		return []unified.Part{{Type: unified.PartFile, File: &unified.File{FileData: uri, Filename: "document.pdf"}}}, nil
	case src.Type == "url":
		u, perr := need(src.URL, "url")
		if perr != nil {
			return nil, perr
		}
		if typ == "image" {
			return []unified.Part{{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: u}}}, nil
		}
		// OpenAI's file parts take inline data or uploaded ids, not URLs.
		c.drop(bp + " (document url source)")
		return nil, nil
	case src.Type == "text" && typ == "document":
		data, perr := need(src.Data, "data")
		if perr != nil {
			return nil, perr
		}
		return []unified.Part{{Type: unified.PartText, Text: data}}, nil
	case src.Type == "content" && typ == "document":
		if absent(src.Content) {
			return nil, badRequest(path(sp, "content"), "Field required")
		}
		if src.Content[0] == '"' {
			s, perr := decodeString(src.Content, path(sp, "content"))
			if perr != nil {
				return nil, perr
			}
			return []unified.Part{{Type: unified.PartText, Text: s}}, nil
		}
		items, perr := decodeArray(src.Content, path(sp, "content"))
		if perr != nil {
			return nil, perr
		}
		var out []unified.Part
		for k, it := range items {
			ip := path(sp, "content", k)
			t, perr := decodeBlockType(it, ip)
			if perr != nil {
				return nil, perr
			}
			if t != "text" && t != "image" {
				return nil, badRequest(path(ip, "type"), "Input should be 'text' or 'image'")
			}
			ps, perr := c.mediaBlock(t, it, ip)
			if perr != nil {
				return nil, perr
			}
			out = append(out, ps...)
		}
		return out, nil
	case src.Type == "file":
		c.drop(bp + " (" + typ + " file source)")
		return nil, nil
	default:
		return nil, badRequest(path(sp, "type"), "unsupported %s source type %q", typ, src.Type)
	}
}

// toolResult converts a tool_result block into a tool message; images it
// holds are returned to travel in the following user message.
func (c *converter) toolResult(raw json.RawMessage, bp string) (unified.Message, []unified.Part, *providers.Error) {
	b, perr := decodeBlock(raw, bp)
	if perr != nil {
		return unified.Message{}, nil, perr
	}
	if b.ToolUseID == nil {
		return unified.Message{}, nil, badRequest(path(bp, "tool_use_id"), "Field required")
	}
	var (
		text strings.Builder
		imgs []unified.Part
	)
	switch {
	case absent(b.Content):
	case b.Content[0] == '"':
		s, perr := decodeString(b.Content, path(bp, "content"))
		if perr != nil {
			return unified.Message{}, nil, perr
		}
		text.WriteString(s)
	default:
		items, perr := decodeArray(b.Content, path(bp, "content"))
		if perr != nil {
			return unified.Message{}, nil, badRequest(path(bp, "content"), "Input should be a valid string or a list of content blocks")
		}
		for k, it := range items {
			ip := path(bp, "content", k)
			t, perr := decodeBlockType(it, ip)
			if perr != nil {
				return unified.Message{}, nil, perr
			}
			switch t {
			case "text", "image", "document":
				ps, perr := c.mediaBlock(t, it, ip)
				if perr != nil {
					return unified.Message{}, nil, perr
				}
				for _, p := range ps {
					if p.Type == unified.PartText {
						if text.Len() > 0 {
							text.WriteString("\n")
						}
						text.WriteString(p.Text)
					} else {
						imgs = append(imgs, p)
					}
				}
			default:
				c.drop(ip + " (" + t + ")")
			}
		}
	}
	content := text.String()
	if b.IsError != nil && *b.IsError {
		// OpenAI tool messages have no error flag; say it in the content.
		content = "Error: " + content
	}
	return unified.Message{Role: unified.RoleTool, ToolCallID: *b.ToolUseID, Content: unified.TextContent(content)}, imgs, nil
}

// tools converts client tools and tool_choice. Server and Anthropic-defined
// tools (any "type" but "custom") are left out and recorded.
func (c *converter) tools(rawTools, rawChoice json.RawMessage) *providers.Error {
	names, dropped := map[string]bool{}, map[string]bool{}
	if !absent(rawTools) {
		items, perr := decodeArray(rawTools, "tools")
		if perr != nil {
			return perr
		}
		for i, raw := range items {
			p := path("tools", i)
			var t struct {
				Type        *string         `json:"type"`
				Name        *string         `json:"name"`
				Description *string         `json:"description"`
				InputSchema json.RawMessage `json:"input_schema"`
				Strict      *bool           `json:"strict"`
			}
			if perr := decodeObject(raw, p, &t); perr != nil {
				return perr
			}
			if t.Type != nil && *t.Type != "custom" && *t.Type != "" {
				name := *t.Type
				if t.Name != nil {
					dropped[*t.Name] = true
					name = *t.Name + ", " + name
				}
				c.drop(p + " (" + name + ")")
				continue
			}
			if t.Name == nil || *t.Name == "" {
				return badRequest(path(p, "name"), "Field required")
			}
			if absent(t.InputSchema) {
				return badRequest(path(p, "input_schema"), "Field required")
			}
			if t.InputSchema[0] != '{' {
				return badRequest(path(p, "input_schema"), "Input should be a valid dictionary")
			}
			fd := unified.FunctionDef{Name: *t.Name, Parameters: t.InputSchema, Strict: t.Strict}
			if t.Description != nil {
				fd.Description = *t.Description
			}
			c.out.Tools = append(c.out.Tools, unified.Tool{Type: "function", Function: fd})
			names[*t.Name] = true
		}
	}
	if absent(rawChoice) {
		return nil
	}
	var tc struct {
		Type                   *string `json:"type"`
		Name                   *string `json:"name"`
		DisableParallelToolUse *bool   `json:"disable_parallel_tool_use"`
	}
	if perr := decodeObject(rawChoice, "tool_choice", &tc); perr != nil {
		return perr
	}
	if tc.Type == nil {
		return badRequest("tool_choice.type", "Field required")
	}
	var choice unified.ToolChoice
	switch *tc.Type {
	case "auto":
		choice.Mode = unified.ToolChoiceAuto
	case "any":
		choice.Mode = unified.ToolChoiceRequired
	case "none":
		choice.Mode = unified.ToolChoiceNone
	case "tool":
		if tc.Name == nil || *tc.Name == "" {
			return badRequest("tool_choice.name", "Field required")
		}
		if !names[*tc.Name] {
			if !dropped[*tc.Name] {
				return badRequest("tool_choice.name", "no tool named %q in tools", *tc.Name)
			}
			// Forcing a tool this translation dropped: let the model choose.
			c.drop("tool_choice (" + *tc.Name + ")")
			choice.Mode = unified.ToolChoiceAuto
		} else {
			choice.Function = *tc.Name
		}
	default:
		return badRequest("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'")
	}
	if len(c.out.Tools) == 0 {
		// OpenAI rejects tool_choice and parallel_tool_calls without tools.
		return nil
	}
	c.out.ToolChoice = &choice
	if tc.DisableParallelToolUse != nil && *tc.DisableParallelToolUse && choice.Mode != unified.ToolChoiceNone {
		f := false
		c.out.ParallelToolCalls = &f
	}
	return nil
}

// reasoning maps extended thinking (and output_config.effort) to
// reasoning_effort.
func (c *converter) reasoning(rawThinking, rawOutputConfig json.RawMessage) *providers.Error {
	if !absent(rawThinking) {
		var th struct {
			Type         *string         `json:"type"`
			BudgetTokens json.RawMessage `json:"budget_tokens"`
		}
		if perr := decodeObject(rawThinking, "thinking", &th); perr != nil {
			return perr
		}
		if th.Type == nil {
			return badRequest("thinking.type", "Field required")
		}
		switch *th.Type {
		case "enabled":
			if absent(th.BudgetTokens) {
				return badRequest("thinking.budget_tokens", "Field required")
			}
			n, perr := decodeInt(th.BudgetTokens, "thinking.budget_tokens")
			if perr != nil {
				return perr
			}
			if n < 1 {
				return badRequest("thinking.budget_tokens", "Input should be greater than or equal to 1")
			}
			c.st.Thinking = true
			switch {
			case n <= 1024:
				c.out.ReasoningEffort = "low"
			case n <= 8192:
				c.out.ReasoningEffort = "medium"
			default:
				c.out.ReasoningEffort = "high"
			}
		case "adaptive":
			c.st.Thinking = true
			c.out.ReasoningEffort = "medium"
		case "disabled":
		default:
			return badRequest("thinking.type", "Input should be 'enabled', 'disabled' or 'adaptive'")
		}
	}
	if !absent(rawOutputConfig) {
		var oc struct {
			Effort *string `json:"effort"`
		}
		if perr := decodeObject(rawOutputConfig, "output_config", &oc); perr != nil {
			return perr
		}
		if oc.Effort != nil {
			switch *oc.Effort {
			case "low", "medium", "high":
				c.out.ReasoningEffort = *oc.Effort
			case "max":
				c.out.ReasoningEffort = "high"
			default:
				return badRequest("output_config.effort", "Input should be 'low', 'medium', 'high' or 'max'")
			}
		}
	}
	return nil
}

// outputFormat maps structured outputs (output_config.format, or the older
// beta output_format) to response_format json_schema.
func (c *converter) outputFormat(rawFormat, rawOutputConfig json.RawMessage) *providers.Error {
	param := "output_format"
	raw := rawFormat
	if !absent(rawOutputConfig) {
		var oc struct {
			Format json.RawMessage `json:"format"`
		}
		if perr := decodeObject(rawOutputConfig, "output_config", &oc); perr != nil {
			return perr
		}
		if !absent(oc.Format) {
			param, raw = "output_config.format", oc.Format
		}
	}
	if absent(raw) {
		return nil
	}
	var f struct {
		Type   *string         `json:"type"`
		Schema json.RawMessage `json:"schema"`
	}
	if perr := decodeObject(raw, param, &f); perr != nil {
		return perr
	}
	if f.Type == nil || *f.Type != "json_schema" {
		return badRequest(path(param, "type"), "Input should be 'json_schema'")
	}
	if absent(f.Schema) || f.Schema[0] != '{' {
		return badRequest(path(param, "schema"), "Input should be a valid dictionary")
	}
	c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_schema", JSONSchema: &unified.JSONSchema{Name: "output", Schema: f.Schema}}
	return nil
}
