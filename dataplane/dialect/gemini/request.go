package gemini

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// ParseRequest implements dialect.Ingress.
func (in *Ingress) ParseRequest(body []byte, p dialect.Params) (*dialect.Request, *providers.Error) {
	var (
		task    = providers.TaskChat
		reqType string
	)
	switch p.Method {
	case MethodGenerateContent, MethodStreamGenerateContent:
		reqType = "GenerateContentRequest"
	case MethodCountTokens:
		reqType = "CountTokensRequest"
	case MethodEmbedContent:
		reqType, task = "EmbedContentRequest", providers.TaskEmbeddings
	case MethodBatchEmbedContents:
		reqType, task = "BatchEmbedContentsRequest", providers.TaskEmbeddings
	default:
		return nil, &providers.Error{Status: 404, Type: "not_found_error", Code: "not_found",
			Message: "method " + strconv.Quote(p.Method) + " is not served; use generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents"}
	}
	endpoint := strings.TrimPrefix(p.Endpoint, "models/")
	if endpoint == "" {
		return nil, invalid("model", "the path must name a gateway endpoint: /v1beta/models/{endpoint}:%s", p.Method)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}") // so the first missing field is named
	}
	if !json.Valid(trimmed) {
		return nil, invalid("", "Invalid JSON payload received: the body is not valid JSON")
	}
	if trimmed[0] != '{' {
		return nil, invalid("", "Invalid JSON payload received: expected a JSON object")
	}
	o, perr := decodeObject(trimmed, "")
	if perr != nil {
		return nil, perr
	}
	st := &State{Endpoint: endpoint, Method: p.Method}
	q := parseQuery(p.Query)
	stream := p.Method == MethodStreamGenerateContent
	st.SSE = stream && q.sse

	var ub []byte
	if task == providers.TaskEmbeddings {
		ub, perr = embeddings(o, st, reqType)
	} else {
		ub, perr = chat(o, st, reqType, stream)
	}
	if perr != nil {
		return nil, perr
	}
	return &dialect.Request{
		Endpoint: endpoint,
		Task:     task,
		Body:     ub,
		Stream:   stream,
		// Gemini reports usageMetadata on its last chunk, so the unified
		// stream must always end with its usage chunk.
		IncludeUsage: true,
		Forward: &providers.ForwardRequest{Method: "POST", Path: "/v1beta/models/{model}:" + p.Method,
			Query: q.forward, Body: body, ModelField: "", Stream: stream},
		State: st,
	}, nil
}

type query struct {
	sse     bool
	forward string
}

// parseQuery finds alt=sse and drops credentials (key=, access_token=) from
// the query string that travels with a forwarded request; the rest is kept
// as the client wrote it.
func parseQuery(raw string) query {
	var q query
	var keep []string
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		switch k {
		case "key", "access_token":
			continue
		case "alt", "$alt":
			q.sse = strings.EqualFold(v, "sse")
		}
		keep = append(keep, kv)
	}
	q.forward = strings.Join(keep, "&")
	return q
}

// converter builds a unified chat request.
type converter struct {
	st      *State
	reqType string
	out     unified.ChatRequest
	// calls counts the history's function calls, for synthesised ids.
	calls int
	// pending are the function calls of the last model turn, which
	// functionResponse parts answer.
	pending []pendingCall
}

type pendingCall struct {
	id, name string
	used     bool
}

func (c *converter) drop(what string) { c.st.Dropped = append(c.st.Dropped, what) }

// chat converts generateContent, streamGenerateContent and countTokens.
func chat(o object, st *State, reqType string, stream bool) ([]byte, *providers.Error) {
	c := &converter{st: st, reqType: reqType}
	c.out.Model = st.Endpoint
	prefix := ""
	countTokens := st.Method == MethodCountTokens
	if countTokens && o.has("generateContentRequest") {
		// countTokens takes either contents or a whole GenerateContentRequest.
		prefix = "generateContentRequest"
		inner, perr := decodeObject(o.get("generateContentRequest"), prefix)
		if perr != nil {
			return nil, perr
		}
		o = inner
	}
	if perr := c.request(o, prefix); perr != nil {
		return nil, perr
	}
	c.jsonHint()
	if countTokens {
		// The backend is asked for one token: only its prompt_tokens
		// matter. A reasoning model given one token would spend it thinking,
		// and one candidate is enough.
		one := int64(1)
		c.out.MaxTokens, c.out.MaxCompletionTokens = &one, nil
		c.out.ReasoningEffort, c.out.N = "", nil
		st.Thoughts = false
	}
	if stream {
		c.out.Stream = true
		c.out.StreamOptions = &unified.StreamOptions{IncludeUsage: true}
	}
	b, err := jsonenc.Marshal(&c.out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	return b, nil
}

// request converts a GenerateContentRequest's fields; prefix is its path.
func (c *converter) request(o object, prefix string) *providers.Error {
	if raw := o.get("systemInstruction"); raw != nil {
		if perr := c.system(raw, join(prefix, "systemInstruction")); perr != nil {
			return perr
		}
	}
	cf := join(prefix, "contents")
	contents, perr := decodeList(o.get("contents"), cf)
	if perr != nil {
		return perr
	}
	if len(contents) == 0 {
		return missing(c.reqType, cf)
	}
	for i, raw := range contents {
		if perr := c.content(raw, index(cf, i)); perr != nil {
			return perr
		}
	}
	if perr := c.tools(o.get("tools"), o.get("toolConfig"), prefix); perr != nil {
		return perr
	}
	if raw := o.get("generationConfig"); raw != nil {
		if perr := c.generationConfig(raw, join(prefix, "generationConfig")); perr != nil {
			return perr
		}
	}
	if o.has("cachedContent") {
		c.drop(join(prefix, "cachedContent"))
	}
	// safetySettings have no OpenAI counterpart; each backend applies its own.
	return nil
}

// jsonHint makes JSON mode work on OpenAI, which rejects json_object
// unless the conversation says "JSON" somewhere; Gemini has no such rule. A
// conversation that does not is given a one-sentence system instruction.
func (c *converter) jsonHint() {
	rf := c.out.ResponseFormat
	if rf == nil || rf.Type != "json_object" {
		return
	}
	for _, m := range c.out.Messages {
		if strings.Contains(strings.ToLower(m.Content.PlainText()), "json") {
			return
		}
	}
	const hint = "Respond in JSON."
	if len(c.out.Messages) > 0 && c.out.Messages[0].Role == unified.RoleSystem {
		text := c.out.Messages[0].Content.PlainText() + "\n\n" + hint
		c.out.Messages[0].Content = unified.TextContent(text)
		return
	}
	c.out.Messages = append([]unified.Message{{Role: unified.RoleSystem, Content: unified.TextContent(hint)}}, c.out.Messages...)
}

// system turns systemInstruction (a Content; a plain string is accepted
// too) into one system message.
func (c *converter) system(raw json.RawMessage, field string) *providers.Error {
	var text string
	if bytes.TrimSpace(raw)[0] == '"' {
		s, perr := decodeString(raw, field)
		if perr != nil {
			return perr
		}
		text = s
	} else {
		o, perr := decodeObject(raw, field)
		if perr != nil {
			return perr
		}
		pf := join(field, "parts")
		parts, perr := decodeList(o.get("parts"), pf)
		if perr != nil {
			return perr
		}
		var texts []string
		for i, praw := range parts {
			p, perr := decodePart(praw, index(pf, i))
			if perr != nil {
				return perr
			}
			switch {
			case p.thought:
			case p.text != nil:
				texts = append(texts, *p.text)
			default:
				c.drop(index(pf, i) + " (" + p.kind + ")")
			}
		}
		text = strings.Join(texts, "\n")
	}
	if text != "" {
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleSystem, Content: unified.TextContent(text)})
	}
	return nil
}

// part is one decoded Part; kind names its data field.
type part struct {
	kind    string
	thought bool
	text    *string
	raw     json.RawMessage // the data field's value
}

// partKinds are the Part data fields, in the order they are looked for.
var partKinds = []string{"text", "inlineData", "fileData", "functionCall", "functionResponse",
	"executableCode", "codeExecutionResult", "toolCall", "toolResponse"}

func decodePart(raw json.RawMessage, field string) (part, *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return part{}, perr
	}
	var p part
	if t := o.get("thought"); t != nil {
		if p.thought, perr = decodeBool(t, join(field, "thought")); perr != nil {
			return part{}, perr
		}
	}
	for _, k := range partKinds {
		if v := o.get(k); v != nil {
			p.kind, p.raw = k, v
			break
		}
	}
	switch p.kind {
	case "text":
		s, perr := decodeString(p.raw, join(field, "text"))
		if perr != nil {
			return part{}, perr
		}
		p.text = &s
	case "":
		if o.has("thoughtSignature") || p.thought {
			// A signature alone (thinking models send them): nothing to carry.
			p.kind, p.thought = "thoughtSignature", true
			return p, nil
		}
		if len(o) == 0 {
			return part{}, invalid(join(field, "data"), "required oneof field 'data' must have one initialized field")
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic, for State.Dropped
		p.kind = strings.Join(keys, ",")
	}
	return p, nil
}

// content converts one Content of contents.
func (c *converter) content(raw json.RawMessage, field string) *providers.Error {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return perr
	}
	role := "user"
	if r := o.get("role"); r != nil {
		if role, perr = decodeString(r, join(field, "role")); perr != nil {
			return perr
		}
	}
	pf := join(field, "parts")
	parts, perr := decodeList(o.get("parts"), pf)
	if perr != nil {
		return perr
	}
	if len(parts) == 0 {
		return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_argument", Param: pf,
			Message: "* " + c.reqType + "." + pf + ": contents.parts must not be empty."}
	}
	switch role {
	case "model":
		return c.modelTurn(parts, pf)
	case "user", "", "function", "tool":
		// "function" is the role older clients give functionResponse turns.
		return c.userTurn(parts, pf)
	default:
		return invalid(join(field, "role"), "%q; please use a valid role: user, model", role)
	}
}

// modelTurn converts a model turn: text parts are concatenated (streamed
// histories hold many), functionCall parts become tool_calls, thoughts are
// dropped.
func (c *converter) modelTurn(parts []json.RawMessage, pf string) *providers.Error {
	var (
		text    strings.Builder
		hasText bool
		calls   []unified.ToolCall
	)
	c.pending = c.pending[:0]
	for i, raw := range parts {
		f := index(pf, i)
		p, perr := decodePart(raw, f)
		if perr != nil {
			return perr
		}
		if p.thought {
			continue
		}
		switch p.kind {
		case "text":
			text.WriteString(*p.text)
			hasText = true
		case "functionCall":
			call, perr := c.functionCall(p.raw, join(f, "functionCall"))
			if perr != nil {
				return perr
			}
			calls = append(calls, call)
		case "functionResponse":
			return invalid(join(f, "functionResponse"), "functionResponse parts belong in user turns")
		default:
			c.drop(f + " (" + p.kind + ")")
		}
	}
	if !hasText && len(calls) == 0 {
		// Nothing another provider can read (only thoughts, say): an OpenAI
		// assistant message needs content or tool calls.
		return nil
	}
	m := unified.Message{Role: unified.RoleAssistant, ToolCalls: calls}
	if hasText {
		m.Content = unified.TextContent(text.String())
	}
	c.out.Messages = append(c.out.Messages, m)
	return nil
}

// functionCall converts one call, giving it its own id or a synthesised one.
func (c *converter) functionCall(raw json.RawMessage, field string) (unified.ToolCall, *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return unified.ToolCall{}, perr
	}
	nraw := o.get("name")
	if nraw == nil {
		return unified.ToolCall{}, missing(c.reqType, join(field, "name"))
	}
	name, perr := decodeString(nraw, join(field, "name"))
	if perr != nil {
		return unified.ToolCall{}, perr
	}
	id := ""
	if iraw := o.get("id"); iraw != nil {
		if id, perr = decodeString(iraw, join(field, "id")); perr != nil {
			return unified.ToolCall{}, perr
		}
	}
	if id == "" {
		id = callID(c.calls, name)
	}
	c.calls++
	args := "{}"
	if a := o.get("args"); a != nil {
		a = bytes.TrimSpace(a)
		if a[0] != '{' {
			return unified.ToolCall{}, wrongType(join(field, "args"), "TYPE_MESSAGE", a)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, a); err == nil {
			args = buf.String()
		}
	}
	c.pending = append(c.pending, pendingCall{id: id, name: name})
	c.st.ToolCallIDs = append(c.st.ToolCallIDs, id)
	return unified.ToolCall{ID: id, Type: "function", Function: unified.FunctionCall{Name: name, Arguments: args}}, nil
}

// callID is the id of the n-th function call of a conversation:
// "call_<n>_<name>", the name reduced to the characters every provider
// accepts in an id.
func callID(n int, name string) string {
	b := []byte("call_" + strconv.Itoa(n) + "_")
	for i := 0; i < len(name) && i < 48; i++ {
		ch := name[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-' {
			b = append(b, ch)
		} else {
			b = append(b, '_')
		}
	}
	return string(b)
}

// userTurn converts a user turn: one tool message per functionResponse, in
// order, then a user message with everything else.
func (c *converter) userTurn(parts []json.RawMessage, pf string) *providers.Error {
	var (
		tools []unified.Message
		ps    []unified.Part
	)
	for i, raw := range parts {
		f := index(pf, i)
		p, perr := decodePart(raw, f)
		if perr != nil {
			return perr
		}
		if p.thought {
			continue
		}
		switch p.kind {
		case "text":
			ps = append(ps, unified.Part{Type: unified.PartText, Text: *p.text})
		case "inlineData":
			up, perr := inlineData(p.raw, join(f, "inlineData"), c.reqType)
			if perr != nil {
				return perr
			}
			ps = append(ps, up)
		case "fileData":
			up, perr := fileData(p.raw, join(f, "fileData"), c.reqType)
			if perr != nil {
				return perr
			}
			ps = append(ps, up)
		case "functionResponse":
			m, orphan, perr := c.functionResponse(p.raw, join(f, "functionResponse"))
			if perr != nil {
				return perr
			}
			if orphan {
				ps = append(ps, unified.Part{Type: unified.PartText, Text: m.Content.PlainText()})
			} else {
				tools = append(tools, m)
			}
		case "functionCall":
			return invalid(join(f, "functionCall"), "functionCall parts belong in model turns")
		default:
			c.drop(f + " (" + p.kind + ")")
		}
	}
	c.out.Messages = append(c.out.Messages, tools...)
	switch {
	case len(ps) == 0:
		if len(tools) == 0 {
			// Every part was dropped; keep the turn so roles still alternate.
			c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.TextContent("")})
		}
	case len(ps) == 1 && ps[0].Type == unified.PartText:
		// Plain string content reaches the most OpenAI-compatible servers.
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.TextContent(ps[0].Text)})
	default:
		c.out.Messages = append(c.out.Messages, unified.Message{Role: unified.RoleUser, Content: unified.Content{Parts: ps}})
	}
	return nil
}

// functionResponse converts a result into a tool message answering the
// matching call of the last model turn: by id when it has one, else the
// first unanswered call of that name. orphan is set when no call matches:
// the message then holds the result as text for the user turn.
func (c *converter) functionResponse(raw json.RawMessage, field string) (unified.Message, bool, *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return unified.Message{}, false, perr
	}
	nraw := o.get("name")
	if nraw == nil {
		return unified.Message{}, false, missing(c.reqType, join(field, "name"))
	}
	name, perr := decodeString(nraw, join(field, "name"))
	if perr != nil {
		return unified.Message{}, false, perr
	}
	id := ""
	if iraw := o.get("id"); iraw != nil {
		if id, perr = decodeString(iraw, join(field, "id")); perr != nil {
			return unified.Message{}, false, perr
		}
	}
	result := "{}"
	if r := o.get("response"); r != nil {
		r = bytes.TrimSpace(r)
		if r[0] != '{' {
			return unified.Message{}, false, wrongType(join(field, "response"), "TYPE_MESSAGE", r)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, r); err == nil {
			result = buf.String()
		}
	}
	match := -1
	if id != "" {
		for i := range c.pending {
			if !c.pending[i].used && c.pending[i].id == id {
				match = i
				break
			}
		}
	}
	if match < 0 {
		for i := range c.pending {
			if !c.pending[i].used && c.pending[i].name == name {
				match = i
				break
			}
		}
	}
	if match < 0 {
		return unified.Message{Content: unified.TextContent("Result of function " + name + ": " + result)}, true, nil
	}
	c.pending[match].used = true
	return unified.Message{Role: unified.RoleTool, ToolCallID: c.pending[match].id, Content: unified.TextContent(result)}, false, nil
}

// blobFields reads a Blob's or FileData's mimeType and the named data field.
func blobFields(raw json.RawMessage, field, dataField, reqType string, needMime bool) (mime, data string, perr *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return "", "", perr
	}
	if m := o.get("mimeType"); m != nil {
		if mime, perr = decodeString(m, join(field, "mimeType")); perr != nil {
			return "", "", perr
		}
	}
	if mime == "" && needMime {
		return "", "", missing(reqType, join(field, "mimeType"))
	}
	d := o.get(dataField)
	if d == nil {
		return "", "", missing(reqType, join(field, dataField))
	}
	if data, perr = decodeString(d, join(field, dataField)); perr != nil {
		return "", "", perr
	}
	if data == "" {
		return "", "", missing(reqType, join(field, dataField))
	}
	return strings.ToLower(strings.TrimSpace(mime)), data, nil
}

// inlineData converts inline bytes (base64): images become a data: URI
// image_url, wav and mp3 audio input_audio, anything else (PDF, text, ...) a
// file part carrying a data: URI.
func inlineData(raw json.RawMessage, field, reqType string) (unified.Part, *providers.Error) {
	mime, data, perr := blobFields(raw, field, "data", reqType, true)
	if perr != nil {
		return unified.Part{}, perr
	}
	uri := "data:" + mime + ";base64," + data
	switch {
	case strings.HasPrefix(mime, "image/"):
		return unified.Part{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}, nil
	case mime == "audio/wav" || mime == "audio/x-wav" || mime == "audio/wave":
		return unified.Part{Type: unified.PartInputAudio, InputAudio: &unified.InputAudio{Data: data, Format: "wav"}}, nil
	case mime == "audio/mp3" || mime == "audio/mpeg":
		return unified.Part{Type: unified.PartInputAudio, InputAudio: &unified.InputAudio{Data: data, Format: "mp3"}}, nil
	}
	return unified.Part{Type: unified.PartFile, File: &unified.File{FileData: uri, Filename: filename(mime)}}, nil
}

// filename names an inline file by its type; OpenAI's file parts want one.
func filename(mime string) string {
	switch mime {
	case "application/pdf":
		return "document.pdf"
	case "text/plain":
		return "document.txt"
	case "text/csv":
		return "document.csv"
	case "text/html":
		return "document.html"
	case "text/markdown", "text/md":
		return "document.md"
	case "application/json":
		return "document.json"
	}
	return "file"
}

// fileData converts a file by URI (gs://, https://, a Files API URI) into an
// image_url carrying the URI, whatever its type: OpenAI's shape has no
// other part that takes a URL.
func fileData(raw json.RawMessage, field, reqType string) (unified.Part, *providers.Error) {
	_, uri, perr := blobFields(raw, field, "fileUri", reqType, false)
	if perr != nil {
		return unified.Part{}, perr
	}
	return unified.Part{Type: unified.PartImageURL, ImageURL: &unified.ImageURL{URL: uri}}, nil
}

// functionModes are FunctionCallingConfig.Mode by number.
var functionModes = []string{"MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"}

// tools converts function declarations and toolConfig. Other tools
// (googleSearch, codeExecution, ...) run only on Gemini: they are left out
// and recorded.
func (c *converter) tools(rawTools, rawConfig json.RawMessage, prefix string) *providers.Error {
	tf := join(prefix, "tools")
	items, perr := decodeList(rawTools, tf)
	if perr != nil {
		return perr
	}
	names := map[string]bool{}
	for i, raw := range items {
		f := index(tf, i)
		t, perr := decodeObject(raw, f)
		if perr != nil {
			return perr
		}
		var other []string
		for k := range t {
			if k != "functionDeclarations" && k != "function_declarations" && !absent(t[k]) {
				other = append(other, k)
			}
		}
		if len(other) > 0 {
			slices.Sort(other)
			c.drop(f + " (" + strings.Join(other, ",") + ")")
		}
		df := join(f, "functionDeclarations")
		decls, perr := decodeList(t.get("functionDeclarations"), df)
		if perr != nil {
			return perr
		}
		for j, draw := range decls {
			fd, perr := c.declaration(draw, index(df, j))
			if perr != nil {
				return perr
			}
			c.out.Tools = append(c.out.Tools, unified.Tool{Type: "function", Function: fd})
			names[fd.Name] = true
		}
	}
	if rawConfig == nil {
		return nil
	}
	cf := join(prefix, "toolConfig")
	tc, perr := decodeObject(rawConfig, cf)
	if perr != nil {
		return perr
	}
	ff := join(cf, "functionCallingConfig")
	fc, perr := decodeObject(tc.get("functionCallingConfig"), ff)
	if perr != nil {
		return perr
	}
	mode := "MODE_UNSPECIFIED"
	if m := fc.get("mode"); m != nil {
		if mode, perr = decodeEnum(m, join(ff, "mode"), functionModes); perr != nil {
			return perr
		}
	}
	af := join(ff, "allowedFunctionNames")
	allowedRaw, perr := decodeList(fc.get("allowedFunctionNames"), af)
	if perr != nil {
		return perr
	}
	var allowed []string
	for i, r := range allowedRaw {
		s, perr := decodeString(r, index(af, i))
		if perr != nil {
			return perr
		}
		if !names[s] && len(c.out.Tools) > 0 {
			return invalid(index(af, i), "no function named %q in tools", s)
		}
		allowed = append(allowed, s)
	}
	if len(c.out.Tools) == 0 {
		// OpenAI rejects tool_choice without tools.
		return nil
	}
	var choice unified.ToolChoice
	switch mode {
	case "MODE_UNSPECIFIED":
		return nil
	case "AUTO", "VALIDATED":
		// VALIDATED (schema-checked calls or text) is closest to auto.
		choice.Mode = unified.ToolChoiceAuto
	case "NONE":
		choice.Mode = unified.ToolChoiceNone
	case "ANY":
		switch len(allowed) {
		case 0:
			choice.Mode = unified.ToolChoiceRequired
		case 1:
			choice.Function = allowed[0]
		default:
			// Only the allowed functions may be called: offer only them.
			keep := map[string]bool{}
			for _, a := range allowed {
				keep[a] = true
			}
			kept := c.out.Tools[:0]
			for _, t := range c.out.Tools {
				if keep[t.Function.Name] {
					kept = append(kept, t)
				}
			}
			c.out.Tools = kept
			choice.Mode = unified.ToolChoiceRequired
		}
	}
	c.out.ToolChoice = &choice
	return nil
}

// declaration converts one FunctionDeclaration.
func (c *converter) declaration(raw json.RawMessage, field string) (unified.FunctionDef, *providers.Error) {
	d, perr := decodeObject(raw, field)
	if perr != nil {
		return unified.FunctionDef{}, perr
	}
	nraw := d.get("name")
	if nraw == nil {
		return unified.FunctionDef{}, missing(c.reqType, join(field, "name"))
	}
	name, perr := decodeString(nraw, join(field, "name"))
	if perr != nil {
		return unified.FunctionDef{}, perr
	}
	if name == "" {
		return unified.FunctionDef{}, missing(c.reqType, join(field, "name"))
	}
	fd := unified.FunctionDef{Name: name}
	if r := d.get("description"); r != nil {
		if fd.Description, perr = decodeString(r, join(field, "description")); perr != nil {
			return unified.FunctionDef{}, perr
		}
	}
	switch {
	case d.has("parametersJsonSchema"):
		// JSON Schema already.
		r := bytes.TrimSpace(d.get("parametersJsonSchema"))
		if r[0] != '{' {
			return unified.FunctionDef{}, wrongType(join(field, "parametersJsonSchema"), "TYPE_MESSAGE", r)
		}
		fd.Parameters = r
	case d.has("parameters"):
		s, perr := convertSchema(d.get("parameters"), join(field, "parameters"))
		if perr != nil {
			return unified.FunctionDef{}, perr
		}
		fd.Parameters = s
	}
	return fd, nil
}

// thinkingLevels are ThinkingConfig.ThinkingLevel by number.
var thinkingLevels = []string{"THINKING_LEVEL_UNSPECIFIED", "LOW", "MEDIUM", "HIGH", "MINIMAL"}

// generationConfig converts the sampling, length, format and thinking
// settings.
func (c *converter) generationConfig(raw json.RawMessage, field string) *providers.Error {
	g, perr := decodeObject(raw, field)
	if perr != nil {
		return perr
	}
	out := &c.out
	num := func(name string) (*float64, *providers.Error) {
		r := g.get(name)
		if r == nil {
			return nil, nil
		}
		f, perr := decodeNumber(r, join(field, name))
		if perr != nil {
			return nil, perr
		}
		return &f, nil
	}
	integer := func(name string) (*int64, *providers.Error) {
		r := g.get(name)
		if r == nil {
			return nil, nil
		}
		n, perr := decodeInt(r, join(field, name))
		if perr != nil {
			return nil, perr
		}
		return &n, nil
	}
	if out.Temperature, perr = num("temperature"); perr != nil {
		return perr
	}
	if out.TopP, perr = num("topP"); perr != nil {
		return perr
	}
	if out.PresencePenalty, perr = num("presencePenalty"); perr != nil {
		return perr
	}
	if out.FrequencyPenalty, perr = num("frequencyPenalty"); perr != nil {
		return perr
	}
	if out.Seed, perr = integer("seed"); perr != nil {
		return perr
	}
	maxTokens, perr := integer("maxOutputTokens")
	if perr != nil {
		return perr
	}
	if maxTokens != nil {
		if *maxTokens < 1 {
			return invalid(join(field, "maxOutputTokens"), "must be at least 1, got %d", *maxTokens)
		}
		out.MaxTokens = maxTokens
	}
	n, perr := integer("candidateCount")
	if perr != nil {
		return perr
	}
	if n != nil {
		if *n < 1 || *n > 128 {
			return invalid(join(field, "candidateCount"), "must be between 1 and 128, got %d", *n)
		}
		if *n > 1 {
			v := int(*n)
			out.N = &v
		}
	}
	sf := join(field, "stopSequences")
	stops, perr := decodeList(g.get("stopSequences"), sf)
	if perr != nil {
		return perr
	}
	for i, r := range stops {
		s, perr := decodeString(r, index(sf, i))
		if perr != nil {
			return perr
		}
		out.Stop = append(out.Stop, s)
	}
	if perr := c.responseFormat(g, field); perr != nil {
		return perr
	}
	if r := g.get("thinkingConfig"); r != nil {
		if perr := c.thinking(r, join(field, "thinkingConfig")); perr != nil {
			return perr
		}
	}
	return nil
}

// responseFormat maps responseMimeType and the response schemas.
func (c *converter) responseFormat(g object, field string) *providers.Error {
	mime := ""
	if r := g.get("responseMimeType"); r != nil {
		s, perr := decodeString(r, join(field, "responseMimeType"))
		if perr != nil {
			return perr
		}
		mime = strings.ToLower(strings.TrimSpace(s))
	}
	var schema json.RawMessage
	switch {
	case g.has("responseJsonSchema"):
		r := bytes.TrimSpace(g.get("responseJsonSchema"))
		if r[0] != '{' {
			return wrongType(join(field, "responseJsonSchema"), "TYPE_MESSAGE", r)
		}
		schema = r
	case g.has("responseSchema"):
		s, perr := convertSchema(g.get("responseSchema"), join(field, "responseSchema"))
		if perr != nil {
			return perr
		}
		schema = s
	}
	switch {
	case mime == "text/x.enum":
		// Plain text constrained to an enum: OpenAI has no such format.
		c.drop(join(field, "responseMimeType") + " (text/x.enum)")
	case schema != nil:
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_schema", JSONSchema: &unified.JSONSchema{Name: "response", Schema: schema}}
	case mime == "application/json":
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_object"}
	}
	return nil
}

// thinking maps thinkingConfig to reasoning_effort (see the package
// comment for the presets).
func (c *converter) thinking(raw json.RawMessage, field string) *providers.Error {
	t, perr := decodeObject(raw, field)
	if perr != nil {
		return perr
	}
	if r := t.get("includeThoughts"); r != nil {
		if c.st.Thoughts, perr = decodeBool(r, join(field, "includeThoughts")); perr != nil {
			return perr
		}
	}
	if r := t.get("thinkingBudget"); r != nil {
		n, perr := decodeInt(r, join(field, "thinkingBudget"))
		if perr != nil {
			return perr
		}
		switch {
		case n <= 0:
			// 0 turns thinking off, -1 lets the model decide: the backend's
			// default either way.
		case n <= 1024:
			c.out.ReasoningEffort = "low"
		case n <= 8192:
			c.out.ReasoningEffort = "medium"
		default:
			c.out.ReasoningEffort = "high"
		}
	}
	if r := t.get("thinkingLevel"); r != nil {
		level, perr := decodeEnum(r, join(field, "thinkingLevel"), thinkingLevels)
		if perr != nil {
			return perr
		}
		if level != "THINKING_LEVEL_UNSPECIFIED" {
			c.out.ReasoningEffort = strings.ToLower(level)
		}
	}
	return nil
}

// embeddings converts embedContent and batchEmbedContents.
func embeddings(o object, st *State, reqType string) ([]byte, *providers.Error) {
	var (
		reqs   []object
		fields []string
	)
	if st.Method == MethodEmbedContent {
		reqs, fields = []object{o}, []string{""}
	} else {
		items, perr := decodeList(o.get("requests"), "requests")
		if perr != nil {
			return nil, perr
		}
		if len(items) == 0 {
			return nil, missing(reqType, "requests")
		}
		for i, raw := range items {
			f := index("requests", i)
			r, perr := decodeObject(raw, f)
			if perr != nil {
				return nil, perr
			}
			reqs, fields = append(reqs, r), append(fields, f)
		}
	}
	// encoding_format stays unset (floats everywhere); a base64 answer is
	// decoded anyway.
	out := unified.EmbeddingsRequest{Model: st.Endpoint, Input: unified.EmbeddingInput{Texts: []string{}}}
	for i, r := range reqs {
		f := fields[i]
		if m := r.get("model"); m != nil {
			name, perr := decodeString(m, join(f, "model"))
			if perr != nil {
				return nil, perr
			}
			if name != "" && strings.TrimPrefix(name, "models/") != st.Endpoint {
				return nil, invalid(join(f, "model"), "%q does not match the model in the request URL (models/%s)", name, st.Endpoint)
			}
		}
		cf := join(f, "content")
		craw := r.get("content")
		if craw == nil {
			return nil, missing(reqType, cf)
		}
		text, perr := embedText(craw, cf, st)
		if perr != nil {
			return nil, perr
		}
		out.Input.Texts = append(out.Input.Texts, text)
		if d := r.get("outputDimensionality"); d != nil {
			df := join(f, "outputDimensionality")
			n, perr := decodeInt(d, df)
			if perr != nil {
				return nil, perr
			}
			if n < 1 || n > 1<<16 {
				return nil, invalid(df, "must be a positive number of dimensions, got %d", n)
			}
			if out.Dimensions != nil && int64(*out.Dimensions) != n {
				return nil, invalid(df, "every request of a batch must ask for the same outputDimensionality")
			}
			v := int(n)
			out.Dimensions = &v
		}
		// taskType and title have no OpenAI counterpart.
	}
	st.Inputs = len(out.Input.Texts)
	b, err := jsonenc.Marshal(&out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	return b, nil
}

// embedText joins a content's text parts with a newline; other parts are
// dropped (OpenAI embeddings take text only).
func embedText(raw json.RawMessage, field string, st *State) (string, *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return "", perr
	}
	pf := join(field, "parts")
	parts, perr := decodeList(o.get("parts"), pf)
	if perr != nil {
		return "", perr
	}
	var texts []string
	for i, praw := range parts {
		p, perr := decodePart(praw, index(pf, i))
		if perr != nil {
			return "", perr
		}
		if p.thought {
			continue
		}
		if p.text != nil {
			texts = append(texts, *p.text)
		} else {
			st.Dropped = append(st.Dropped, index(pf, i)+" ("+p.kind+")")
		}
	}
	return strings.Join(texts, "\n"), nil
}
