// Package geminitest is a fake Gemini upstream on loopback: the Gemini API
// (AI Studio, /v1beta/models/{model}:{method}, x-goog-api-key) and Gemini on
// Vertex AI (/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{method},
// OAuth2 bearer tokens from its own /token endpoint). It speaks the real wire
// format — generateContent JSON, alt=sse streams with \r\n framing and no
// terminal marker, Google error bodies — and validates requests the way the
// real service does (unknown fields, empty contents, roles, turn order of
// function calls and responses, schema keys, API keys, tokens).
//
// The model name picks a behaviour. Models are known when they start with
// "gemini-" or "text-embedding-"; any other name answers 404 NOT_FOUND.
// Names containing "embedding" are embedding models (and 404 for
// generateContent, as on the real service).
//
//	gemini-<anything>         answers "fake: <last user text>", or, after
//	                          function responses, "fake: got <outputs>"
//	gemini-tool               calls the first declared function ({"city":"Paris"});
//	                          the call carries a thoughtSignature, which the
//	                          next turn must send back (as Gemini 3 requires)
//	gemini-parallel-tools     calls the first two declared functions (Paris, London)
//	gemini-thinking           a thought part, then the answer; thoughts and cached tokens counted
//	gemini-blocked            prompt blocked: promptFeedback.blockReason SAFETY, no candidates
//	gemini-safety             stops with finishReason SAFETY
//	gemini-max-tokens         stops with finishReason MAX_TOKENS
//	gemini-fail-<status>      fails with that status and Google's body for it;
//	                          429 carries a RetryInfo detail of 7s
//	gemini-overloaded         503 UNAVAILABLE "The model is overloaded."
//	gemini-slow               waits for the client to give up (or 10s)
//	gemini-break-stream       streams one chunk, then ends without a finishReason
//	gemini-error-stream       streams one chunk, then an error event
package geminitest

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the fake upstream.
type Server struct {
	*httptest.Server
	// Key is the API key AI Studio paths require; empty accepts any
	// non-empty key.
	Key string

	calls      atomic.Int64
	tokenCalls atomic.Int64

	mu       sync.Mutex
	last     map[string]any
	lastBody []byte
	lastH    http.Header
	lastPath string
	saKeys   map[string]*rsa.PublicKey
	tokens   map[string]bool
	tokenSeq int
}

// New starts a fake upstream; Close it when done.
func New(key string) *Server {
	s := &Server{Key: key, saKeys: map[string]*rsa.PublicKey{}, tokens: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is what an APIKey's config.baseURL should be (for both providers).
func (s *Server) BaseURL() string { return s.URL }

// Calls is the number of model requests received (token requests excluded).
func (s *Server) Calls() int64 { return s.calls.Load() }

// TokenCalls is the number of OAuth2 token exchanges.
func (s *Server) TokenCalls() int64 { return s.tokenCalls.Load() }

// LastRequest returns the last decoded model request body and its headers.
func (s *Server) LastRequest() (map[string]any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastH
}

// LastBody returns the last model request body as sent.
func (s *Server) LastBody() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBody
}

// LastPath returns the last model request's path and query.
func (s *Server) LastPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPath
}

type detail = map[string]any

// writeError writes Google's error body.
func writeError(w http.ResponseWriter, code int, status, msg string, details ...detail) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	e := map[string]any{"code": code, "message": msg, "status": status}
	if len(details) > 0 {
		e["details"] = details
	}
	b, _ := json.MarshalIndent(map[string]any{"error": e}, "", "  ")
	_, _ = w.Write(b)
}

var statusNames = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
	503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}

func invalid(w http.ResponseWriter, msg string) { writeError(w, 400, "INVALID_ARGUMENT", msg) }

// route is a parsed model request path.
type route struct {
	vertex  bool
	model   string
	method  string
	project string
	loc     string
}

func parsePath(p string) (route, bool) {
	var r route
	var rest string
	switch {
	case strings.HasPrefix(p, "/v1beta/models/"):
		rest = strings.TrimPrefix(p, "/v1beta/models/")
	case strings.HasPrefix(p, "/v1/projects/"):
		seg := strings.SplitN(strings.TrimPrefix(p, "/v1/projects/"), "/", 7)
		if len(seg) != 7 || seg[1] != "locations" || seg[3] != "publishers" || seg[4] != "google" || seg[5] != "models" {
			return r, false
		}
		r.vertex, r.project, r.loc, rest = true, seg[0], seg[2], seg[6]
	default:
		return r, false
	}
	model, method, ok := strings.Cut(rest, ":")
	if !ok || model == "" || strings.Contains(model, "/") {
		return r, false
	}
	r.model, r.method = model, method
	return r, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		s.token(w, r)
		return
	}
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastBody, s.lastH, s.lastPath = raw, body, r.Header.Clone(), r.URL.RequestURI()
	s.mu.Unlock()

	rt, ok := parsePath(r.URL.Path)
	if !ok || r.Method != http.MethodPost {
		writeError(w, 404, "NOT_FOUND", "Requested entity was not found.")
		return
	}
	if !s.authorized(w, r, rt) {
		return
	}
	if !strings.HasPrefix(rt.model, "gemini-") && !strings.HasPrefix(rt.model, "text-embedding-") {
		s.notFound(w, rt)
		return
	}
	if s.fail(w, r, rt.model) {
		return
	}
	embedding := strings.Contains(rt.model, "embedding")
	switch {
	case rt.method == "generateContent" && !embedding:
		s.generate(w, r, rt, body, false)
	case rt.method == "streamGenerateContent" && !embedding:
		s.generate(w, r, rt, body, true)
	case rt.method == "embedContent" && embedding:
		s.embedContent(w, rt, body)
	case rt.method == "batchEmbedContents" && embedding && !rt.vertex:
		s.batchEmbed(w, rt, body)
	case rt.method == "predict" && embedding && rt.vertex:
		s.predict(w, body)
	default:
		s.notFound(w, rt)
	}
}

func (s *Server) notFound(w http.ResponseWriter, rt route) {
	if rt.vertex {
		writeError(w, 404, "NOT_FOUND", fmt.Sprintf("Publisher Model `projects/%s/locations/%s/publishers/google/models/%s` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions",
			rt.project, rt.loc, rt.model))
		return
	}
	writeError(w, 404, "NOT_FOUND", fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for %s. Call ListModels to see the list of available models and their supported methods.",
		rt.model, rt.method))
}

// authorized checks the API key (AI Studio) or bearer token (Vertex).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, rt route) bool {
	if rt.vertex {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		ok := s.tokens[tok]
		s.mu.Unlock()
		if !ok {
			writeError(w, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
				detail{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED", "metadata": map[string]string{"service": "aiplatform.googleapis.com"}})
		}
		return ok
	}
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		writeError(w, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
		return false
	case s.Key != "" && key != s.Key:
		writeError(w, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			detail{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
				"metadata": map[string]string{"service": "generativelanguage.googleapis.com"}},
			detail{"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": "API key not valid. Please pass a valid API key."})
		return false
	}
	return true
}

// fail plays the failing and slow behaviours; it reports whether it answered.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, model string) bool {
	switch {
	case model == "gemini-overloaded":
		writeError(w, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
		return true
	case model == "gemini-slow":
		select {
		case <-r.Context().Done():
			return true
		case <-time.After(10 * time.Second):
		}
		return false
	case strings.HasPrefix(model, "gemini-fail-"):
		code, _ := strconv.Atoi(strings.TrimPrefix(model, "gemini-fail-"))
		if code < 400 || code > 599 {
			code = 500
		}
		name := statusNames[code]
		if name == "" {
			name = "UNKNOWN"
		}
		var details []detail
		msg := fmt.Sprintf("fake upstream failure %d", code)
		if code == 429 {
			msg = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
			details = append(details, detail{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"})
		}
		writeError(w, code, name, msg, details...)
		return true
	}
	return false
}
