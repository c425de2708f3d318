package dbx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the Databricks error body that the stores branch on.
const (
	CodeResourceDoesNotExist  = "RESOURCE_DOES_NOT_EXIST"
	CodeResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS"
	CodePermissionDenied      = "PERMISSION_DENIED"
	CodeBadRequest            = "BAD_REQUEST"
	// CodeEndpointNotFound is a 404 for the API path itself (a host that is
	// not a workspace, say), not for the resource named.
	CodeEndpointNotFound = "ENDPOINT_NOT_FOUND"
)

// APIError is a non-2xx answer: the HTTP status and the Databricks error
// body {"error_code","message"} (or the OAuth {"error","error_description"}).
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// ErrorCode is error_code, such as RESOURCE_DOES_NOT_EXIST (for the
	// token endpoint, the OAuth error, such as invalid_client).
	ErrorCode string
	// Message is the service's message.
	Message string
	// RetryAfter is the Retry-After header as a delay; zero when absent.
	RetryAfter time.Duration
}

// Error is "404 RESOURCE_DOES_NOT_EXIST: Path (/x) doesn't exist.".
func (e *APIError) Error() string {
	code := e.ErrorCode
	if code == "" {
		code = http.StatusText(e.StatusCode)
	}
	if e.Message == "" {
		return fmt.Sprintf("%d %s", e.StatusCode, code)
	}
	return fmt.Sprintf("%d %s: %s", e.StatusCode, code, e.Message)
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// parseError builds the APIError of a non-2xx response. A body that is not
// the JSON error shape (an HTML page from a proxy) is not echoed: only the
// status text is kept.
func parseError(resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	var wire struct {
		ErrorCode        string `json:"error_code"`
		Message          string `json:"message"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Detail           string `json:"detail"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.ErrorCode, e.Message = wire.ErrorCode, wire.Message
		switch {
		case e.ErrorCode == "" && wire.ErrorDescription != "":
			e.ErrorCode, e.Message = wire.Error, wire.ErrorDescription // OAuth
		case e.Message == "" && wire.Error != "":
			e.Message = wire.Error
		case e.Message == "":
			e.Message = wire.Detail
		}
	}
	if e.Message == "" && e.ErrorCode == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// codeClass maps the error codes that databricks-sdk-go classifies by code
// (its errorCodeMapping) to the HTTP status of their class; any other code
// is classified by the answer's status. So a 400 RESOURCE_ALREADY_EXISTS is
// a conflict, not a bad request, for both clients (the cross-check tests
// compare them).
var codeClass = map[string]int{
	"INVALID_STATE": http.StatusBadRequest, "INVALID_PARAMETER_VALUE": http.StatusBadRequest,
	CodeResourceDoesNotExist: http.StatusNotFound,
	"ABORTED":                http.StatusConflict, "ALREADY_EXISTS": http.StatusConflict, CodeResourceAlreadyExists: http.StatusConflict,
	"RESOURCE_EXHAUSTED": http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED": http.StatusTooManyRequests,
	"UNKNOWN": http.StatusInternalServerError, "DATA_LOSS": http.StatusInternalServerError,
}

// class is the status an error counts as.
func (e *APIError) class() int {
	if c, ok := codeClass[e.ErrorCode]; ok {
		return c
	}
	return e.StatusCode
}

// IsNotFound reports a missing resource: a 404 or RESOURCE_DOES_NOT_EXIST,
// but not a 404 for the API path itself (ENDPOINT_NOT_FOUND), so that a
// wrong host never looks like an empty folder or a missing secret (the SDK
// does count it as missing).
func IsNotFound(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.class() == http.StatusNotFound && e.ErrorCode != CodeEndpointNotFound
}

// IsAlreadyExists reports RESOURCE_ALREADY_EXISTS (an import without
// overwrite over an existing file; mkdirs through a file).
func IsAlreadyExists(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.ErrorCode == CodeResourceAlreadyExists || e.ErrorCode == "ALREADY_EXISTS")
}

// IsPermissionDenied reports a 403 or PERMISSION_DENIED.
func IsPermissionDenied(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.class() == http.StatusForbidden || e.ErrorCode == CodePermissionDenied)
}

// IsBadRequest reports a 400 (other than a conflict such as
// RESOURCE_ALREADY_EXISTS), INVALID_PARAMETER_VALUE or BAD_REQUEST; reading
// a secret value outside DBUtils may be refused this way.
func IsBadRequest(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.class() == http.StatusBadRequest || e.ErrorCode == CodeBadRequest)
}

// IsTransient reports whether err may go away by itself: throttling, a 5xx,
// a timeout or a network failure. Anything else (bad credentials, missing
// permission, a missing folder or scope) needs a person.
func IsTransient(err error) bool {
	if e, ok := asAPIError(err); ok {
		return e.class() == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}
