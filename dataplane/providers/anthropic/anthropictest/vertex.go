package anthropictest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// VertexVersion is the anthropic_version the Vertex fake requires in bodies.
const VertexVersion = "vertex-2023-10-16"

// vertex is the state of a fake of Claude on Vertex AI.
type vertex struct {
	project, location string
	validToken        func(string) bool

	mu       sync.Mutex
	lastPath string
}

// NewVertex starts a fake of Claude on Google Vertex AI, serving
//
//	POST /v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict
//	POST …/models/{model}:streamRawPredict   (the body must say "stream": true)
//	POST …/models/count-tokens:rawPredict     (the model in the body)
//
// It speaks and checks the wire format as Vertex does: a bearer token that
// validToken accepts (geminitest.Server.ValidToken, whose token endpoint
// mints them), a Messages body without "model" and with "anthropic_version":
// VertexVersion, then everything Validate checks. Failures of Google's
// front end (wrong path, project or location: 404; bad token: 401; an
// unknown model: 404) come in Google's error shape, model errors in
// Anthropic's. Model names behave as for New, plus "gfail-<status>", which
// fails in Google's shape (429 RESOURCE_EXHAUSTED with a RetryInfo of 12s
// and no Retry-After header, as Google sends). Other models must start with
// "claude" (behaviours match by substring: "claude-tool-call@2025"), or
// the answer is Google's 404 for an unknown publisher model. The streaming
// framing is Anthropic's SSE.
func NewVertex(project, location string, validToken func(string) bool) *Server {
	s := &Server{vertex: &vertex{project: project, location: location, validToken: validToken}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// LastPath returns the path of the last request (Vertex fake only).
func (s *Server) LastPath() string {
	if s.vertex == nil {
		return ""
	}
	s.vertex.mu.Lock()
	defer s.vertex.mu.Unlock()
	return s.vertex.lastPath
}

var googleStatus = map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
	404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}

// WriteGoogleError writes Google's error shape, as Vertex AI's front end does.
func WriteGoogleError(w http.ResponseWriter, code int, msg string, details ...map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	e := map[string]any{"code": code, "message": msg, "status": googleStatus[code]}
	if e["status"] == "" {
		e["status"] = "UNKNOWN"
	}
	if len(details) > 0 {
		e["details"] = details
	}
	b, _ := json.MarshalIndent(map[string]any{"error": e}, "", "  ")
	_, _ = w.Write(b)
}

func (s *Server) serveVertex(w http.ResponseWriter, r *http.Request, body []byte, n int64) {
	v := s.vertex
	v.mu.Lock()
	v.lastPath = r.URL.RequestURI()
	v.mu.Unlock()
	prefix := "/v1/projects/" + v.project + "/locations/" + v.location + "/publishers/anthropic/models/"
	model, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, prefix), ":")
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !ok || model == "" || strings.Contains(model, "/") ||
		(method != "rawPredict" && method != "streamRawPredict") {
		WriteGoogleError(w, 404, "Requested entity was not found.")
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" || v.validToken == nil || !v.validToken(tok) {
		WriteGoogleError(w, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED"})
		return
	}
	if model == "count-tokens" && method == "rawPredict" {
		countTokens(w, body)
		return
	}
	if !strings.HasPrefix(model, "claude") && !strings.HasPrefix(model, "fail-") && !strings.HasPrefix(model, "gfail-") {
		WriteGoogleError(w, 404, fmt.Sprintf("Publisher Model `projects/%s/locations/%s/publishers/anthropic/models/%s` not found.", v.project, v.location, model))
		return
	}
	if code, ok := strings.CutPrefix(model, "gfail-"); ok {
		status, _ := strconv.Atoi(code)
		if status == 429 {
			WriteGoogleError(w, 429, "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude.",
				map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"})
			return
		}
		WriteGoogleError(w, status, fmt.Sprintf("fake google failure %d", status))
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		WriteError(w, 400, "There was an issue with your request body: invalid JSON")
		return
	}
	if _, ok := raw["model"]; ok {
		WriteError(w, 400, "model: Extra inputs are not permitted")
		return
	}
	var version string
	if err := json.Unmarshal(raw["anthropic_version"], &version); err != nil || version == "" {
		WriteError(w, 400, "anthropic_version: Field required")
		return
	}
	if version != VertexVersion {
		WriteError(w, 400, "anthropic_version: Input should be '"+VertexVersion+"'")
		return
	}
	delete(raw, "anthropic_version")
	raw["model"], _ = json.Marshal(model)
	inner, _ := json.Marshal(raw)
	req, msg := Validate(inner)
	if msg != "" {
		WriteError(w, 400, msg)
		return
	}
	if req.Stream != (method == "streamRawPredict") {
		WriteError(w, 400, fmt.Sprintf("stream: %v does not match the method %s", req.Stream, method))
		return
	}
	s.respond(w, r, req, n)
}

// countTokens answers count-tokens:rawPredict, whose body names the model.
func countTokens(w http.ResponseWriter, body []byte) {
	var req Request
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil || json.Unmarshal(body, &req) != nil {
		WriteError(w, 400, "There was an issue with your request body: invalid JSON")
		return
	}
	if req.Model == "" {
		WriteError(w, 400, "model: Field required")
		return
	}
	if _, ok := raw["anthropic_version"]; !ok {
		WriteError(w, 400, "anthropic_version: Field required")
		return
	}
	if len(req.Messages) == 0 {
		WriteError(w, 400, "messages: Field required")
		return
	}
	if msg := normalise(&req); msg != "" {
		WriteError(w, 400, msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"input_tokens":%d}`, countWords(&req))
}
