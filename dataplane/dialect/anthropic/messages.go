package anthropic

import (
	"bytes"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
