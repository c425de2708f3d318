package gemini

import (
	"bytes"
	"slices"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

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
