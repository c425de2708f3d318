package responses

import (
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
