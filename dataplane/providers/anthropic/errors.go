package anthropic

import (
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// statusOverloaded is Anthropic's non-standard "overloaded" status. OpenAI
// clients and SDKs do not know it, so it is answered as 503 (still retryable).
const statusOverloaded = 529

// statusForType maps an Anthropic error type to the HTTP status Anthropic
// uses for it; mid-stream error events carry only the type.
func statusForType(typ string) int {
	switch typ {
	case "invalid_request_error":
		return 400
	case "authentication_error":
		return 401
	case "billing_error":
		return 402
	case "permission_error":
		return 403
	case "not_found_error":
		return 404
	case "request_too_large":
		return 413
	case "rate_limit_error":
		return 429
	case "timeout_error":
		return 504
	case "overloaded_error":
		return 503
	default: // api_error and anything new
		return 500
	}
}

// UpstreamError converts an Anthropic error response into a providers.Error
// with the upstream status (529 becomes 503), the upstream message, the
// Anthropic error type as Code, and Retry-After. 429, 5xx and 529 are
// retryable.
func UpstreamError(status int, body []byte, retryAfter string) *providers.Error {
	if status < 400 {
		return &providers.Error{Status: 502, Type: "api_error", Retryable: true,
			Message: "anthropic answered with unexpected status " + strconv.Itoa(status)}
	}
	retryable := providers.RetryableStatus(status)
	if status == statusOverloaded {
		status = 503
	}
	e := &providers.Error{Status: status, Type: providers.ErrorType(status), Retryable: retryable, RetryAfter: retryAfter}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Message = eb.Error.Message
		e.Code = eb.Error.Type
	}
	if e.Message == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		if msg == "" {
			msg = "anthropic returned status " + strconv.Itoa(status)
		}
		e.Message = msg
	}
	return e
}

// streamError converts an "error" event received after the stream began.
func streamError(d *errorDetail) *providers.Error {
	if d == nil {
		d = &errorDetail{Type: "api_error"}
	}
	status := statusForType(d.Type)
	msg := d.Message
	if msg == "" {
		msg = "anthropic reported " + d.Type + " during the stream"
	}
	return &providers.Error{Status: status, Type: providers.ErrorType(status), Code: d.Type, Message: msg,
		Retryable: providers.RetryableStatus(status)}
}
