package anthropic

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// badRequest is Anthropic's 400, naming the field by its dotted path.
func badRequest(param, format string, args ...any) *providers.Error {
	msg := fmt.Sprintf(format, args...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_request", Param: param, Message: msg}
}

func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func path(parent string, elems ...any) string {
	var b strings.Builder
	b.WriteString(parent)
	for _, e := range elems {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, e)
	}
	return b.String()
}

func decodeString(raw json.RawMessage, param string) (string, *providers.Error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", badRequest(param, "Input should be a valid string")
	}
	return s, nil
}

func decodeNumber(raw json.RawMessage, param string) (float64, *providers.Error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badRequest(param, "Input should be a valid number")
	}
	return f, nil
}

func decodeInt(raw json.RawMessage, param string) (int64, *providers.Error) {
	f, perr := decodeNumber(raw, param)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, badRequest(param, "Input should be a valid integer")
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
	return false, badRequest(param, "Input should be a valid boolean")
}

func decodeArray(raw json.RawMessage, param string) ([]json.RawMessage, *providers.Error) {
	var a []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, badRequest(param, "Input should be a valid list")
	}
	return a, nil
}

// decodeObject decodes an object into v, naming the offending field when one
// has the wrong type.
func decodeObject(raw json.RawMessage, param string, v any) *providers.Error {
	if len(raw) == 0 || raw[0] != '{' {
		return badRequest(param, "Input should be a valid dictionary")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badRequest(path(param, te.Field), "Input should be a valid %s", jsonKind(te.Type.Kind().String()))
		}
		return badRequest(param, "Input should be a valid dictionary")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "map", "struct":
		return "dictionary"
	case "ptr":
		return "value"
	default:
		return "number"
	}
}
