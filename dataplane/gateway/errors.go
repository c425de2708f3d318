package gateway

import (
	"errors"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// openAIError is OpenAI's error body; param and code are nullable, so they are
// pointers that marshal as null when unset.
type openAIError struct {
	Error openAIErrorBody `json:"error"`
}

type openAIErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// openAIErrorJSON renders e in OpenAI's format.
func openAIErrorJSON(e *providers.Error) []byte {
	typ := e.Type
	if typ == "" {
		typ = providers.ErrorType(e.Status)
	}
	b, _ := json.Marshal(openAIError{Error: openAIErrorBody{Message: e.Message, Type: typ, Param: nullable(e.Param), Code: nullable(e.Code)}})
	return b
}

// writeError answers with e in OpenAI's format and the right status.
func writeError(rc *fasthttp.RequestCtx, e *providers.Error) {
	rc.Response.Header.SetContentType("application/json")
	if e.RetryAfter != "" && (e.Status == 429 || e.Status == 503) {
		rc.Response.Header.Set("Retry-After", e.RetryAfter)
	}
	rc.SetStatusCode(e.Status)
	rc.SetBody(openAIErrorJSON(e))
}

// asError turns any error into a providers.Error.
func asError(err error) *providers.Error {
	var pe *providers.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &providers.Error{Status: 502, Type: "api_error", Message: err.Error()}
}

func badRequest(param, msg string) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Param: param, Code: "invalid_request", Message: msg}
}

// jsonSyntaxError explains why body is not valid JSON; only called on the
// error path, so the full decode costs nothing on good requests.
func jsonSyntaxError(body []byte) string {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "request body is empty: expected a JSON object"
	}
	var v any
	err := json.Unmarshal(body, &v)
	if err == nil {
		return "request body must be a JSON object"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON in request body at offset " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()
	}
	return "invalid JSON in request body: " + err.Error()
}
