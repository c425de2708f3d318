package gemini

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Google errors look like
//
//	{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED",
//	  "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}
//
// (sometimes wrapped in a one-element array). They become *providers.Error
// with the upstream's HTTP status and message, with two adjustments for
// OpenAI clients:
//
//   - an invalid API key is a 400 with reason API_KEY_INVALID on Google's
//     side; it is answered as 401 authentication_error / invalid_api_key,
//     which is what OpenAI SDKs recognise as a bad key;
//   - Google sends no Retry-After header on 429 but a RetryInfo detail;
//     its retryDelay, rounded up to whole seconds, becomes RetryAfter.
//
// Retryable follows providers.RetryableStatus: 408, 409, 429 (RESOURCE_EXHAUSTED)
// and every 5xx (INTERNAL, UNAVAILABLE — "the model is overloaded" —, DEADLINE_EXCEEDED).

// upstreamError converts a non-2xx answer.
func upstreamError(status int, body []byte, retryAfter string) *providers.Error {
	ae := parseAPIError(body)
	if status < 400 {
		// A 1xx/3xx reached us: not an answer we can use.
		return &providers.Error{Status: 502, Type: "api_error", Retryable: true,
			Message: "gemini answered with unexpected status " + strconv.Itoa(status)}
	}
	if ae == nil {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		if msg == "" || !isPrintableText(msg) {
			msg = "gemini returned status " + strconv.Itoa(status)
		}
		ae = &apiError{Code: status, Message: msg}
	}
	e := fromAPIError(ae, status)
	if retryAfter != "" {
		e.RetryAfter = retryAfter
	}
	return e
}

// streamError converts an error event received inside a 200 stream; its
// code gives the status (500 when absent).
func streamError(ae *apiError) *providers.Error {
	status := ae.Code
	if status < 400 || status > 599 {
		status = 500
	}
	return fromAPIError(ae, status)
}

func fromAPIError(ae *apiError, status int) *providers.Error {
	e := &providers.Error{Status: status, Message: ae.Message, Code: strings.ToLower(ae.Status)}
	for _, d := range ae.Details {
		switch {
		case d.Reason == "API_KEY_INVALID":
			e.Status, e.Code = 401, "invalid_api_key"
		case d.RetryDelay != "":
			e.RetryAfter = retryDelaySeconds(d.RetryDelay)
		}
	}
	switch {
	case ae.Status == "RESOURCE_EXHAUSTED":
		e.Code = "rate_limit_exceeded"
	case ae.Status == "NOT_FOUND" && strings.Contains(ae.Message, "models/"):
		e.Code = "model_not_found"
	}
	if e.Message == "" {
		e.Message = "gemini returned status " + strconv.Itoa(status)
	}
	e.Type = providers.ErrorType(e.Status)
	e.Retryable = providers.RetryableStatus(e.Status)
	return e
}

// parseAPIError reads {"error":{...}} or [{"error":{...}}]; nil when the body
// is neither.
func parseAPIError(body []byte) *apiError {
	body = bytes.TrimSpace(body)
	var one struct {
		Error *apiError `json:"error"`
	}
	if len(body) > 0 && body[0] == '[' {
		var many []struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(body, &many) != nil || len(many) == 0 {
			return nil
		}
		one.Error = many[0].Error
	} else if json.Unmarshal(body, &one) != nil {
		return nil
	}
	if one.Error == nil || (one.Error.Message == "" && one.Error.Status == "") {
		return nil
	}
	return one.Error
}

// retryDelaySeconds turns a google.protobuf.Duration ("37s", "1.5s") into
// whole seconds for Retry-After, rounding up.
func retryDelaySeconds(d string) string {
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 {
		return ""
	}
	return strconv.Itoa(int(math.Ceil(dur.Seconds())))
}

func isPrintableText(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// badRequest is the adapter's own 400 for a request it cannot translate.
func badRequest(param, msg string) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Param: param, Message: msg}
}

// badResponse is a 2xx answer whose body is not what the method returns.
func badResponse(what string) *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_response", Retryable: true,
		Message: "gemini answered with a body that is not a " + what}
}
