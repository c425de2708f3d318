package gemini

import (
	"bytes"
	"strings"

	"encoding/json"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// schemaTypes are Gemini's Type enum by number.
var schemaTypes = []string{"TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}

// schemaCamel maps the snake_case names of Gemini Schema fields to the
// camelCase ones; other keys pass as written.
var schemaCamel = map[string]string{
	"any_of": "anyOf", "property_ordering": "propertyOrdering", "min_items": "minItems", "max_items": "maxItems",
	"min_length": "minLength", "max_length": "maxLength", "min_properties": "minProperties",
	"max_properties": "maxProperties",
}

// schemaInts are the int64 fields proto JSON may send as strings.
var schemaInts = map[string]bool{
	"minItems": true, "maxItems": true, "minLength": true, "maxLength": true, "minProperties": true, "maxProperties": true,
}

// member is one key of a JSON object, in order.
type member struct {
	key   string
	value json.RawMessage
}

// orderedObject is a JSON object that keeps its keys' order: a schema's
// property order is the order a model writes them in.
type orderedObject []member

func (o orderedObject) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := jsonenc.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}'), nil
}

// members reads an object's keys in order; later duplicates win, in place.
func members(raw json.RawMessage) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	seen := map[string]int{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, ok := tok.(string)
		if !ok {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if i, dup := seen[key]; dup {
			out[i].value = v
			continue
		}
		seen[key] = len(out)
		out = append(out, member{key, v})
	}
	return out, true
}

// convertSchema turns a Gemini Schema (an OpenAPI 3.0 subset: upper-case
// type enums, nullable, propertyOrdering, int64s as strings) into JSON
// Schema: types are lowered, nullable becomes a "null" type, properties
// follow propertyOrdering when given, example becomes examples. Keys it does
// not know (additionalProperties, $ref, ... from clients that send JSON
// Schema here) pass through.
func convertSchema(raw json.RawMessage, field string) (json.RawMessage, *providers.Error) {
	return convertSchemaDepth(raw, field, 0)
}

// maxSchemaDepth bounds schema nesting: each level is re-read, so a body
// nested thousands deep would cost quadratic time. Real schemas stay far
// below it.
const maxSchemaDepth = 64

func convertSchemaDepth(raw json.RawMessage, field string, depth int) (json.RawMessage, *providers.Error) {
	if depth > maxSchemaDepth {
		return nil, invalid(field, "schema nesting exceeds %d levels", maxSchemaDepth)
	}
	raw = bytes.TrimSpace(raw)
	ms, ok := members(raw)
	if !ok {
		return nil, wrongType(field, "TYPE_MESSAGE", raw)
	}
	var (
		out      orderedObject
		typ      json.RawMessage
		typAt    = -1
		nullable bool
		ordering []string
	)
	for _, m := range ms {
		key := m.key
		if c, ok := schemaCamel[key]; ok {
			key = c
		}
		f := join(field, key)
		v := m.value
		switch key {
		case "type":
			if absent(v) {
				continue
			}
			if bytes.TrimSpace(v)[0] == '[' {
				// Already JSON Schema's list form.
				typ, typAt = v, len(out)
				out = append(out, member{"type", v})
				continue
			}
			name, perr := decodeEnum(v, f, schemaTypes)
			if perr != nil {
				return nil, perr
			}
			if name == "TYPE_UNSPECIFIED" {
				continue
			}
			typ, _ = jsonenc.Marshal(strings.ToLower(name))
			typAt = len(out)
			out = append(out, member{"type", typ})
		case "nullable":
			if absent(v) {
				continue
			}
			b, perr := decodeBool(v, f)
			if perr != nil {
				return nil, perr
			}
			nullable = b
		case "propertyOrdering":
			items, perr := decodeList(v, f)
			if perr != nil {
				return nil, perr
			}
			for i, it := range items {
				s, perr := decodeString(it, index(f, i))
				if perr != nil {
					return nil, perr
				}
				ordering = append(ordering, s)
			}
		case "properties":
			props, ok := members(bytes.TrimSpace(v))
			if !ok {
				return nil, wrongType(f, "TYPE_MAP", v)
			}
			conv := make(orderedObject, 0, len(props))
			for _, p := range props {
				s, perr := convertSchemaDepth(p.value, join(f, p.key), depth+1)
				if perr != nil {
					return nil, perr
				}
				conv = append(conv, member{p.key, s})
			}
			b, err := conv.MarshalJSON()
			if err != nil {
				return nil, invalid(f, "%v", err)
			}
			out = append(out, member{"properties", b})
		case "items":
			s, perr := convertSchemaDepth(v, f, depth+1)
			if perr != nil {
				return nil, perr
			}
			out = append(out, member{"items", s})
		case "anyOf":
			items, perr := decodeList(v, f)
			if perr != nil {
				return nil, perr
			}
			list := make([]json.RawMessage, len(items))
			for i, it := range items {
				if list[i], perr = convertSchemaDepth(it, index(f, i), depth+1); perr != nil {
					return nil, perr
				}
			}
			b, _ := jsonenc.Marshal(list)
			out = append(out, member{"anyOf", b})
		case "example":
			b, _ := jsonenc.Marshal([]json.RawMessage{v})
			out = append(out, member{"examples", b})
		default:
			if schemaInts[key] && !absent(v) {
				n, perr := decodeInt(v, f)
				if perr != nil {
					return nil, perr
				}
				b, _ := jsonenc.Marshal(n)
				v = b
			}
			out = append(out, member{key, v})
		}
	}
	if nullable && typAt >= 0 && typ[0] == '"' {
		out[typAt].value = append(append([]byte{'['}, typ...), `,"null"]`...)
	}
	if len(ordering) > 0 {
		out = orderProperties(out, ordering)
	}
	b, err := out.MarshalJSON()
	if err != nil {
		return nil, invalid(field, "%v", err)
	}
	return b, nil
}

// orderProperties puts the properties named in ordering first, in that order.
func orderProperties(out orderedObject, ordering []string) orderedObject {
	for i, m := range out {
		if m.key != "properties" {
			continue
		}
		props, ok := members(m.value)
		if !ok {
			return out
		}
		sorted := make(orderedObject, 0, len(props))
		used := make([]bool, len(props))
		for _, name := range ordering {
			for j, p := range props {
				if !used[j] && p.key == name {
					sorted = append(sorted, p)
					used[j] = true
				}
			}
		}
		for j, p := range props {
			if !used[j] {
				sorted = append(sorted, p)
			}
		}
		if b, err := sorted.MarshalJSON(); err == nil {
			out[i].value = b
		}
	}
	return out
}
