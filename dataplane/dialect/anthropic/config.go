package anthropic

import (
	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// reasoning maps extended thinking (and output_config.effort) to
// reasoning_effort.
func (c *converter) reasoning(rawThinking, rawOutputConfig json.RawMessage) *providers.Error {
	if !absent(rawThinking) {
		var th struct {
			Type         *string         `json:"type"`
			BudgetTokens json.RawMessage `json:"budget_tokens"`
		}
		if perr := decodeObject(rawThinking, "thinking", &th); perr != nil {
			return perr
		}
		if th.Type == nil {
			return badRequest("thinking.type", "Field required")
		}
		switch *th.Type {
		case "enabled":
			if absent(th.BudgetTokens) {
				return badRequest("thinking.budget_tokens", "Field required")
			}
			n, perr := decodeInt(th.BudgetTokens, "thinking.budget_tokens")
			if perr != nil {
				return perr
			}
			if n < 1 {
				return badRequest("thinking.budget_tokens", "Input should be greater than or equal to 1")
			}
			c.st.Thinking = true
			switch {
			case n <= 1024:
				c.out.ReasoningEffort = "low"
			case n <= 8192:
				c.out.ReasoningEffort = "medium"
			default:
				c.out.ReasoningEffort = "high"
			}
		case "adaptive":
			c.st.Thinking = true
			c.out.ReasoningEffort = "medium"
		case "disabled":
		default:
			return badRequest("thinking.type", "Input should be 'enabled', 'disabled' or 'adaptive'")
		}
	}
	if !absent(rawOutputConfig) {
		var oc struct {
			Effort *string `json:"effort"`
		}
		if perr := decodeObject(rawOutputConfig, "output_config", &oc); perr != nil {
			return perr
		}
		if oc.Effort != nil {
			switch *oc.Effort {
			case "low", "medium", "high":
				c.out.ReasoningEffort = *oc.Effort
			case "max":
				c.out.ReasoningEffort = "high"
			default:
				return badRequest("output_config.effort", "Input should be 'low', 'medium', 'high' or 'max'")
			}
		}
	}
	return nil
}

// outputFormat maps structured outputs (output_config.format, or the older
// beta output_format) to response_format json_schema.
func (c *converter) outputFormat(rawFormat, rawOutputConfig json.RawMessage) *providers.Error {
	param := "output_format"
	raw := rawFormat
	if !absent(rawOutputConfig) {
		var oc struct {
			Format json.RawMessage `json:"format"`
		}
		if perr := decodeObject(rawOutputConfig, "output_config", &oc); perr != nil {
			return perr
		}
		if !absent(oc.Format) {
			param, raw = "output_config.format", oc.Format
		}
	}
	if absent(raw) {
		return nil
	}
	var f struct {
		Type   *string         `json:"type"`
		Schema json.RawMessage `json:"schema"`
	}
	if perr := decodeObject(raw, param, &f); perr != nil {
		return perr
	}
	if f.Type == nil || *f.Type != "json_schema" {
		return badRequest(path(param, "type"), "Input should be 'json_schema'")
	}
	if absent(f.Schema) || f.Schema[0] != '{' {
		return badRequest(path(param, "schema"), "Input should be a valid dictionary")
	}
	c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_schema", JSONSchema: &unified.JSONSchema{Name: "output", Schema: f.Schema}}
	return nil
}
