package gemini

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Defaults. Gemini needs none of OpenAI's sampling parameters, so an absent
// parameter is simply not sent and the model's own default applies:
// temperature 1.0, topP 0.95, candidateCount 1 and maxOutputTokens the
// model's output limit (65,536 on Gemini 2.5). A client's max_tokens or
// max_completion_tokens becomes maxOutputTokens.
const (
	// defaultMaxOutputTokens is what is sent when the client sets no limit:
	// 0 means "omit maxOutputTokens".
	defaultMaxOutputTokens = 0
)

// reasoningBudgets maps OpenAI's reasoning_effort to a thinkingBudget, as
// Gemini's own OpenAI-compatible endpoint does; "none" turns thinking off.
// When thinking is on, includeThoughts is set so the summaries come back as
// reasoning_content.
var reasoningBudgets = map[string]int{"none": 0, "minimal": 1024, "low": 1024, "medium": 8192, "high": 24576}

// thoughtSeparator joins a synthesized tool-call id and the thoughtSignature
// of the functionCall part it came from. Gemini 3 rejects a later turn whose
// function calls lack their signatures, and an OpenAI client echoes tool-call
// ids back verbatim, so carrying the signature in the id round-trips it
// (LiteLLM does the same).
const thoughtSeparator = "__thought__"

// imageLoader turns an image URL or data URI into bytes; media.Fetcher
// implements it.
type imageLoader interface {
	Load(ctx context.Context, u string) (media.Image, error)
}

// requestTranslator turns one unified chat request into a Gemini request.
// It is created per attempt and reads, never modifies, the request.
type requestTranslator struct {
	ctx    context.Context
	images imageLoader
	// toolNames maps tool-call ids of earlier assistant messages to function
	// names: Gemini's functionResponse is keyed by name, OpenAI's by id.
	toolNames map[string]string
	// callOrder is the position of each tool call in the latest assistant
	// message; results are sent in that order, so that parallel calls of
	// one function (which Gemini can only tell apart by position) match.
	callOrder map[string]int
	results   []pendingResult
	contents  []content
}

type pendingResult struct {
	order int
	part  part
}

// translateRequest builds the generateContent body for req.
func translateRequest(ctx context.Context, req *unified.ChatRequest, images imageLoader) (*generateContentRequest, error) {
	t := &requestTranslator{ctx: ctx, images: images, toolNames: map[string]string{}}
	out := &generateContentRequest{}
	var system []part
	for i := range req.Messages {
		m := &req.Messages[i]
		if m.Role != unified.RoleTool && m.Role != "function" {
			t.flushResults()
		}
		switch m.Role {
		case unified.RoleSystem, unified.RoleDeveloper:
			if s := m.Content.PlainText(); s != "" {
				system = append(system, textPart(s))
			}
		case unified.RoleUser:
			parts, err := t.userParts(m.Content, fmt.Sprintf("messages[%d].content", i))
			if err != nil {
				return nil, err
			}
			t.appendTurn("user", parts)
		case unified.RoleAssistant:
			parts, err := t.assistantParts(m, i)
			if err != nil {
				return nil, err
			}
			t.appendTurn("model", parts)
		case unified.RoleTool, "function":
			p, err := t.toolResult(m, i)
			if err != nil {
				return nil, err
			}
			order, ok := t.callOrder[m.ToolCallID]
			if !ok {
				order = len(t.callOrder) + len(t.results)
			}
			t.results = append(t.results, pendingResult{order: order, part: p})
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), fmt.Sprintf("unsupported role %q", m.Role))
		}
	}
	t.flushResults()
	out.Contents = t.contents
	if out.Contents == nil {
		out.Contents = []content{}
	}
	if len(system) > 0 {
		out.SystemInstruction = &content{Parts: system}
	}
	if err := translateTools(req, out); err != nil {
		return nil, err
	}
	gc, err := generation(req)
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = gc
	return out, nil
}

func textPart(s string) part { return part{Text: &s} }

// appendTurn adds parts to the conversation, merging with the previous turn
// when it has the same role: Gemini wants a tool result turn to hold every
// functionResponse of the calls before it, and alternating roles in general.
func (t *requestTranslator) appendTurn(role string, parts []part) {
	if len(parts) == 0 {
		return
	}
	if n := len(t.contents); n > 0 && t.contents[n-1].Role == role {
		t.contents[n-1].Parts = append(t.contents[n-1].Parts, parts...)
		return
	}
	t.contents = append(t.contents, content{Role: role, Parts: parts})
}

// flushResults appends the tool results gathered since the last other
// message as one user turn, in the order of the calls they answer.
func (t *requestTranslator) flushResults() {
	if len(t.results) == 0 {
		return
	}
	sort.SliceStable(t.results, func(a, b int) bool { return t.results[a].order < t.results[b].order })
	parts := make([]part, len(t.results))
	for i, r := range t.results {
		parts[i] = r.part
	}
	t.results = t.results[:0]
	t.appendTurn("user", parts)
}

func (t *requestTranslator) userParts(c unified.Content, param string) ([]part, error) {
	if c.Text != nil {
		if *c.Text == "" {
			return nil, nil
		}
		return []part{textPart(*c.Text)}, nil
	}
	parts := make([]part, 0, len(c.Parts))
	for j, p := range c.Parts {
		pp := fmt.Sprintf("%s[%d]", param, j)
		switch p.Type {
		case unified.PartText:
			if p.Text != "" {
				parts = append(parts, textPart(p.Text))
			}
		case unified.PartImageURL:
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, badRequest(pp+".image_url", "image_url.url is required")
			}
			ip, err := t.imagePart(p.ImageURL.URL, pp+".image_url")
			if err != nil {
				return nil, err
			}
			parts = append(parts, ip)
		case unified.PartInputAudio:
			if p.InputAudio == nil || p.InputAudio.Data == "" {
				return nil, badRequest(pp+".input_audio", "input_audio.data is required")
			}
			img, err := media.ParseDataURI("data:audio/" + audioSubtype(p.InputAudio.Format) + ";base64," + p.InputAudio.Data)
			if err != nil {
				return nil, badRequest(pp+".input_audio", err.Error())
			}
			parts = append(parts, part{InlineData: &blob{MimeType: img.MediaType, Data: img.Base64()}})
		case unified.PartFile:
			if p.File == nil || !media.IsDataURI(p.File.FileData) {
				return nil, badRequest(pp+".file", "only inline files (file.file_data as a data: URI) are supported by gemini")
			}
			f, err := media.ParseDataURI(p.File.FileData)
			if err != nil {
				return nil, badRequest(pp+".file", err.Error())
			}
			parts = append(parts, part{InlineData: &blob{MimeType: f.MediaType, Data: f.Base64()}})
		case unified.PartRefusal:
		default:
			return nil, badRequest(pp+".type", fmt.Sprintf("unsupported content part type %q", p.Type))
		}
	}
	return parts, nil
}

func audioSubtype(format string) string {
	switch format {
	case "mp3":
		return "mp3"
	case "", "wav":
		return "wav"
	default:
		return format
	}
}

// filesAPIPrefix is where AI Studio's Files API keeps uploads; those URIs are
// passed as fileData since fetching them needs the API key.
const filesAPIPrefix = "https://generativelanguage.googleapis.com/"

// imagePart passes gs:// and Files API URIs by reference (fileData; gs://
// only works on Vertex AI, AI Studio rejects it) and inlines everything
// else: data URIs are decoded, http(s) URLs fetched with the media size
// limit, on every attempt.
func (t *requestTranslator) imagePart(u, param string) (part, error) {
	if strings.HasPrefix(u, "gs://") || strings.HasPrefix(u, filesAPIPrefix) {
		return part{FileData: &fileData{MimeType: mimeFromExt(u), FileURI: u}}, nil
	}
	if t.images == nil {
		return part{}, badRequest(param, "image URLs are not supported by this gateway")
	}
	img, err := t.images.Load(t.ctx, u)
	if err != nil {
		return part{}, badRequest(param, err.Error())
	}
	return part{InlineData: &blob{MimeType: img.MediaType, Data: img.Base64()}}, nil
}

// mimeFromExt guesses a file's MIME type from its extension; Vertex requires
// fileData.mimeType. Unknown extensions give image/jpeg, the common case for
// image_url.
func mimeFromExt(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	switch strings.ToLower(path.Ext(u)) {
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	case ".heic":
		return "image/heic"
	case ".heif":
		return "image/heif"
	case ".pdf":
		return "application/pdf"
	case ".mp3":
		return "audio/mp3"
	case ".wav":
		return "audio/wav"
	case ".mp4":
		return "video/mp4"
	default:
		return "image/jpeg"
	}
}

// assistantParts turns an assistant message into a model turn: its text,
// then one functionCall part per tool call (with the thoughtSignature carried
// in the call id, if any). Reasoning content is not sent back.
func (t *requestTranslator) assistantParts(m *unified.Message, i int) ([]part, error) {
	var parts []part
	if s := m.Content.PlainText(); s != "" {
		parts = append(parts, textPart(s))
	}
	t.callOrder = make(map[string]int, len(m.ToolCalls))
	for j, tc := range m.ToolCalls {
		param := fmt.Sprintf("messages[%d].tool_calls[%d]", i, j)
		if tc.Function.Name == "" {
			return nil, badRequest(param+".function.name", "tool call has no function name")
		}
		args := bytes.TrimSpace([]byte(tc.Function.Arguments))
		if len(args) == 0 {
			args = []byte("{}")
		}
		if !json.Valid(args) || args[0] != '{' {
			return nil, badRequest(param+".function.arguments", "function arguments must be a JSON object")
		}
		if tc.ID != "" {
			t.toolNames[tc.ID] = tc.Function.Name
			t.callOrder[tc.ID] = j
		}
		_, sig, _ := strings.Cut(tc.ID, thoughtSeparator)
		parts = append(parts, part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: args}, ThoughtSignature: sig})
	}
	return parts, nil
}

// toolResult turns a tool message into a functionResponse. Gemini matches
// results to calls by function name, found through the tool_call_id in the
// earlier assistant message; the text is wrapped as {"output": text} because
// the response must be an object.
func (t *requestTranslator) toolResult(m *unified.Message, i int) (part, error) {
	name := t.toolNames[m.ToolCallID]
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return part{}, badRequest(fmt.Sprintf("messages[%d].tool_call_id", i),
			fmt.Sprintf("tool message's tool_call_id %q matches no tool call of an earlier assistant message", m.ToolCallID))
	}
	resp, _ := json.Marshal(map[string]string{"output": m.Content.PlainText()})
	return part{FunctionResponse: &functionResponse{Name: name, Response: resp}}, nil
}

// translateTools sets tools and toolConfig.
func translateTools(req *unified.ChatRequest, out *generateContentRequest) error {
	if len(req.Tools) == 0 {
		return nil
	}
	decls := make([]functionDeclaration, 0, len(req.Tools))
	declared := map[string]bool{}
	for i, tl := range req.Tools {
		if tl.Type != "" && tl.Type != "function" {
			return badRequest(fmt.Sprintf("tools[%d].type", i), fmt.Sprintf("tool type %q is not supported by gemini; only function tools are", tl.Type))
		}
		if tl.Function.Name == "" {
			return badRequest(fmt.Sprintf("tools[%d].function.name", i), "function name is required")
		}
		d := functionDeclaration{Name: tl.Function.Name, Description: tl.Function.Description}
		s, err := convertSchema(tl.Function.Parameters, false)
		if err != nil {
			return badRequest(fmt.Sprintf("tools[%d].function.parameters", i), err.Error())
		}
		if !isEmptyObject(s) {
			d.Parameters, _ = json.Marshal(s)
		}
		decls = append(decls, d)
		declared[d.Name] = true
	}
	out.Tools = []tool{{FunctionDeclarations: decls}}
	tc := req.ToolChoice
	if tc == nil {
		return nil
	}
	fc := functionCallingConfig{}
	switch {
	case tc.Function != "":
		if !declared[tc.Function] {
			return badRequest("tool_choice", fmt.Sprintf("tool_choice names function %q, which is not in tools", tc.Function))
		}
		fc.Mode, fc.AllowedFunctionNames = modeAny, []string{tc.Function}
	case tc.Mode == unified.ToolChoiceNone:
		fc.Mode = modeNone
	case tc.Mode == unified.ToolChoiceAuto:
		fc.Mode = modeAuto
	case tc.Mode == unified.ToolChoiceRequired:
		fc.Mode = modeAny
	default:
		return badRequest("tool_choice", fmt.Sprintf("unsupported tool_choice %q", tc.Mode))
	}
	out.ToolConfig = &toolConfig{FunctionCallingConfig: fc}
	return nil
}

// generation builds generationConfig; nil when the client set nothing.
func generation(req *unified.ChatRequest) (*generationConfig, error) {
	gc := &generationConfig{
		Temperature:      req.Temperature,
		TopP:             req.TopP,
		CandidateCount:   req.N,
		MaxOutputTokens:  req.MaxOutputTokens(),
		Seed:             req.Seed,
		PresencePenalty:  req.PresencePenalty,
		FrequencyPenalty: req.FrequencyPenalty,
	}
	if gc.MaxOutputTokens == nil && defaultMaxOutputTokens > 0 {
		gc.MaxOutputTokens = unified.Ptr(int64(defaultMaxOutputTokens))
	}
	for _, s := range req.Stop {
		if s != "" {
			gc.StopSequences = append(gc.StopSequences, s)
		}
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object":
			gc.ResponseMimeType = "application/json"
		case "json_schema":
			gc.ResponseMimeType = "application/json"
			if rf.JSONSchema != nil {
				s, err := convertSchema(rf.JSONSchema.Schema, true)
				if err != nil {
					return nil, badRequest("response_format.json_schema.schema", err.Error())
				}
				if !isEmptyObject(s) {
					gc.ResponseSchema, _ = json.Marshal(s)
				}
			}
		default:
			return nil, badRequest("response_format.type", fmt.Sprintf("unsupported response_format type %q", rf.Type))
		}
	}
	if e := req.ReasoningEffort; e != "" {
		budget, ok := reasoningBudgets[e]
		if !ok {
			return nil, badRequest("reasoning_effort", fmt.Sprintf("unsupported reasoning_effort %q", e))
		}
		gc.ThinkingConfig = &thinkingConfig{ThinkingBudget: &budget, IncludeThoughts: budget > 0}
	}
	if isZero(gc) {
		return nil, nil
	}
	return gc, nil
}

func isZero(gc *generationConfig) bool {
	return gc.Temperature == nil && gc.TopP == nil && gc.CandidateCount == nil && gc.MaxOutputTokens == nil &&
		gc.Seed == nil && gc.PresencePenalty == nil && gc.FrequencyPenalty == nil && len(gc.StopSequences) == 0 &&
		gc.ResponseMimeType == "" && gc.ResponseSchema == nil && gc.ThinkingConfig == nil
}

// errorOf returns err as a *providers.Error (translation errors already are).
func errorOf(err error) *providers.Error {
	if pe, ok := err.(*providers.Error); ok {
		return pe
	}
	return badRequest("", err.Error())
}
