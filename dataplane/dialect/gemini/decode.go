package gemini

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Errors are Google's INVALID_ARGUMENT 400s, naming the field by its path as
// the client wrote it (contents[0].parts[1].inlineData.data).

// invalid reports a field whose value is wrong.
func invalid(field, format string, args ...any) *providers.Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = "Invalid value at '" + field + "': " + msg
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_argument", Param: field, Message: msg}
}

// wrongType reports a value of the wrong JSON type, as Google's JSON parser
// does: Invalid value at 'generationConfig.temperature' (TYPE_FLOAT), "hot".
func wrongType(field, want string, raw json.RawMessage) *providers.Error {
	v := string(raw)
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_argument", Param: field,
		Message: "Invalid value at '" + field + "' (" + want + "), " + v}
}

// missing reports a required field, as Google does:
// * GenerateContentRequest.contents: contents is not specified.
func missing(reqType, field string) *providers.Error {
	last := field
	if i := strings.LastIndexAny(last, ".]"); i >= 0 {
		last = strings.TrimLeft(last[i:], ".]")
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_argument", Param: field,
		Message: "* " + reqType + "." + field + ": " + last + " is not specified"}
}

// object is a JSON object whose fields are read by their camelCase name or
// its snake_case form, as proto JSON parsers accept both.
type object map[string]json.RawMessage

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// decodeObject reads an object; a null or absent value is an empty object.
func decodeObject(raw json.RawMessage, field string) (object, *providers.Error) {
	if absent(raw) {
		return object{}, nil
	}
	raw = bytes.TrimSpace(raw)
	var o object
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &o) != nil {
		return nil, wrongType(field, "TYPE_MESSAGE", raw)
	}
	return o, nil
}

// get returns the field named camel (or its snake_case form), nil when
// absent or null.
func (o object) get(camel string) json.RawMessage {
	if v, ok := o[camel]; ok && !absent(v) {
		return v
	}
	if v, ok := o[snake(camel)]; ok && !absent(v) {
		return v
	}
	return nil
}

// has reports whether the field is present and not null.
func (o object) has(camel string) bool { return o.get(camel) != nil }

func snake(camel string) string {
	var b strings.Builder
	for i := 0; i < len(camel); i++ {
		c := camel[i]
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func index(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// decodeList reads a repeated field; like Google's parser it takes a single
// value for a one-element list.
func decodeList(raw json.RawMessage, field string) ([]json.RawMessage, *providers.Error) {
	if absent(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] != '[' {
		return []json.RawMessage{raw}, nil
	}
	var a []json.RawMessage
	if json.Unmarshal(raw, &a) != nil {
		return nil, wrongType(field, "TYPE_LIST", raw)
	}
	return a, nil
}

func decodeString(raw json.RawMessage, field string) (string, *providers.Error) {
	var s string
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", wrongType(field, "TYPE_STRING", raw)
	}
	return s, nil
}

// decodeNumber reads a number, or a string holding one (proto JSON).
func decodeNumber(raw json.RawMessage, field string) (float64, *providers.Error) {
	raw = bytes.TrimSpace(raw)
	var f float64
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, wrongType(field, "TYPE_DOUBLE", raw)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, wrongType(field, "TYPE_DOUBLE", raw)
		}
		f = v
	} else if json.Unmarshal(raw, &f) != nil {
		return 0, wrongType(field, "TYPE_DOUBLE", raw)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, wrongType(field, "TYPE_DOUBLE", raw)
	}
	return f, nil
}

// decodeInt reads an integer, or a string holding one (proto JSON's int64).
func decodeInt(raw json.RawMessage, field string) (int64, *providers.Error) {
	f, perr := decodeNumber(raw, field)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, wrongType(field, "TYPE_INT64", raw)
	}
	return int64(f), nil
}

func decodeBool(raw json.RawMessage, field string) (bool, *providers.Error) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, wrongType(field, "TYPE_BOOL", raw)
}

// decodeEnum reads an enum by name (any case) or by number; names lists the
// values by number. The result is the upper-case name.
func decodeEnum(raw json.RawMessage, field string, names []string) (string, *providers.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] != '"' {
		n, perr := decodeInt(raw, field)
		if perr != nil || n < 0 || n >= int64(len(names)) {
			return "", invalid(field, "unknown enum value %s", raw)
		}
		return names[n], nil
	}
	s, perr := decodeString(raw, field)
	if perr != nil {
		return "", perr
	}
	up := strings.ToUpper(s)
	for _, n := range names {
		if n == up {
			return n, nil
		}
	}
	return "", invalid(field, "unknown enum value %q; expected one of %s", s, strings.Join(names, ", "))
}
