package anthropic

import (
	"net/url"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// convertMessages turns OpenAI messages into Anthropic's system prompt and
// user/assistant turns:
//   - system and developer messages, wherever they are, are joined (blank
//     line between) into the top-level system prompt;
//   - tool messages become tool_result blocks in a user turn, so consecutive
//     tool results (parallel calls) share one user message;
//   - consecutive turns of the same role are merged, and inside a user turn the
//     tool_result blocks come first, as Anthropic requires;
//   - messages that end up without content are dropped (Anthropic rejects
//     empty turns and empty text blocks).
func convertMessages(msgs []unified.Message) (string, []message, *providers.Error) {
	var system []string
	var out []message
	for i, m := range msgs {
		var blocks []contentBlock
		role := unified.RoleUser
		var perr *providers.Error
		switch m.Role {
		case unified.RoleSystem, unified.RoleDeveloper:
			if t := m.Content.PlainText(); t != "" {
				system = append(system, t)
			}
			continue
		case unified.RoleUser:
			blocks, perr = userBlocks(i, m.Content)
		case unified.RoleAssistant:
			role = unified.RoleAssistant
			blocks, perr = assistantBlocks(i, &m)
		case unified.RoleTool:
			blocks, perr = toolResultBlocks(i, &m)
		default:
			perr = badRequest("messages", "messages[%d]: role %q is not supported", i, m.Role)
		}
		if perr != nil {
			return "", nil, perr
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			continue
		}
		out = append(out, message{Role: role, Content: blocks})
	}
	for i := range out {
		if out[i].Role == unified.RoleUser {
			toolResultsFirst(out[i].Content)
		}
	}
	return strings.Join(system, "\n\n"), out, nil
}

// toolResultsFirst moves tool_result blocks ahead of other blocks, keeping
// both groups in order. Example failure prevented: a user message sent after
// tool results merging into "text, tool_result", which Anthropic rejects.
func toolResultsFirst(blocks []contentBlock) {
	sorted := true
	seenOther := false
	for _, b := range blocks {
		if b.Type != blockToolResult {
			seenOther = true
		} else if seenOther {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	results := make([]contentBlock, 0, len(blocks))
	others := make([]contentBlock, 0, len(blocks))
	for _, b := range blocks {
		if b.Type == blockToolResult {
			results = append(results, b)
		} else {
			others = append(others, b)
		}
	}
	copy(blocks, append(results, others...))
}

func userBlocks(i int, c unified.Content) ([]contentBlock, *providers.Error) {
	if c.Text != nil {
		if *c.Text == "" {
			return nil, nil
		}
		return []contentBlock{{Type: blockText, Text: *c.Text}}, nil
	}
	blocks := make([]contentBlock, 0, len(c.Parts))
	for j, p := range c.Parts {
		switch p.Type {
		case unified.PartText:
			if p.Text != "" {
				blocks = append(blocks, contentBlock{Type: blockText, Text: p.Text})
			}
		case unified.PartImageURL:
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, badRequest("messages", "messages[%d].content[%d].image_url.url is required", i, j)
			}
			b, perr := imageBlock(i, j, p.ImageURL.URL)
			if perr != nil {
				return nil, perr
			}
			blocks = append(blocks, b)
		case unified.PartFile:
			if p.File == nil || p.File.FileData == "" {
				return nil, badRequest("messages", "messages[%d].content[%d]: Anthropic needs files inline as file_data (file_id is not supported)", i, j)
			}
			b, perr := imageBlock(i, j, p.File.FileData)
			if perr != nil {
				return nil, perr
			}
			blocks = append(blocks, b)
		default:
			return nil, badRequest("messages", "messages[%d].content[%d]: content type %q is not supported by Anthropic", i, j, p.Type)
		}
	}
	return blocks, nil
}

// Media types Anthropic accepts for base64 images.
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

const pdfType = "application/pdf"

// imageBlock turns a data URI into a base64 source and an http(s) URL into a
// url source (Anthropic fetches it); PDFs become document blocks.
func imageBlock(i, j int, u string) (contentBlock, *providers.Error) {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		typ := blockImage
		if pu, err := url.Parse(u); err == nil && strings.HasSuffix(strings.ToLower(pu.Path), ".pdf") {
			typ = blockDocument
		}
		return contentBlock{Type: typ, Source: &source{Type: "url", URL: u}}, nil
	}
	if !media.IsDataURI(u) {
		return contentBlock{}, badRequest("messages", "messages[%d].content[%d]: an image must be an http(s) URL or a data URI", i, j)
	}
	mediaType, data, perr := splitDataURI(i, j, u)
	if perr != nil {
		return contentBlock{}, perr
	}
	if mediaType == pdfType {
		return contentBlock{Type: blockDocument, Source: &source{Type: "base64", MediaType: pdfType, Data: data}}, nil
	}
	if !imageTypes[mediaType] {
		return contentBlock{}, badRequest("messages",
			"messages[%d].content[%d]: media type %q is not supported by Anthropic (use image/jpeg, image/png, image/gif, image/webp or application/pdf)", i, j, mediaType)
	}
	return contentBlock{Type: blockImage, Source: &source{Type: "base64", MediaType: mediaType, Data: data}}, nil
}

// splitDataURI returns a base64 data URI's media type and payload without
// decoding it: Anthropic wants the same base64 text back. Only a URI without a
// media type is decoded, to sniff one.
func splitDataURI(i, j int, u string) (string, string, *providers.Error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok || !strings.HasSuffix(meta, ";base64") || data == "" {
		return "", "", badRequest("messages", "messages[%d].content[%d]: data URI must be data:<media type>;base64,<data>", i, j)
	}
	mediaType, _, _ := strings.Cut(meta, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	if mediaType == "" {
		img, err := media.ParseDataURI(u)
		if err != nil {
			return "", "", badRequest("messages", "messages[%d].content[%d]: %v", i, j, err)
		}
		mediaType = img.MediaType
	}
	if mediaType == "image/jpg" {
		mediaType = "image/jpeg"
	}
	return mediaType, data, nil
}

func assistantBlocks(i int, m *unified.Message) ([]contentBlock, *providers.Error) {
	var blocks []contentBlock
	if m.Content.Text != nil && *m.Content.Text != "" {
		blocks = append(blocks, contentBlock{Type: blockText, Text: *m.Content.Text})
	}
	for j, p := range m.Content.Parts {
		text := p.Text
		if p.Type == unified.PartRefusal {
			text = p.Refusal
		} else if p.Type != unified.PartText {
			return nil, badRequest("messages", "messages[%d].content[%d]: assistant content type %q is not supported", i, j, p.Type)
		}
		if text != "" {
			blocks = append(blocks, contentBlock{Type: blockText, Text: text})
		}
	}
	for j, tc := range m.ToolCalls {
		if tc.Type != "" && tc.Type != "function" {
			return nil, badRequest("messages", "messages[%d].tool_calls[%d]: only function calls are supported", i, j)
		}
		if tc.ID == "" || tc.Function.Name == "" {
			return nil, badRequest("messages", "messages[%d].tool_calls[%d]: id and function.name are required", i, j)
		}
		input, ok := argumentsObject(tc.Function.Arguments)
		if !ok {
			return nil, badRequest("messages", "messages[%d].tool_calls[%d].function.arguments must be a JSON object", i, j)
		}
		blocks = append(blocks, contentBlock{Type: blockToolUse, ID: sanitizeID(tc.ID), Name: tc.Function.Name, Input: input})
	}
	return blocks, nil
}

// argumentsObject returns OpenAI's JSON-encoded arguments as the object
// Anthropic wants for tool_use.input; empty arguments mean {}.
func argumentsObject(args string) (json.RawMessage, bool) {
	s := strings.TrimSpace(args)
	if s == "" {
		return json.RawMessage(`{}`), true
	}
	if s[0] != '{' || !json.Valid([]byte(s)) {
		return nil, false
	}
	return json.RawMessage(s), true
}

func toolResultBlocks(i int, m *unified.Message) ([]contentBlock, *providers.Error) {
	if m.ToolCallID == "" {
		return nil, badRequest("messages", "messages[%d].tool_call_id is required for tool messages", i)
	}
	b := contentBlock{Type: blockToolResult, ToolUseID: sanitizeID(m.ToolCallID)}
	if m.Content.Text != nil {
		if *m.Content.Text != "" {
			b.Content, _ = json.Marshal(*m.Content.Text)
		}
	} else {
		var parts []contentBlock
		for j, p := range m.Content.Parts {
			if p.Type != unified.PartText {
				return nil, badRequest("messages", "messages[%d].content[%d]: tool results may only contain text", i, j)
			}
			if p.Text != "" {
				parts = append(parts, contentBlock{Type: blockText, Text: p.Text})
			}
		}
		if len(parts) > 0 {
			b.Content, _ = json.Marshal(parts)
		}
	}
	return []contentBlock{b}, nil
}
