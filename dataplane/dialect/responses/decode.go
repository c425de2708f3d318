package responses

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// badRequest is OpenAI's 400.
func badRequest(param, code, format string, args ...any) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

func missing(param string) *providers.Error {
	return badRequest(param, "missing_required_parameter", "Missing required parameter: '%s'.", param)
}

func invalidType(param, expected string, raw json.RawMessage) *providers.Error {
	return badRequest(param, "invalid_type", "Invalid type for '%s': expected %s, but got %s instead.", param, expected, kindOf(raw))
}

func invalidValue(param, value string, supported ...string) *providers.Error {
	quoted := make([]string, len(supported))
	for i, s := range supported {
		quoted[i] = "'" + s + "'"
	}
	return badRequest(param, "invalid_value", "Invalid value for '%s': '%s'. Supported values are: %s.", param, value, strings.Join(quoted, ", "))
}

// kindOf names a JSON value's kind the way OpenAI's errors do.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "a decimal"
	}
	return "an integer"
}

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func decodeString(raw json.RawMessage, param string) (string, *providers.Error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", invalidType(param, "a string", raw)
	}
	return s, nil
}

// requiredString decodes a field that must be a non-empty string.
func requiredString(raw json.RawMessage, param string) (string, *providers.Error) {
	if absent(raw) {
		return "", missing(param)
	}
	s, perr := decodeString(raw, param)
	if perr == nil && s == "" {
		perr = badRequest(param, "empty_string", "Invalid '%s': empty string. Expected a string with minimum length 1, but got an empty string instead.", param)
	}
	return s, perr
}

// optionalString decodes a field that may be absent or null.
func optionalString(raw json.RawMessage, param string) (string, *providers.Error) {
	if absent(raw) {
		return "", nil
	}
	return decodeString(raw, param)
}

func decodeNumber(raw json.RawMessage, param string) (float64, *providers.Error) {
	var f float64
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) || json.Unmarshal(raw, &f) != nil ||
		math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, invalidType(param, "a decimal", raw)
	}
	return f, nil
}

func decodeInt(raw json.RawMessage, param string) (int64, *providers.Error) {
	f, perr := decodeNumber(raw, param)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, invalidType(param, "an integer", raw)
	}
	return int64(f), nil
}

func decodeBool(raw json.RawMessage, param string) (bool, *providers.Error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidType(param, "a boolean", raw)
}

func decodeArray(raw json.RawMessage, param string) ([]json.RawMessage, *providers.Error) {
	var a []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, invalidType(param, "an array", raw)
	}
	return a, nil
}

// decodeObject decodes an object whose fields are json.RawMessage (or
// strings checked later); only the outer shape can be wrong here.
func decodeObject(raw json.RawMessage, param string, v any) *providers.Error {
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, v) != nil {
		return invalidType(param, "an object", raw)
	}
	return nil
}

func idx(param string, i int) string { return param + "[" + strconv.Itoa(i) + "]" }
