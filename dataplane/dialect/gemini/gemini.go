// Package gemini serves the Gemini API (generativelanguage.googleapis.com,
// v1beta) as a client dialect:
//
//	POST /gateway/gemini/v1beta/models/{endpoint}:generateContent
//	POST /gateway/gemini/v1beta/models/{endpoint}:streamGenerateContent[?alt=sse]
//	POST /gateway/gemini/v1beta/models/{endpoint}:countTokens
//	POST /gateway/gemini/v1beta/models/{endpoint}:embedContent
//	POST /gateway/gemini/v1beta/models/{endpoint}:batchEmbedContents
//
// (the models list is served by the gateway itself). A request becomes a
// unified (OpenAI chat or embeddings) request for any backend; the unified
// answer, whole or streamed, is rendered back as a GenerateContentResponse,
// an embedding or a token count. When a target is Gemini itself and its
// adapter can forward, the gateway sends the client's own body instead
// (Request.Forward) and nothing here is used.
//
// Translation choices (what a Gemini client loses on a non-Gemini backend),
// each documented where it is made:
//
//   - The proto-JSON forms Google's API accepts are accepted too: camelCase
//     or snake_case field names, enums by name (any case) or number, int64
//     and numbers as strings, and a single object where a list is expected.
//   - systemInstruction becomes one system message, its text parts joined
//     with a newline. Contents without a role are user turns; "model" turns
//     become assistant messages.
//   - Parts: text stays text; inlineData becomes an image_url data: URI for
//     images, input_audio for wav/mp3 audio, and a file part (file_data
//     data: URI) for anything else (PDF, ...); fileData becomes an image_url
//     carrying the fileUri whatever its mime type (backends that cannot
//     fetch gs:// URIs will say so). thought parts, thoughtSignature,
//     executableCode, codeExecutionResult and videoMetadata are dropped.
//   - Function calling: functionCall parts of a model turn become that
//     assistant message's tool_calls. Gemini calls usually carry no id, so
//     ids are synthesised deterministically, "call_<n>_<name>" with n
//     counting calls from the start of the conversation (the same history
//     always yields the same ids), or the call's own id when it has one.
//     functionResponse parts of the next user turn become tool messages
//     (content: the response object as JSON), matched to those ids by id,
//     else by name in order; a response that matches no call becomes user
//     text, since OpenAI-shaped backends reject orphan tool messages. Tool
//     messages come first in the turn, then a user message with its other
//     parts. State.ToolCallIDs lists the ids used.
//   - tools: functionDeclarations become function tools (parameters, an
//     OpenAPI-subset Schema, converted to JSON Schema: upper-case type enums
//     lowered, nullable folded into the type, propertyOrdering dropped;
//     parametersJsonSchema passes as is). Other tools (googleSearch,
//     codeExecution, urlContext, ...) cannot run elsewhere: they are left
//     out and named in State.Dropped, so a Gemini-backed endpoint (forwarded
//     natively) still gets them.
//   - toolConfig.functionCallingConfig: AUTO and VALIDATED are "auto", NONE
//     "none", ANY "required"; ANY with one allowedFunctionNames entry forces
//     that function, with several it keeps only those tools.
//   - generationConfig: temperature, topP, candidateCount (n), seed,
//     presencePenalty, frequencyPenalty and stopSequences map one to one;
//     maxOutputTokens becomes max_tokens; responseMimeType
//     application/json becomes json_object, or json_schema (named
//     "response") with responseSchema (converted) or responseJsonSchema;
//     topK, logprobs, responseModalities, speech and media settings and
//     safetySettings have no OpenAI counterpart and are ignored. OpenAI
//     rejects json_object unless the conversation mentions JSON, which
//     Gemini does not require: a conversation that does not gets "Respond in
//     JSON." appended to its system message. text/x.enum has no OpenAI
//     counterpart and is dropped. Schemas nested deeper than 64 levels are
//     rejected.
//   - thinkingConfig: a positive thinkingBudget becomes reasoning_effort
//     "low" (up to 1024 tokens), "medium" (up to 8192) or "high" (more),
//     the inverse of the Gemini adapter's presets; thinkingLevel maps by
//     name. A budget of 0 (off) or -1 (dynamic) sends no reasoning_effort:
//     the backend's default applies, and models without reasoning do not
//     reject the request. includeThoughts returns reasoning_content as
//     thought parts.
//   - Answers: finish_reason stop and tool_calls are STOP (Gemini says STOP
//     after function calls too), length is MAX_TOKENS, content_filter
//     SAFETY, anything else OTHER. Tool-call arguments that are not a JSON
//     object become {}. Response parts carry no function call id, as on AI
//     Studio. usageMetadata: candidatesTokenCount is completion_tokens minus
//     reasoning tokens, reported as thoughtsTokenCount; cached prompt tokens
//     are cachedContentTokenCount. modelVersion is the endpoint name.
//   - Streams: text deltas are sent as they come; function calls, which
//     Gemini sends whole, are assembled from the argument fragments and sent
//     in the last chunk, with finishReason and usageMetadata (OpenAI-shaped
//     streams report usage only at their end).
//   - countTokens on a non-Gemini backend asks it for a one-token answer and
//     returns its prompt_tokens as {"totalTokens": N}: a real count from the
//     backend's tokenizer, at the cost of one tiny completion.
//   - Embeddings: each content's text parts, joined with a newline, are one
//     input (other parts are dropped and recorded); outputDimensionality is
//     dimensions (one value for the whole batch); taskType and title have no
//     OpenAI counterpart and are ignored. requests[].model must name the
//     path's endpoint, as Gemini requires. Answers keep the input order;
//     base64 embeddings are decoded.
//   - Errors are Google's {"error":{"code","message","status"}} with the
//     google.rpc status name for the HTTP status (and a RetryInfo detail
//     when a Retry-After is known); 400s name the field by its path, e.g.
//     "Invalid value at 'contents[0].role'". Fields this gateway does not
//     translate are not rejected: a natively forwarded request keeps them.
package gemini

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Methods are the values of dialect.Params.Method this dialect serves.
const (
	MethodGenerateContent       = "generateContent"
	MethodStreamGenerateContent = "streamGenerateContent"
	MethodCountTokens           = "countTokens"
	MethodEmbedContent          = "embedContent"
	MethodBatchEmbedContents    = "batchEmbedContents"
)

// Ingress is the Gemini dialect. It is safe for concurrent use.
type Ingress struct {
	// newID returns a fresh response id; tests replace it to make output
	// deterministic.
	newID func() string
}

var _ dialect.Ingress = (*Ingress)(nil)

// New returns the dialect.
func New() *Ingress { return &Ingress{newID: rand.Text} }

// Native implements dialect.Ingress: requests to Gemini targets are
// forwarded as the client sent them.
func (*Ingress) Native() string { return "gemini" }

// State is what ParseRequest remembers about a request for rendering its answer.
type State struct {
	// Endpoint is the path's model: the Endpoint name, echoed as modelVersion.
	Endpoint string `json:"endpoint"`
	// Method is the path's method (generateContent, ...).
	Method string `json:"method"`
	// SSE is set when a stream was asked for with alt=sse; without it Gemini
	// streams one JSON array.
	SSE bool `json:"sse,omitempty"`
	// Thoughts is set when generationConfig.thinkingConfig.includeThoughts
	// is: reasoning text then comes back as thought parts.
	Thoughts bool `json:"thoughts,omitempty"`
	// Inputs is the number of contents to embed.
	Inputs int `json:"inputs,omitempty"`
	// ToolCallIDs are the tool-call ids given to the history's function
	// calls, in order.
	ToolCallIDs []string `json:"tool_call_ids,omitempty"`
	// Dropped names what the unified request leaves out because no other
	// provider can take it, e.g. "tools[1] (googleSearch)". A natively
	// forwarded request keeps all.
	Dropped []string `json:"dropped,omitempty"`
}

func stateOf(req *dialect.Request) *State {
	if req != nil {
		if s, ok := req.State.(*State); ok && s != nil {
			return s
		}
	}
	return &State{Method: MethodGenerateContent}
}

// Error implements dialect.Ingress: Google's error body,
// {"error":{"code","message","status"}}, with a RetryInfo detail when the
// error says when to retry.
func (*Ingress) Error(e *providers.Error) []byte {
	return errorJSON(e)
}

func errorJSON(e *providers.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	type detail struct {
		Type       string `json:"@type"`
		RetryDelay string `json:"retryDelay"`
	}
	body := struct {
		Code    int      `json:"code"`
		Message string   `json:"message"`
		Status  string   `json:"status"`
		Details []detail `json:"details,omitempty"`
	}{Code: e.Status, Message: msg, Status: Status(e.Status)}
	if secs, err := strconv.Atoi(strings.TrimSpace(e.RetryAfter)); err == nil && secs >= 0 {
		body.Details = []detail{{Type: "type.googleapis.com/google.rpc.RetryInfo", RetryDelay: strconv.Itoa(secs) + "s"}}
	}
	b, _ := jsonenc.Marshal(struct {
		Error any `json:"error"`
	}{body})
	return b
}

// Status is the google.rpc.Code name Google's APIs answer with an HTTP
// status.
func Status(status int) string {
	switch status {
	case 400, 413, 422:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404, 405:
		return "NOT_FOUND"
	case 408, 504:
		return "DEADLINE_EXCEEDED"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 501:
		return "UNIMPLEMENTED"
	case 502, 503, 529:
		return "UNAVAILABLE"
	}
	switch {
	case status >= 400 && status < 500:
		return "FAILED_PRECONDITION"
	default:
		return "INTERNAL"
	}
}

// responseID derives a Gemini responseId from a unified id, so logs on both
// sides can be matched; an empty one gets a random id.
func (in *Ingress) responseID(unifiedID string) string {
	if id := dialect.CleanID(unifiedID, ""); id != "" {
		return id
	}
	return in.newID()
}
