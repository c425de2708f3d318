package gemini

import (
	"bytes"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// thinkingLevels are ThinkingConfig.ThinkingLevel by number.
var thinkingLevels = []string{"THINKING_LEVEL_UNSPECIFIED", "LOW", "MEDIUM", "HIGH", "MINIMAL"}

// generationConfig converts the sampling, length, format and thinking
// settings.
func (c *converter) generationConfig(raw json.RawMessage, field string) *providers.Error {
	g, perr := decodeObject(raw, field)
	if perr != nil {
		return perr
	}
	out := &c.out
	num := func(name string) (*float64, *providers.Error) {
		r := g.get(name)
		if r == nil {
			return nil, nil
		}
		f, perr := decodeNumber(r, join(field, name))
		if perr != nil {
			return nil, perr
		}
		return &f, nil
	}
	integer := func(name string) (*int64, *providers.Error) {
		r := g.get(name)
		if r == nil {
			return nil, nil
		}
		n, perr := decodeInt(r, join(field, name))
		if perr != nil {
			return nil, perr
		}
		return &n, nil
	}
	if out.Temperature, perr = num("temperature"); perr != nil {
		return perr
	}
	if out.TopP, perr = num("topP"); perr != nil {
		return perr
	}
	if out.PresencePenalty, perr = num("presencePenalty"); perr != nil {
		return perr
	}
	if out.FrequencyPenalty, perr = num("frequencyPenalty"); perr != nil {
		return perr
	}
	if out.Seed, perr = integer("seed"); perr != nil {
		return perr
	}
	maxTokens, perr := integer("maxOutputTokens")
	if perr != nil {
		return perr
	}
	if maxTokens != nil {
		if *maxTokens < 1 {
			return invalid(join(field, "maxOutputTokens"), "must be at least 1, got %d", *maxTokens)
		}
		out.MaxTokens = maxTokens
	}
	n, perr := integer("candidateCount")
	if perr != nil {
		return perr
	}
	if n != nil {
		if *n < 1 || *n > 128 {
			return invalid(join(field, "candidateCount"), "must be between 1 and 128, got %d", *n)
		}
		if *n > 1 {
			v := int(*n)
			out.N = &v
		}
	}
	sf := join(field, "stopSequences")
	stops, perr := decodeList(g.get("stopSequences"), sf)
	if perr != nil {
		return perr
	}
	for i, r := range stops {
		s, perr := decodeString(r, index(sf, i))
		if perr != nil {
			return perr
		}
		out.Stop = append(out.Stop, s)
	}
	if perr := c.responseFormat(g, field); perr != nil {
		return perr
	}
	if r := g.get("thinkingConfig"); r != nil {
		if perr := c.thinking(r, join(field, "thinkingConfig")); perr != nil {
			return perr
		}
	}
	return nil
}

// responseFormat maps responseMimeType and the response schemas.
func (c *converter) responseFormat(g object, field string) *providers.Error {
	mime := ""
	if r := g.get("responseMimeType"); r != nil {
		s, perr := decodeString(r, join(field, "responseMimeType"))
		if perr != nil {
			return perr
		}
		mime = strings.ToLower(strings.TrimSpace(s))
	}
	var schema json.RawMessage
	switch {
	case g.has("responseJsonSchema"):
		r := bytes.TrimSpace(g.get("responseJsonSchema"))
		if r[0] != '{' {
			return wrongType(join(field, "responseJsonSchema"), "TYPE_MESSAGE", r)
		}
		schema = r
	case g.has("responseSchema"):
		s, perr := convertSchema(g.get("responseSchema"), join(field, "responseSchema"))
		if perr != nil {
			return perr
		}
		schema = s
	}
	switch {
	case mime == "text/x.enum":
		// Plain text constrained to an enum: OpenAI has no such format.
		c.drop(join(field, "responseMimeType") + " (text/x.enum)")
	case schema != nil:
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_schema", JSONSchema: &unified.JSONSchema{Name: "response", Schema: schema}}
	case mime == "application/json":
		c.out.ResponseFormat = &unified.ResponseFormat{Type: "json_object"}
	}
	return nil
}

// thinking maps thinkingConfig to reasoning_effort (see the package
// comment for the presets).
func (c *converter) thinking(raw json.RawMessage, field string) *providers.Error {
	t, perr := decodeObject(raw, field)
	if perr != nil {
		return perr
	}
	if r := t.get("includeThoughts"); r != nil {
		if c.st.Thoughts, perr = decodeBool(r, join(field, "includeThoughts")); perr != nil {
			return perr
		}
	}
	if r := t.get("thinkingBudget"); r != nil {
		n, perr := decodeInt(r, join(field, "thinkingBudget"))
		if perr != nil {
			return perr
		}
		switch {
		case n <= 0:
			// 0 turns thinking off, -1 lets the model decide: the backend's
			// default either way.
		case n <= 1024:
			c.out.ReasoningEffort = "low"
		case n <= 8192:
			c.out.ReasoningEffort = "medium"
		default:
			c.out.ReasoningEffort = "high"
		}
	}
	if r := t.get("thinkingLevel"); r != nil {
		level, perr := decodeEnum(r, join(field, "thinkingLevel"), thinkingLevels)
		if perr != nil {
			return perr
		}
		if level != "THINKING_LEVEL_UNSPECIFIED" {
			c.out.ReasoningEffort = strings.ToLower(level)
		}
	}
	return nil
}
