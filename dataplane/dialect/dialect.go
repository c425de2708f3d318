// Package dialect defines how a client API dialect (Anthropic Messages,
// Gemini, the OpenAI Responses API) is served: a request in the client's
// dialect becomes a unified (OpenAI chat) request; the unified answer, whole
// or streamed, is rendered back in the client's dialect, errors included.
// When a target's provider speaks the client's dialect natively, the gateway
// skips translation and forwards the client's own body (see
// providers.Forwarder), so nothing is lost.
package dialect

import (
	"bufio"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Params are what the route itself says about the request.
type Params struct {
	// Endpoint comes from the path for dialects that name the model there (Gemini).
	Endpoint string
	// Method is the path's action (Gemini: generateContent, streamGenerateContent,
	// embedContent, batchEmbedContents).
	Method string
	// Query is the raw query string (Gemini's alt=sse).
	Query string
}

// Request is a client request, read and converted.
type Request struct {
	// Endpoint names the gateway Endpoint to serve it.
	Endpoint string
	// Task is chat or embeddings.
	Task providers.Task
	// Body is the unified (OpenAI-shaped) request body, sent to adapters.
	Body []byte
	// Stream is true when the client asked for a stream.
	Stream bool
	// IncludeUsage asks the unified stream to end with a usage chunk; dialects
	// that report usage in their own events set it.
	IncludeUsage bool
	// Forward describes the client's request for native forwarding: the path
	// below the provider's base URL and the body with "model" to be rewritten.
	Forward *providers.ForwardRequest
	// State is the dialect's own per-request memory (original names, ids).
	State any
}

// Ingress serves one client dialect.
type Ingress interface {
	// Native is the provider id whose own API this dialect is ("anthropic",
	// "gemini", "openai"), for native forwarding; "" if none.
	Native() string
	// ParseRequest reads the client's body.
	ParseRequest(body []byte, p Params) (*Request, *providers.Error)
	// Response renders a complete unified response in the client's dialect.
	Response(req *Request, unified []byte) ([]byte, error)
	// NewStream returns an encoder for one streamed answer.
	NewStream(req *Request) StreamEncoder
	// Error renders an error body in the client's dialect (always JSON).
	Error(e *providers.Error) []byte
}

// StreamEncoder turns unified chunks into the client's stream events. It is
// used by one request at a time.
type StreamEncoder interface {
	// ContentType is the response's content type (text/event-stream, or
	// application/json for dialects that stream a JSON array).
	ContentType() string
	// Chunk consumes one unified chunk payload and writes zero or more events.
	Chunk(w *bufio.Writer, chunk []byte) error
	// End writes the closing events after a clean end of the unified stream.
	End(w *bufio.Writer) error
	// Fail writes an error event after the stream has begun.
	Fail(w *bufio.Writer, e *providers.Error) error
}

// TranslationChecker is implemented by dialects whose requests may use
// features only the dialect's own provider runs (the Responses API's
// previous_response_id or hosted tools): before translating for another
// provider, the gateway asks, and a non-nil error is the answer.
type TranslationChecker interface {
	CheckTranslate(req *Request) *providers.Error
}
