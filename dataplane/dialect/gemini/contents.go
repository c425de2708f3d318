package gemini

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
