// Package providers defines the small contract between the data plane and the
// adapters that reach each LLM provider. Adapters speak the unified dialect
// (OpenAI's chat, completions and embeddings shapes) on one side and the
// provider's own wire format on the other; they know nothing of manifests.
package providers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tidwall/sjson"
)

// Task is what a request asks for.
type Task string

// Tasks a route can serve.
const (
	TaskChat        Task = "chat"
	TaskCompletions Task = "completions"
	TaskEmbeddings  Task = "embeddings"
)

// Secret is a credential. It redacts itself under fmt, slog and JSON so that
// logging a Credential can never leak it.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the credential for use in an upstream request.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return redacted }

// Format redacts under every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText redacts in JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Credential is everything an adapter needs to reach a provider account: the
// resolved form of an APIKey resource.
type Credential struct {
	// Name is the APIKey's name, for logs and metrics.
	Name string
	// Provider is the provider id.
	Provider string
	// BaseURL is where requests go; empty means the provider's default.
	BaseURL string
	// Secret is the credential itself; empty for providers that need none.
	Secret Secret
	// Headers are extra non-secret headers to send.
	Headers map[string]string
	// Options are provider-specific settings (region, apiVersion, project, ...).
	Options map[string]string
}

// Call is one request to send upstream, in the unified dialect.
type Call struct {
	// Task selects chat, completions or embeddings.
	Task Task
	// Model is the provider's model name (the target's model, not the Endpoint).
	Model string
	// Body is the client's JSON body in OpenAI's shape. Adapters must not modify
	// it: a retry or fallback sends the same Call again.
	Body []byte
	// Stream is true when the client asked for server-sent events.
	Stream bool
	// IncludeUsage is true when the client asked for the final usage chunk.
	IncludeUsage bool
}

// Result is a successful upstream answer in the unified dialect. Exactly one of
// Body and Stream is set.
type Result struct {
	// Body is the complete JSON response.
	Body []byte
	// Stream yields chunk payloads for a streaming call.
	Stream Stream
	// Header holds upstream response headers worth passing on (request ids).
	Header map[string]string
	// release, when set, returns pooled resources once Body has been written.
	release func()
}

// NewResult wraps a complete body with a function that releases the pooled
// buffer it lives in, once the caller is done with it.
func NewResult(body []byte, release func()) *Result {
	return &Result{Body: body, release: release}
}

// Release returns pooled resources; the Result must not be used afterwards.
func (r *Result) Release() {
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

// Stream is an upstream event stream, already translated to OpenAI chat (or
// completions) chunk payloads.
type Stream interface {
	// Next returns the next chunk's JSON payload, valid until the following
	// call; it returns io.EOF after a clean end and an *Error or other error
	// when the stream breaks.
	Next() ([]byte, error)
	// Close releases the upstream connection.
	Close() error
}

// Adapter sends unified calls to one kind of provider. Implementations must be
// safe for concurrent use.
type Adapter interface {
	// Send performs one upstream attempt. When it returns an error, nothing has
	// been written to the client, so the caller may retry or fall back.
	Send(ctx context.Context, cred *Credential, call *Call) (*Result, error)
}

// Info describes a provider for validation and listing.
type Info struct {
	// ID is the provider id used in APIKey manifests.
	ID string
	// DisplayName is for people.
	DisplayName string
	// Tasks are the tasks the provider can serve.
	Tasks []Task
	// NeedsCredential is false for providers that take no key (mock, local servers).
	NeedsCredential bool
	// NeedsBaseURL is true when the provider has no default base URL.
	NeedsBaseURL bool
	// DefaultBaseURL is used when an APIKey sets none.
	DefaultBaseURL string
}

// Supports reports whether the provider serves task.
func (i Info) Supports(task Task) bool {
	for _, t := range i.Tasks {
		if t == task {
			return true
		}
	}
	return false
}

// Error is an upstream failure, or the gateway's own, in a form the handlers
// can render in the caller's dialect.
type Error struct {
	// Status is the HTTP status to answer with.
	Status int
	// Type is the OpenAI error type (invalid_request_error, rate_limit_error, ...).
	Type string
	// Code is the OpenAI error code, if any.
	Code string
	// Param names the offending request field, if any.
	Param string
	// Message explains the failure; it never contains a credential.
	Message string
	// RetryAfter is the upstream's Retry-After header, passed on with 429s.
	RetryAfter string
	// Retryable is true for failures another attempt may fix: connection
	// errors, timeouts, 429 and 5xx.
	Retryable bool
	// Timeout is true when the failure was a deadline.
	Timeout bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("upstream %d %s: %s", e.Status, e.Type, e.Message)
}

// RetryableStatus reports whether an upstream HTTP status is worth another attempt.
func RetryableStatus(status int) bool {
	return status == 408 || status == 409 || status == 429 || status >= 500
}

// ErrorType maps an HTTP status to OpenAI's error type vocabulary.
func ErrorType(status int) string {
	switch {
	case status == 400 || status == 404 || status == 409 || status == 413 || status == 422:
		return "invalid_request_error"
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 429:
		return "rate_limit_error"
	case status == 504:
		return "timeout_error"
	default:
		return "api_error"
	}
}

// TransportError turns a failure to reach the upstream into an Error.
func TransportError(provider string, err error, timeout bool) *Error {
	msg := err.Error()
	if timeout {
		return &Error{Status: 504, Type: "timeout_error", Code: "upstream_timeout", Retryable: true, Timeout: true,
			Message: fmt.Sprintf("%s did not answer in time", provider)}
	}
	// Transport errors carry addresses, never credentials; keep them short.
	if i := strings.LastIndex(msg, ": "); i > 0 && len(msg) > 200 {
		msg = msg[i+2:]
	}
	return &Error{Status: 502, Type: "api_error", Code: "upstream_unreachable", Retryable: true,
		Message: fmt.Sprintf("cannot reach %s: %s", provider, msg)}
}

// Deadline returns ctx's deadline, or a far one if it has none.
func Deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
}

// ForwardRequest is a client request in the provider's own dialect, to be
// forwarded with only the model and the credentials changed.
type ForwardRequest struct {
	// Method is the HTTP method.
	Method string
	// Path is below the provider's base URL as its adapter understands it:
	// "/v1/messages" (Anthropic, whose base is the host root),
	// "/v1beta/models/{model}:generateContent" ({model} becomes the target's
	// model), "/responses" (OpenAI, whose base already ends in /v1).
	Path string
	// Query is the raw query string without credentials (Gemini's alt=sse).
	Query string
	// Header holds the client headers worth passing on (anthropic-beta,
	// anthropic-version, openai-beta); never credentials.
	Header map[string]string
	// Body is the client's body; ModelField names the JSON field holding the
	// model ("model"), or "" when the model is in Path.
	Body       []byte
	ModelField string
	// Stream is true when the answer is a stream.
	Stream bool
}

// BodyFor returns the body to forward to model: Body with ModelField set to
// it, or Body itself when the model is in Path. sjson copies, so Body stays
// as the client sent it for a retry on another target.
func (fr *ForwardRequest) BodyFor(model string) ([]byte, *Error) {
	if fr.ModelField == "" {
		return fr.Body, nil
	}
	body, err := sjson.SetBytes(fr.Body, fr.ModelField, model)
	if err != nil {
		return nil, &Error{Status: 400, Type: "invalid_request_error", Message: "cannot set the model: " + err.Error()}
	}
	return body, nil
}

// ForwardResponse is the provider's answer, passed back untranslated.
type ForwardResponse struct {
	// Status is the upstream HTTP status (2xx).
	Status int
	// ContentType is the upstream content type.
	ContentType string
	// Header holds upstream headers worth passing on.
	Header map[string]string
	// Body is the complete body (when Stream is nil).
	Body []byte
	// Stream is the raw streamed body, relayed as it arrives.
	Stream interface{ Read([]byte) (int, error) }
	// Usage is filled in by the adapter when it can read it cheaply.
	Usage Usage
	// Close releases the upstream connection.
	Close func()
}

// Forwarder is implemented by adapters that can forward a request in their
// provider's own dialect byte for byte. Like Send, a failure (a status of 400
// or more included) is returned as an error, so the caller can retry or fall
// back and render it in the client's dialect; a returned response is a success.
type Forwarder interface {
	Forward(ctx context.Context, cred *Credential, model string, req *ForwardRequest) (*ForwardResponse, error)
}

// DialectForwarder is implemented by Forwarders whose provider id differs
// from the dialect they speak (Vertex AI serves Gemini's API): it names the
// client dialects the adapter can forward natively.
type DialectForwarder interface {
	ForwardsDialect(dialect string) bool
}
