package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Defaults. Bedrock applies each model's own default to every inference
// parameter the request leaves out, so the translator sends only what the
// client set: no max_tokens means no inferenceConfig.maxTokens (Converse,
// unlike Anthropic's Messages API, does not require it), and likewise for
// temperature, top_p and stop.
const (
	// defaultMaxTokens is sent when the client sets no limit; 0 sends none.
	defaultMaxTokens = 0
	// responseToolName is the tool that carries structured output: Bedrock
	// has no JSON mode, so response_format becomes a forced call to this
	// tool and its input is returned as the message content (LiteLLM's
	// approach, which works on every Converse model with tool use).
	responseToolName = "json_tool_call"
	// responseToolDescription tells the model what the tool is for.
	responseToolDescription = "Respond with the final answer as a JSON object by calling this tool."
)

// openObjectSchema is the input schema of a tool declared without parameters
// and of JSON mode's response tool: any object.
var openObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// plan is what the response side needs to know about the request.
type plan struct {
	// jsonTool is true when response_format became the forced response tool.
	jsonTool bool
}

// chatTranslator converts one OpenAI chat request. It is created per Send and
// never modifies its input, so a retry simply translates again.
type chatTranslator struct {
	fetcher *media.Fetcher
	req     unified.ChatRequest
	// toolNames are the functions called in the conversation history.
	toolNames []string
	docNames  map[string]bool
}

func badRequest(param, format string, args ...any) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_request", Param: param,
		Message: fmt.Sprintf(format, args...)}
}

// translateChat turns an OpenAI chat body into a Converse request.
func translateChat(ctx context.Context, fetcher *media.Fetcher, body []byte) (*converseRequest, plan, error) {
	t := &chatTranslator{fetcher: fetcher}
	if err := json.Unmarshal(body, &t.req); err != nil {
		return nil, plan{}, badRequest("", "invalid chat request: %v", err)
	}
	r := &t.req
	if r.N != nil && *r.N > 1 {
		return nil, plan{}, badRequest("n", "n > 1 is not supported by Bedrock")
	}
	// Converse takes temperature and top_p in [0, 1] (OpenAI allows
	// temperature up to 2); refusing here saves a round trip.
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1) {
		return nil, plan{}, badRequest("temperature", "temperature must be between 0 and 1 for Bedrock")
	}
	if r.TopP != nil && (*r.TopP < 0 || *r.TopP > 1) {
		return nil, plan{}, badRequest("top_p", "top_p must be between 0 and 1")
	}
	msgs, system, err := t.messages(ctx)
	if err != nil {
		return nil, plan{}, err
	}
	if len(msgs) == 0 {
		return nil, plan{}, badRequest("messages", "messages must contain at least one user or assistant message with content")
	}
	out := &converseRequest{Messages: msgs, System: system, InferenceConfig: t.inference()}
	var p plan
	out.ToolConfig, p, err = t.toolConfig(hasToolBlocks(msgs))
	if err != nil {
		return nil, plan{}, err
	}
	return out, p, nil
}

func (t *chatTranslator) inference() *inferenceConfig {
	r := &t.req
	c := inferenceConfig{MaxTokens: r.MaxOutputTokens(), Temperature: r.Temperature, TopP: r.TopP}
	if c.MaxTokens == nil && defaultMaxTokens > 0 {
		c.MaxTokens = unified.Ptr(int64(defaultMaxTokens))
	}
	for _, s := range r.Stop {
		if s != "" {
			c.StopSequences = append(c.StopSequences, s)
		}
	}
	if c.MaxTokens == nil && c.Temperature == nil && c.TopP == nil && c.StopSequences == nil {
		return nil
	}
	return &c
}

// messages maps OpenAI messages to Bedrock turns. System and developer
// messages become system blocks wherever they appear; tool results become
// user turns; consecutive turns of one role are merged, because Bedrock
// requires strict user/assistant alternation (so parallel tool results, and a
// user message after them, share one user turn). Blank text is dropped:
// Bedrock rejects blank text blocks.
func (t *chatTranslator) messages(ctx context.Context) ([]message, []systemBlock, error) {
	var (
		out    []message
		system []systemBlock
	)
	add := func(role string, blocks ...contentBlock) {
		if len(blocks) == 0 {
			return
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			return
		}
		out = append(out, message{Role: role, Content: blocks})
	}
	for i := range t.req.Messages {
		m := &t.req.Messages[i]
		param := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case unified.RoleSystem, unified.RoleDeveloper:
			if text := m.Content.PlainText(); strings.TrimSpace(text) != "" {
				system = append(system, systemBlock{Text: text})
			}
		case unified.RoleUser:
			blocks, err := t.userContent(ctx, param, m.Content)
			if err != nil {
				return nil, nil, err
			}
			add("user", blocks...)
		case unified.RoleAssistant:
			blocks, err := t.assistantContent(param, m)
			if err != nil {
				return nil, nil, err
			}
			add("assistant", blocks...)
		case unified.RoleTool:
			if m.ToolCallID == "" {
				return nil, nil, badRequest(param+".tool_call_id", "%s: a tool message needs tool_call_id", param)
			}
			text := m.Content.PlainText()
			add("user", contentBlock{ToolResult: &toolResultBlock{
				ToolUseID: toolUseID(m.ToolCallID),
				Content:   toolResultText(text),
			}})
		default:
			return nil, nil, badRequest(param+".role", "%s: role %q is not supported (use system, developer, user, assistant or tool)", param, m.Role)
		}
	}
	return out, system, nil
}

// toolResultText wraps a tool's output; empty output is sent as an empty
// content list rather than a blank text block, which Bedrock rejects.
func toolResultText(text string) []toolResultContent {
	if strings.TrimSpace(text) == "" {
		return []toolResultContent{}
	}
	return []toolResultContent{{Text: &text}}
}

func textBlock(s string) contentBlock { return contentBlock{Text: &s} }

func (t *chatTranslator) userContent(ctx context.Context, param string, c unified.Content) ([]contentBlock, error) {
	if c.Text != nil {
		if strings.TrimSpace(*c.Text) == "" {
			return nil, nil
		}
		return []contentBlock{textBlock(*c.Text)}, nil
	}
	blocks := make([]contentBlock, 0, len(c.Parts))
	for j, p := range c.Parts {
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		switch p.Type {
		case unified.PartText:
			if strings.TrimSpace(p.Text) != "" {
				blocks = append(blocks, textBlock(p.Text))
			}
		case unified.PartImageURL:
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, badRequest(pp+".image_url", "%s: image_url.url is required", pp)
			}
			img, err := t.image(ctx, pp, p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, contentBlock{Image: img})
		case unified.PartFile:
			doc, err := t.document(pp, p.File)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, contentBlock{Document: doc})
		default:
			return nil, badRequest(pp+".type", "%s: content part type %q is not supported by Bedrock", pp, p.Type)
		}
	}
	return blocks, nil
}

// imageFormats are the formats Bedrock accepts in an image block.
var imageFormats = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// image inlines a data URI or downloads an http(s) URL: Bedrock only takes
// bytes (or S3 locations).
func (t *chatTranslator) image(ctx context.Context, param, u string) (*imageBlock, error) {
	img, err := t.fetcher.Load(ctx, u)
	if err != nil {
		return nil, badRequest(param+".image_url", "%s: %v", param, err)
	}
	f := img.Format()
	if !imageFormats[f] {
		return nil, badRequest(param+".image_url", "%s: image type %q is not supported by Bedrock (png, jpeg, gif or webp)", param, img.MediaType)
	}
	return &imageBlock{Format: f, Source: bytesSource{Bytes: img.Data}}, nil
}

// documentFormats maps MIME types to Bedrock document formats.
var documentFormats = map[string]string{
	"application/pdf": "pdf", "text/csv": "csv", "text/plain": "txt", "text/markdown": "md", "text/html": "html",
	"application/msword": "doc", "application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       "xlsx",
}

// document inlines a file part given as a data URI (file_data).
func (t *chatTranslator) document(param string, f *unified.File) (*documentBlock, error) {
	if f == nil || f.FileData == "" {
		return nil, badRequest(param+".file", "%s: only inline files (file.file_data as a data URI) are supported by Bedrock", param)
	}
	data, err := media.ParseDataURI(f.FileData)
	if err != nil {
		return nil, badRequest(param+".file.file_data", "%s: %v", param, err)
	}
	format, ok := documentFormats[data.MediaType]
	if !ok {
		return nil, badRequest(param+".file.file_data", "%s: file type %q is not supported by Bedrock", param, data.MediaType)
	}
	return &documentBlock{Format: format, Name: t.documentName(f.Filename), Source: bytesSource{Bytes: data.Data}}, nil
}

// documentName derives a name Bedrock accepts (letters, digits, single
// spaces, hyphens, parentheses and square brackets), unique in the request.
func (t *chatTranslator) documentName(filename string) string {
	if i := strings.LastIndexByte(filename, '.'); i > 0 {
		filename = filename[:i]
	}
	var b strings.Builder
	space := false
	for _, r := range filename {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || strings.ContainsRune("-()[]", r)
		switch {
		case ok:
			b.WriteRune(r)
			space = false
		case !space && b.Len() > 0:
			b.WriteByte(' ')
			space = true
		}
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		name = "document"
	}
	if t.docNames == nil {
		t.docNames = map[string]bool{}
	}
	base := name
	for n := 2; t.docNames[name]; n++ {
		name = fmt.Sprintf("%s (%d)", base, n)
	}
	t.docNames[name] = true
	return name
}

func (t *chatTranslator) assistantContent(param string, m *unified.Message) ([]contentBlock, error) {
	var blocks []contentBlock
	if text := m.Content.PlainText(); strings.TrimSpace(text) != "" {
		blocks = append(blocks, textBlock(text))
	}
	for k, tc := range m.ToolCalls {
		pp := fmt.Sprintf("%s.tool_calls[%d]", param, k)
		if tc.ID == "" || tc.Function.Name == "" {
			return nil, badRequest(pp, "%s: id and function.name are required", pp)
		}
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, badRequest(pp+".function.arguments", "%s.function.arguments: %v", pp, err)
		}
		t.toolNames = append(t.toolNames, tc.Function.Name)
		blocks = append(blocks, contentBlock{ToolUse: &toolUseBlock{ToolUseID: toolUseID(tc.ID), Name: tc.Function.Name, Input: input}})
	}
	return blocks, nil
}

// toolInput turns OpenAI's JSON-encoded arguments into the JSON object
// Bedrock wants as toolUse.input.
func toolInput(args string) (json.RawMessage, error) {
	b := bytes.TrimSpace([]byte(args))
	if len(b) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if !json.Valid(b) || b[0] != '{' {
		return nil, fmt.Errorf("must be a JSON object")
	}
	return json.RawMessage(b), nil
}

// toolUseID maps an OpenAI tool call id to a valid Bedrock toolUseId
// ([a-zA-Z0-9_-]{1,64}). Bedrock's own ids already qualify and pass through
// unchanged, so ids round-trip; foreign ids (from another provider earlier in
// the conversation) map to a stable hash, the same for the call and its result.
func toolUseID(id string) string {
	valid := len(id) > 0 && len(id) <= 64
	for i := 0; valid && i < len(id); i++ {
		c := id[i]
		valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
	}
	if valid {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "tooluse_" + hex.EncodeToString(sum[:12])
}

func hasToolBlocks(msgs []message) bool {
	for _, m := range msgs {
		for _, b := range m.Content {
			if b.ToolUse != nil || b.ToolResult != nil {
				return true
			}
		}
	}
	return false
}

// toolConfig builds tools and toolChoice. Bedrock has no tool_choice "none":
// "none" omits the tools, unless the history holds toolUse/toolResult
// blocks, which Bedrock only accepts with a toolConfig; then the tools stay
// and the model may still call one. Functions called in the history but not
// declared are declared with an open schema for the same reason.
// response_format (json_object or json_schema) adds the forced response tool;
// with other tools present the choice becomes "any" (call a tool or answer
// through the response tool) unless a function is named.
func (t *chatTranslator) toolConfig(historyTools bool) (*toolConfig, plan, error) {
	r := &t.req
	choice := r.ToolChoice
	mode := ""
	if choice != nil {
		mode = choice.Mode
		if choice.Function != "" {
			mode = "function"
		}
	}
	switch mode {
	case "", unified.ToolChoiceNone, unified.ToolChoiceAuto, unified.ToolChoiceRequired, "function":
	default:
		return nil, plan{}, badRequest("tool_choice", "tool_choice %q is not supported (use none, auto, required or a function)", mode)
	}
	var (
		tools    []tool
		declared = map[string]bool{}
	)
	if mode != unified.ToolChoiceNone || historyTools {
		for i, tl := range r.Tools {
			if tl.Type != "" && tl.Type != "function" {
				return nil, plan{}, badRequest(fmt.Sprintf("tools[%d].type", i), "tools[%d]: only function tools are supported by Bedrock", i)
			}
			if tl.Function.Name == "" {
				return nil, plan{}, badRequest(fmt.Sprintf("tools[%d].function.name", i), "tools[%d]: function.name is required", i)
			}
			tools = append(tools, tool{ToolSpec: toolSpec{Name: tl.Function.Name, Description: tl.Function.Description,
				InputSchema: inputSchema{JSON: schemaOrOpen(tl.Function.Parameters)}}})
			declared[tl.Function.Name] = true
		}
	}
	if historyTools {
		for _, name := range t.toolNames {
			if !declared[name] {
				tools = append(tools, tool{ToolSpec: toolSpec{Name: name, InputSchema: inputSchema{JSON: openObjectSchema}}})
				declared[name] = true
			}
		}
	}
	userTools := len(tools) > 0 && mode != unified.ToolChoiceNone
	var tc *toolChoice
	switch mode {
	case unified.ToolChoiceAuto:
		tc = &toolChoice{Auto: &struct{}{}}
	case unified.ToolChoiceRequired:
		tc = &toolChoice{Any: &struct{}{}}
	case "function":
		tc = &toolChoice{Tool: &specificTool{Name: choice.Function}}
	}
	var p plan
	if rf := r.ResponseFormat; rf != nil && (rf.Type == "json_object" || rf.Type == "json_schema") {
		spec := toolSpec{Name: responseToolName, Description: responseToolDescription, InputSchema: inputSchema{JSON: openObjectSchema}}
		if rf.Type == "json_schema" {
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
				return nil, plan{}, badRequest("response_format.json_schema.schema", "response_format json_schema needs json_schema.schema")
			}
			spec.InputSchema.JSON = rf.JSONSchema.Schema
			if rf.JSONSchema.Description != "" {
				spec.Description = rf.JSONSchema.Description
			}
		}
		tools = append(tools, tool{ToolSpec: spec})
		p.jsonTool = true
		switch {
		case !userTools:
			tc = &toolChoice{Tool: &specificTool{Name: responseToolName}}
		case mode != "function":
			tc = &toolChoice{Any: &struct{}{}}
		}
	} else if rf != nil && rf.Type != "" && rf.Type != "text" {
		return nil, plan{}, badRequest("response_format.type", "response_format type %q is not supported", rf.Type)
	}
	if len(tools) == 0 {
		if mode == unified.ToolChoiceRequired || mode == "function" {
			return nil, plan{}, badRequest("tool_choice", "tool_choice %q needs tools", mode)
		}
		return nil, p, nil
	}
	if mode == unified.ToolChoiceNone && !p.jsonTool {
		tc = nil
	}
	return &toolConfig{Tools: tools, ToolChoice: tc}, p, nil
}

// schemaOrOpen returns a function's parameters, or an open object schema
// when it declares none (Bedrock requires inputSchema.json).
func schemaOrOpen(s json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(s)) == 0 || bytes.Equal(bytes.TrimSpace(s), []byte("null")) {
		return openObjectSchema
	}
	return s
}
