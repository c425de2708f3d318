package responses

import (
	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
