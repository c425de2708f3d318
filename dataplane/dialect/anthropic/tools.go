package anthropic

import (
	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
