// Package anthropictest is a fake Anthropic Messages API on loopback. It
// speaks the real wire format (JSON messages, named-event SSE streams ending
// at message_stop, {"type":"error",...} bodies with Anthropic's statuses) and
// validates requests as the real API does: missing max_tokens, a "system"
// role in messages, extra top-level fields, empty content, bad images,
// tool_result blocks without a matching tool_use in the previous assistant
// turn (and tool_use blocks left unanswered), thinking constraints, and so on
// (see Validate). Consecutive same-role turns are merged, as the API does.
//
// The answer depends on the request and the model name:
//
//	any model            echoes the last user text: "fake: <text>" (a stop
//	                     sequence found in it ends the answer there)
//	last turn has tool results   answers "fake: tool said <results>"
//	tool_choice any/tool calls the first (or the named) tool
//	"...tool-call..."    calls the first tool (with tool_choice auto)
//	"...tool-text..."    writes a sentence, then calls the first tool
//	"...parallel-tools..." calls the first two tools (or the first twice)
//	thinking enabled     adds a thinking block first
//	"stop-<reason>"      ends with that stop_reason (max_tokens, refusal, ...)
//	"cached"             reports cache read and creation tokens
//	"fail-<status>"      fails with that status and its error type
//	                     (429 and 529 send retry-after: 7)
//	"slow"               waits for the client to give up (or 10s)
//	"stall-stream"       streams one delta, then stalls
//	"break-stream"       streams one delta, then closes without message_stop
//	"error-stream"       streams one delta, then an overloaded_error event
//
// Tool inputs are made up from the tool's input_schema.
package anthropictest

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

// Version is the anthropic-version the fake requires.
const Version = "2023-06-01"

// Server is the fake upstream.
type Server struct {
	*httptest.Server
	// Key is the x-api-key the server requires; empty accepts any.
	Key string

	calls   atomic.Int64
	vertex  *vertex // set by NewVertex
	mu      sync.Mutex
	last    map[string]any
	lastRaw []byte
	lastH   http.Header
}

// New starts a fake upstream; Close it when done.
func New(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is what an APIKey's config.baseURL should be (the host root).
func (s *Server) BaseURL() string { return s.URL }

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// LastRequest returns the last decoded request body and its headers.
func (s *Server) LastRequest() (map[string]any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastH
}

// LastBody returns the last raw request body.
func (s *Server) LastBody() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRaw
}

// errorTypes are Anthropic's error types by status.
var errorTypes = map[int]string{
	400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
	404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
	504: "timeout_error", 529: "overloaded_error",
}

// WriteError writes an Anthropic error response.
func WriteError(w http.ResponseWriter, status int, msg string) {
	typ := errorTypes[status]
	if typ == "" {
		typ = "api_error"
	}
	w.Header().Set("Content-Type", "application/json")
	if status == 429 || status == 529 {
		w.Header().Set("Retry-After", "7")
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg},
		"request_id": "req_fake_error"})
	_, _ = w.Write(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastRaw, s.lastH = raw, body, r.Header.Clone()
	s.mu.Unlock()
	w.Header().Set("Request-Id", fmt.Sprintf("req_fake_%03d", n))
	if s.vertex != nil {
		s.serveVertex(w, r, body, n)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		WriteError(w, 404, "Not Found")
		return
	}
	switch key := r.Header.Get("X-Api-Key"); {
	case key == "":
		WriteError(w, 401, "x-api-key header is required")
		return
	case s.Key != "" && key != s.Key:
		WriteError(w, 401, "invalid x-api-key")
		return
	}
	if r.Header.Get("Anthropic-Version") == "" {
		WriteError(w, 400, "anthropic-version: header is required")
		return
	}
	req, msg := Validate(body)
	if msg != "" {
		WriteError(w, 400, msg)
		return
	}
	s.respond(w, r, req, n)
}

// respond answers a valid request as its model name says.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, req *Request, n int64) {
	model := req.Model
	if code, ok := strings.CutPrefix(model, "fail-"); ok {
		status, _ := strconv.Atoi(code)
		WriteError(w, status, fmt.Sprintf("fake upstream failure %d", status))
		return
	}
	if model == "slow" {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
	m := s.answer(req, n)
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(m)
		_, _ = w.Write(b)
		return
	}
	writeStream(w, r, req, m)
}

// Response is the fake's response message.
type Response struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []map[string]any `json:"content"`
	StopReason   string           `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        Usage            `json:"usage"`
}

// Usage is the fake's usage object.
type Usage struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
}

// answer decides what the model says.
func (s *Server) answer(req *Request, n int64) *Response {
	m := &Response{ID: fmt.Sprintf("msg_fake_%03d", n), Type: "message", Role: "assistant", Model: req.Model,
		Content: []map[string]any{}, StopReason: "end_turn"}
	if req.Thinking != nil && req.Thinking.Type == "enabled" {
		m.Content = append(m.Content, map[string]any{"type": "thinking", "thinking": "The user wants an answer. I will give one.",
			"signature": "c2lnbmF0dXJl"})
	}
	last := req.Messages[len(req.Messages)-1]
	results := toolResults(last)
	choice := ""
	if req.ToolChoice != nil {
		choice = req.ToolChoice.Type
	}
	wantTools := len(req.Tools) > 0 && choice != "none" && (choice == "any" || choice == "tool" ||
		(len(results) == 0 && (strings.Contains(req.Model, "tool-call") || strings.Contains(req.Model, "tool-text") ||
			strings.Contains(req.Model, "parallel-tools"))))
	switch {
	case wantTools:
		if strings.Contains(req.Model, "tool-text") && (choice == "" || choice == "auto") {
			m.Content = append(m.Content, map[string]any{"type": "text", "text": "Let me look that up."})
		}
		first := req.Tools[0]
		if choice == "tool" {
			for _, t := range req.Tools {
				if t.Name == req.ToolChoice.Name {
					first = t
				}
			}
		}
		calls := []Tool{first}
		parallel := req.ToolChoice == nil || req.ToolChoice.DisableParallelToolUse == nil || !*req.ToolChoice.DisableParallelToolUse
		if strings.Contains(req.Model, "parallel-tools") && parallel && choice != "tool" {
			calls = append(calls, req.Tools[1%len(req.Tools)])
		}
		for i, t := range calls {
			m.Content = append(m.Content, map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_fake_%03d_%d", n, i+1),
				"name": t.Name, "input": fakeInput(t.InputSchema, i)})
		}
		m.StopReason = "tool_use"
	case len(results) > 0:
		m.Content = append(m.Content, map[string]any{"type": "text", "text": "fake: tool said " + strings.Join(results, "; ")})
	default:
		text := "fake: " + lastUserText(req.Messages)
		for _, seq := range req.StopSequences {
			if i := strings.Index(text, seq); seq != "" && i >= 0 {
				text = text[:i]
				m.StopReason, m.StopSequence = "stop_sequence", &seq
				break
			}
		}
		m.Content = append(m.Content, map[string]any{"type": "text", "text": text})
	}
	if reason, ok := strings.CutPrefix(req.Model, "stop-"); ok {
		m.StopReason = reason
	}
	m.Usage = Usage{InputTokens: int64(countWords(req)), OutputTokens: int64(outputWords(m))}
	if req.Model == "cached" {
		m.Usage.CacheReadInputTokens, m.Usage.CacheCreationInputTokens = 100, 20
	}
	return m
}

func toolResults(m Message) []string {
	if m.Role != "user" {
		return nil
	}
	var out []string
	for _, b := range m.Blocks {
		if b.Type != "tool_result" {
			continue
		}
		var s string
		if json.Unmarshal(b.Content, &s) != nil {
			var parts []Block
			_ = json.Unmarshal(b.Content, &parts)
			for _, p := range parts {
				if p.Text != nil {
					s += *p.Text
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func lastUserText(msgs []Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != "user" {
			continue
		}
		var parts []string
		for _, b := range msgs[i].Blocks {
			if b.Type == "text" && b.Text != nil {
				parts = append(parts, *b.Text)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func countWords(req *Request) int {
	n := 3
	for _, m := range req.Messages {
		for _, b := range m.Blocks {
			if b.Text != nil {
				n += len(strings.Fields(*b.Text))
			}
			n += len(strings.Fields(string(b.Content))) + len(b.Input)/4
		}
	}
	return n
}

func outputWords(m *Response) int {
	n := 1
	for _, b := range m.Content {
		if t, ok := b["text"].(string); ok {
			n += len(strings.Fields(t))
		}
		if in, ok := b["input"]; ok {
			j, _ := json.Marshal(in)
			n += len(j) / 4
		}
	}
	return n
}

// fakeInput makes up tool arguments that match a simple schema.
func fakeInput(schema json.RawMessage, i int) map[string]any {
	var s struct {
		Properties map[string]struct {
			Type string `json:"type"`
			Enum []any  `json:"enum"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s)
	out := map[string]any{}
	for name, p := range s.Properties {
		switch {
		case len(p.Enum) > 0:
			out[name] = p.Enum[0]
		case p.Type == "string":
			out[name] = []string{"Paris", "Tokyo"}[i%2]
		case p.Type == "integer" || p.Type == "number":
			out[name] = 42
		case p.Type == "boolean":
			out[name] = true
		case p.Type == "array":
			out[name] = []any{}
		default:
			out[name] = map[string]any{}
		}
	}
	return out
}
