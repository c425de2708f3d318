package bedrock

import (
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// exceptionStatus is the HTTP status of each Bedrock runtime exception, as
// the service documents them. Stream exceptions use the same names with a
// lower-case first letter.
var exceptionStatus = map[string]int{
	"ValidationException":                 400,
	"ServiceQuotaExceededException":       400,
	"AccessDeniedException":               403,
	"UnrecognizedClientException":         403,
	"InvalidSignatureException":           403,
	"IncompleteSignatureException":        403,
	"MissingAuthenticationTokenException": 403,
	"ExpiredTokenException":               403,
	"ResourceNotFoundException":           404,
	"ModelTimeoutException":               408,
	"ModelErrorException":                 424,
	"ModelStreamErrorException":           424,
	"ThrottlingException":                 429,
	"ModelNotReadyException":              429,
	"InternalServerException":             500,
	"ServiceUnavailableException":         503,
}

// authExceptions mean the credential itself was refused.
var authExceptions = map[string]bool{
	"UnrecognizedClientException": true, "InvalidSignatureException": true, "IncompleteSignatureException": true,
	"MissingAuthenticationTokenException": true, "ExpiredTokenException": true,
}

// retryableExceptions are worth another attempt whatever their status.
var retryableExceptions = map[string]bool{
	"ThrottlingException": true, "ModelNotReadyException": true, "ModelTimeoutException": true,
	"InternalServerException": true, "ServiceUnavailableException": true,
}

// errorType extracts the exception name from x-amzn-ErrorType
// ("ValidationException:http://internal.amazon.com/...") or a body's
// "__type" ("com.amazon.coral.service#UnrecognizedClientException").
func errorType(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

// upstreamError converts a Bedrock error response into a providers.Error
// with the upstream status and message.
func upstreamError(status int, typeHeader string, body []byte, retryAfter string) *providers.Error {
	var eb errorBody
	_ = json.Unmarshal(body, &eb)
	typ := errorType(typeHeader)
	if typ == "" {
		typ = errorType(eb.Type)
	}
	msg := eb.Message
	if msg == "" {
		msg = eb.MessageUpper
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
	}
	if msg == "" {
		msg = "Bedrock returned status " + strconv.Itoa(status)
	}
	if status < 400 {
		return &providers.Error{Status: 502, Type: "api_error", Code: typ, Retryable: true,
			Message: "Bedrock answered with unexpected status " + strconv.Itoa(status) + ": " + msg}
	}
	return newError(status, typ, msg, retryAfter)
}

func newError(status int, typ, msg, retryAfter string) *providers.Error {
	e := &providers.Error{Status: status, Type: providers.ErrorType(status), Code: typ, Message: msg, RetryAfter: retryAfter,
		Retryable: providers.RetryableStatus(status) || retryableExceptions[typ], Timeout: typ == "ModelTimeoutException"}
	if authExceptions[typ] {
		e.Type = "authentication_error"
	}
	return e
}

// exceptionError converts a stream exception event (":exception-type"
// throttlingException, modelStreamErrorException, ...) into a providers.Error.
func exceptionError(excType string, payload []byte) *providers.Error {
	typ := excType
	if typ != "" {
		typ = strings.ToUpper(typ[:1]) + typ[1:]
	}
	status, ok := exceptionStatus[typ]
	if !ok {
		status = 502
	}
	var eb errorBody
	_ = json.Unmarshal(payload, &eb)
	msg := eb.Message
	if msg == "" {
		msg = eb.MessageUpper
	}
	if eb.OriginalError != "" && eb.OriginalError != msg {
		msg = strings.TrimSpace(msg + " (model said: " + eb.OriginalError + ")")
	}
	if msg == "" {
		msg = "Bedrock stream failed with " + excType
	}
	return newError(status, typ, msg, "")
}

// streamError converts an event-stream "error" message.
func streamError(code, msg string) *providers.Error {
	status, ok := exceptionStatus[code]
	if !ok {
		status = 502
	}
	if msg == "" {
		msg = "Bedrock stream failed with " + code
	}
	return newError(status, code, msg, "")
}
