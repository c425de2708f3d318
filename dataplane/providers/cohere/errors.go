package cohere

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// upstreamError converts a Cohere error answer. Cohere's body is
// {"message": "..."}, sometimes with an "id"; statuses are conventional plus
// 498 (invalid token) and 499 (request cancelled), which OpenAI clients do not
// know and so become 401 and 502.
func upstreamError(status int, body []byte, retryAfter string) *providers.Error {
	msg := ""
	if gjson.ValidBytes(body) {
		msg = gjson.GetBytes(body, "message").String()
	}
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
	}
	if msg == "" {
		msg = "cohere returned status " + strconv.Itoa(status)
	}
	switch {
	case status == 498:
		status = 401
	case status == 499 || status < 400:
		status = 502
	}
	e := &providers.Error{Status: status, Type: providers.ErrorType(status), Message: msg,
		Retryable: providers.RetryableStatus(status), RetryAfter: strings.TrimSpace(retryAfter)}
	switch status {
	case 401:
		e.Code = "invalid_api_key"
	case 429:
		e.Code = "rate_limit_exceeded"
	}
	return e
}
