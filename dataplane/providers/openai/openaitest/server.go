// Package openaitest is a fake OpenAI upstream on loopback that speaks the real
// wire format: JSON bodies, SSE chunks with a usage chunk and [DONE], and
// OpenAI error bodies. The requested model picks a behaviour, so one server can
// play a healthy, failing, slow or broken upstream:
//
//	any model          answers normally, echoing the last user message
//	"fail-<status>"    fails with that status (429 sends Retry-After: 7)
//	"slow"             waits for the client to give up (or 10s) before answering
//	"stall-stream"     sends one chunk, then stalls
//	"break-stream"     sends two chunks, then closes without [DONE]
//	"error-stream"     sends one chunk, then an error event
//	"delay-stream*"    streams normally, but waits StreamDelay (default 100ms)
//	                   before each chunk after the first (any model starting
//	                   with "delay-stream", so tests can tell two apart)
package openaitest

import (
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
	// Key is the bearer token the server requires; empty accepts any.
	Key string
	// StreamDelay is the pause between chunks of a "delay-stream*" model;
	// zero means 100ms. Set it before the first request.
	StreamDelay time.Duration
	// AuthHeader, when set, is the header that must carry Key as is (for
	// upstreams such as Portkey or Sarvam); empty means "Authorization: Bearer".
	// Set it before the first request.
	AuthHeader string
	// PathPrefix is where the API lives; empty means "/v1" (Databricks serves
	// it under "/serving-endpoints"). Set it before the first request.
	PathPrefix string
	// Validate, when set, vets each request body the way a stricter
	// OpenAI-compatible upstream does; a non-zero status fails the request with
	// that status and message. Set it before the first request.
	Validate func(body []byte) (status int, message string)

	calls atomic.Int64
	mu    sync.Mutex
	last  map[string]any
	lastH http.Header
}

// New starts a fake upstream; Close it when done.
func New(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is what an APIKey's config.baseURL should be.
func (s *Server) BaseURL() string { return s.URL + s.prefix() }

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// LastRequest returns the last decoded request body and its headers.
func (s *Server) LastRequest() (map[string]any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastH
}

type chatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Input json.RawMessage `json:"input"`
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == 429 {
		w.Header().Set("Retry-After", "7")
	}
	w.WriteHeader(status)
	var c any
	if code != "" {
		c = code
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastH = raw, r.Header.Clone()
	s.mu.Unlock()
	if s.Key != "" && !s.authorized(r) {
		writeError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, 400, "invalid_request_error", "", "We could not parse the JSON body of your request.")
		return
	}
	if s.Validate != nil {
		if status, msg := s.Validate(body); status != 0 {
			writeError(w, status, "invalid_request_error", "", msg)
			return
		}
	}
	if strings.HasPrefix(req.Model, "fail-") {
		status, _ := strconv.Atoi(strings.TrimPrefix(req.Model, "fail-"))
		typ := "server_error"
		if status == 429 {
			typ = "rate_limit_exceeded"
		} else if status < 500 {
			typ = "invalid_request_error"
		}
		writeError(w, status, typ, "", fmt.Sprintf("fake upstream failure %d", status))
		return
	}
	if req.Model == "slow" {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
	switch strings.TrimPrefix(r.URL.Path, s.prefix()) {
	case "/chat/completions":
		s.chat(w, r, &req)
	case "/embeddings":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]}],"model":"`+req.Model+`","usage":{"prompt_tokens":3,"total_tokens":3}}`)
	default:
		writeError(w, 404, "invalid_request_error", "unknown_url", "Unknown request URL: POST "+r.URL.Path)
	}
}

func lastUser(req *chatRequest) string {
	text := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			_ = json.Unmarshal(m.Content, &text)
		}
	}
	return text
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, req *chatRequest) {
	text := lastUser(req)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_fake_1")
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000, "model": req.Model,
			"system_fingerprint": "fp_fake", "choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "logprobs": nil,
				"message": map[string]any{"role": "assistant", "content": "fake: " + text, "refusal": nil}}},
			"usage": map[string]any{"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}})
		_, _ = w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	usage := "null" // OpenAI sends "usage":null on every chunk but the usage chunk
	delay := time.Duration(0)
	if strings.HasPrefix(req.Model, "delay-stream") {
		delay = s.StreamDelay
		if delay <= 0 {
			delay = 100 * time.Millisecond
		}
	}
	sent := false
	chunk := func(delta, finish string) {
		if sent && delay > 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(delay):
			}
		}
		sent = true
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":%s,\"logprobs\":null,\"finish_reason\":%s}],\"usage\":%s}\n\n",
			req.Model, delta, finish, usage)
		fl.Flush()
	}
	chunk(`{"role":"assistant","content":""}`, "null")
	switch req.Model {
	case "stall-stream":
		chunk(`{"content":"partial"}`, "null")
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case "break-stream":
		chunk(`{"content":"partial"}`, "null")
		return
	case "error-stream":
		chunk(`{"content":"partial"}`, "null")
		fmt.Fprint(w, "data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")
		fl.Flush()
		return
	}
	for _, word := range strings.SplitAfter("fake: "+text, " ") {
		b, _ := json.Marshal(map[string]string{"content": word})
		chunk(string(b), "null")
	}
	chunk(`{}`, `"stop"`)
	if includeUsage {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}\n\n", req.Model)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}
