package gemini

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"encoding/json"
)

// Gemini's Schema (function parameters and responseSchema) is a subset of
// OpenAPI 3.0, not JSON Schema: the service rejects unknown keys with
// `Invalid JSON payload received. Unknown name "additionalProperties"`, and an
// OBJECT whose properties are present but empty. convertSchema rewrites an
// OpenAI (JSON Schema) schema into that subset:
//
//   - type names become the proto enum names (OBJECT, STRING, ...); a type
//     array such as ["string","null"] becomes STRING with nullable: true, and
//     several non-null types become anyOf;
//   - local $ref ("#/$defs/X", "#/definitions/X") are inlined (a recursive
//     reference becomes a bare schema of the target's type);
//   - oneOf becomes anyOf; a {"type":"null"} branch becomes nullable; allOf
//     is merged into one schema;
//   - const becomes a one-value enum, examples becomes example (the first);
//   - enum is kept only on strings and when every value is a string
//     (Gemini's enums are strings); format is kept only where Gemini knows it (date-time and enum
//     for strings, int32/int64/float/double for numbers);
//   - properties and required are kept on OBJECT schemas only, items on
//     ARRAY schemas only (a schema with them and no type gets that type);
//     required names not in properties are dropped; empty properties are
//     dropped;
//   - in responseSchema, propertyOrdering lists the properties in the
//     client's order (Gemini otherwise emits them alphabetically);
//   - every other key is dropped: $schema, $id, $comment, $defs, definitions,
//     additionalProperties, patternProperties, unevaluatedProperties,
//     propertyNames, dependentRequired, dependentSchemas, if/then/else, not,
//     exclusiveMinimum, exclusiveMaximum, multipleOf, uniqueItems, contains,
//     prefixItems, readOnly, writeOnly, deprecated, contentEncoding,
//     contentMediaType, strict and any vendor extension.

// schemaMaxDepth bounds nesting (and $ref expansion) so a hostile schema
// cannot make the translator loop or allocate without limit.
const schemaMaxDepth = 48

// keptKeys are copied unchanged.
var keptKeys = []string{"title", "description", "nullable", "minItems", "maxItems", "minLength", "maxLength",
	"pattern", "minimum", "maximum", "minProperties", "maxProperties", "default", "example", "propertyOrdering"}

type schemaConverter struct {
	defs map[string]any
	// expanding holds the $refs being inlined, to stop recursion.
	expanding map[string]bool
	// ordering adds propertyOrdering with the client's property order:
	// Gemini otherwise generates structured output with the keys sorted,
	// which changes answers whose schema puts "reasoning" before "answer".
	ordering bool
}

// convertSchema converts raw JSON Schema; a nil or "null" input gives nil.
func convertSchema(raw json.RawMessage, ordering bool) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	root, err := decodeOrdered(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON schema: %w", err)
	}
	obj, ok := root.(*object)
	if !ok {
		return nil, fmt.Errorf("schema must be a JSON object")
	}
	c := &schemaConverter{defs: map[string]any{}, expanding: map[string]bool{}, ordering: ordering}
	for _, k := range []string{"definitions", "$defs"} {
		if d, ok := obj.m[k].(*object); ok {
			for name, s := range d.m {
				c.defs["#/"+k+"/"+name] = s
			}
		}
	}
	return c.convert(obj, 0), nil
}

func (c *schemaConverter) convert(node any, depth int) map[string]any {
	o, ok := node.(*object)
	if !ok || depth > schemaMaxDepth {
		return map[string]any{}
	}
	in := o.m
	if ref, ok := in["$ref"].(string); ok {
		return c.inlineRef(in, ref, depth)
	}
	out := map[string]any{}
	for _, k := range keptKeys {
		if v, ok := in[k]; ok {
			out[k] = plain(v)
		}
	}
	if ex, ok := in["examples"].([]any); ok && len(ex) > 0 && out["example"] == nil {
		out["example"] = plain(ex[0])
	}
	convertType(in, out)
	enum, _ := in["enum"].([]any)
	if v, ok := in["const"].(string); ok {
		enum = []any{v}
	}
	if allStrings(enum) && (out["type"] == nil || out["type"] == "STRING") {
		out["enum"] = enum
		out["type"] = "STRING"
	}
	if f, ok := in["format"].(string); ok && formatAllowed(out["type"], f) {
		out["format"] = f
	}
	// properties and required are "only allowed for OBJECT type", items
	// only for ARRAY: a schema that has them without a type gets that type,
	// one with another type loses them.
	props, _ := in["properties"].(*object)
	if props != nil && len(props.keys) > 0 && out["type"] == nil {
		out["type"] = "OBJECT"
	}
	if props != nil && len(props.keys) > 0 && out["type"] == "OBJECT" {
		conv := make(map[string]any, len(props.keys))
		order := make([]any, len(props.keys))
		for i, name := range props.keys {
			conv[name] = c.convert(props.m[name], depth+1)
			order[i] = name
		}
		out["properties"] = conv
		if c.ordering && len(order) > 1 {
			out["propertyOrdering"] = order
		}
		if req, ok := in["required"].([]any); ok {
			var keep []any
			for _, r := range req {
				if s, ok := r.(string); ok && props.m[s] != nil {
					keep = append(keep, s)
				}
			}
			if len(keep) > 0 {
				out["required"] = keep
			}
		}
	}
	if in["items"] != nil && out["type"] == nil {
		out["type"] = "ARRAY"
	}
	switch items := in["items"].(type) {
	case *object:
		if out["type"] == "ARRAY" {
			out["items"] = c.convert(items, depth+1)
		}
	case []any: // tuple form: Gemini has one item schema
		if len(items) > 0 && out["type"] == "ARRAY" {
			out["items"] = c.convert(items[0], depth+1)
		}
	}
	c.convertAnyOf(in, out, depth)
	if all, ok := in["allOf"].([]any); ok {
		for _, s := range all {
			mergeSchema(out, c.convert(s, depth+1))
		}
	}
	return out
}

// inlineRef replaces a local $ref by the schema it names; sibling keys of the
// $ref (description, nullable) override the target's.
func (c *schemaConverter) inlineRef(in map[string]any, ref string, depth int) map[string]any {
	target, ok := c.defs[ref]
	if !ok {
		return map[string]any{} // remote or unknown reference: any value
	}
	var out map[string]any
	if c.expanding[ref] {
		out = map[string]any{}
		if t, ok := target.(*object); ok {
			convertType(t.m, out)
		}
	} else {
		c.expanding[ref] = true
		out = c.convert(target, depth+1)
		delete(c.expanding, ref)
	}
	for _, k := range []string{"description", "title", "nullable", "default"} {
		if v, ok := in[k]; ok {
			out[k] = plain(v)
		}
	}
	return out
}

func convertType(in, out map[string]any) {
	switch t := in["type"].(type) {
	case string:
		if strings.EqualFold(t, "null") {
			out["nullable"] = true
			return
		}
		out["type"] = strings.ToUpper(t)
	case []any:
		var types []string
		for _, v := range t {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if strings.EqualFold(s, "null") {
				out["nullable"] = true
				continue
			}
			types = append(types, strings.ToUpper(s))
		}
		switch len(types) {
		case 0:
		case 1:
			out["type"] = types[0]
		default:
			alts := make([]any, len(types))
			for i, s := range types {
				alts[i] = map[string]any{"type": s}
			}
			out["anyOf"] = alts
		}
	}
}

// convertAnyOf turns anyOf/oneOf into anyOf, folding a null branch into
// nullable and a single remaining branch into the schema itself.
func (c *schemaConverter) convertAnyOf(in, out map[string]any, depth int) {
	var branches []any
	for _, k := range []string{"anyOf", "oneOf"} {
		if l, ok := in[k].([]any); ok {
			branches = append(branches, l...)
		}
	}
	if len(branches) == 0 {
		return
	}
	var keep []any
	for _, b := range branches {
		if isNullSchema(b) {
			out["nullable"] = true
			continue
		}
		keep = append(keep, c.convert(b, depth+1))
	}
	switch len(keep) {
	case 0:
	case 1:
		mergeSchema(out, keep[0].(map[string]any))
	default:
		out["anyOf"] = keep
	}
}

func isNullSchema(node any) bool {
	o, ok := node.(*object)
	if !ok {
		return false
	}
	t, ok := o.m["type"].(string)
	return ok && strings.EqualFold(t, "null") && len(o.keys) == 1
}

// mergeSchema folds src into dst: properties and required are unioned, other
// keys are set where dst has none.
func mergeSchema(dst, src map[string]any) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := src[k]
		switch k {
		case "properties":
			p, _ := dst["properties"].(map[string]any)
			if p == nil {
				p = map[string]any{}
			}
			for name, s := range v.(map[string]any) {
				p[name] = s
			}
			dst["properties"] = p
		case "required":
			r, _ := dst["required"].([]any)
			dst["required"] = append(r, v.([]any)...)
		default:
			if _, ok := dst[k]; !ok {
				dst[k] = v
			}
		}
	}
}

func allStrings(l []any) bool {
	if len(l) == 0 {
		return false
	}
	for _, v := range l {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

func formatAllowed(typ any, f string) bool {
	switch typ {
	case "STRING":
		return f == "date-time" || f == "enum"
	case "INTEGER":
		return f == "int32" || f == "int64"
	case "NUMBER":
		return f == "float" || f == "double"
	}
	return false
}

// isEmptyObject reports whether s is an OBJECT schema without properties,
// which Gemini rejects as function parameters ("properties: should be
// non-empty for OBJECT type"); such parameters are omitted instead.
func isEmptyObject(s map[string]any) bool {
	if s == nil {
		return true
	}
	t, _ := s["type"].(string)
	_, hasProps := s["properties"]
	_, hasAny := s["anyOf"]
	return (t == "OBJECT" || t == "") && !hasProps && !hasAny
}

// object is a decoded JSON object that remembers its key order.
type object struct {
	keys []string
	m    map[string]any
}

// decodeOrdered decodes one JSON value: objects become *object, numbers
// json.Number, the rest as encoding/json does.
func decodeOrdered(dec *json.Decoder, depth int) (any, error) {
	if depth > 2*schemaMaxDepth {
		return nil, fmt.Errorf("schema nests deeper than %d levels", 2*schemaMaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{m: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(dec, depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := o.m[k]; !dup {
				o.keys = append(o.keys, k)
			}
			o.m[k] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		l := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := dec.Token()
		return l, err
	}
	return tok, nil
}

// plain turns decoded values back into what json.Marshal writes as-is.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.m))
		for k, x := range t.m {
			m[k] = plain(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = plain(x)
		}
		return l
	}
	return v
}
