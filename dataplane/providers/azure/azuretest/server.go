// Package azuretest is a fake Azure OpenAI resource on loopback. It serves
// both URL forms (classic /openai/deployments/{name}/...?api-version=... and
// the v1 API under /openai/v1), checks the api-key header, and answers the way
// Azure does: OpenAI-shaped bodies with prompt_filter_results and
// content_filter_results, a first stream chunk with empty choices, and Azure's
// error bodies ({"error":{"code":"DeploymentNotFound","message":...}}).
//
// The deployment (classic path) or model (v1 body) picks a behaviour:
//
//	any other name     answers, echoing the last user message
//	"tools"            calls get_weather (when the last message is not a tool result)
//	"parallel-tools"   calls get_weather twice, for Paris and for Rome
//	"filtered"         answers with finish_reason "content_filter"
//	"missing-*"        404 DeploymentNotFound
//	"content-filter"   400 with code "content_filter" (prompt blocked)
//	"fail-<status>"    fails with that status; 429 sends retry-after and retry-after-ms
//	"fail-429ms"       429 with only retry-after-ms: 1500
//	"slow"             waits for the client to give up (or 10s)
//	"break-stream"     streams one chunk, then closes without [DONE]
//	"error-stream"     streams one chunk, then an error event
//
// A message whose role is "tool" is answered with "tool said: <content>".
package azuretest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Versions are the api-version values the fake accepts on classic URLs.
var Versions = map[string]bool{"2024-02-01": true, "2024-06-01": true, "2024-10-21": true, "2025-04-01-preview": true}

// Server is the fake resource.
type Server struct {
	*httptest.Server
	// Key is the api-key the server requires.
	Key string

	calls atomic.Int64
	mu    sync.Mutex
	last  Request
}

// Request is what the server last received.
type Request struct {
	Path   string
	Query  url.Values
	Header http.Header
	Body   map[string]any
}

// New starts a fake resource; Close it when done.
func New(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is config.baseURL for classic deployments (the resource root).
func (s *Server) BaseURL() string { return s.URL }

// V1BaseURL is config.baseURL for the v1 API.
func (s *Server) V1BaseURL() string { return s.URL + "/openai/v1" }

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// Last returns the last request.
func (s *Server) Last() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// WriteError writes Azure's error body.
func WriteError(w http.ResponseWriter, status int, code, msg string, extra map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("apim-request-id", "apim-fake")
	if status == 429 {
		w.Header().Set("retry-after", "7")
		w.Header().Set("retry-after-ms", "7000")
	}
	w.WriteHeader(status)
	e := map[string]any{"code": code, "message": msg}
	for k, v := range extra {
		e[k] = v
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

// invalid writes the OpenAI-style validation error Azure passes on from the model service.
func invalid(w http.ResponseWriter, param, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(400)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": param, "code": nil}})
}

type request struct {
	Model         string          `json:"model"`
	Stream        bool            `json:"stream"`
	Messages      []message       `json:"messages"`
	Tools         json.RawMessage `json:"tools"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Input          json.RawMessage `json:"input"`
	Prompt         json.RawMessage `json:"prompt"`
	EncodingFormat string          `json:"encoding_format"`
}

type message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"tool_call_id"`
}

// route splits the path into deployment (classic) and operation.
func (s *Server) route(r *http.Request) (deployment, op string, v1, ok bool) {
	p := r.URL.Path
	if rest, found := strings.CutPrefix(p, "/openai/v1/"); found {
		return "", rest, true, true
	}
	rest, found := strings.CutPrefix(p, "/openai/deployments/")
	if !found {
		return "", "", false, false
	}
	dep, op, found := strings.Cut(rest, "/")
	return dep, op, false, found
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last = Request{Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: raw}
	s.mu.Unlock()
	if r.Header.Get("api-key") != s.Key {
		WriteError(w, 401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.", nil)
		return
	}
	dep, op, v1, ok := s.route(r)
	if !ok || r.Method != http.MethodPost {
		WriteError(w, 404, "404", "Resource not found", nil)
		return
	}
	if !v1 {
		v := r.URL.Query().Get("api-version")
		if v == "" {
			WriteError(w, 404, "404", "Resource not found", nil)
			return
		}
		if !Versions[v] {
			WriteError(w, 400, "BadRequest", "API version not supported", nil)
			return
		}
	}
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		invalid(w, "", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)")
		return
	}
	if v1 {
		dep = req.Model
		if dep == "" {
			invalid(w, "model", "you must provide a model parameter")
			return
		}
	}
	if s.fail(w, r, dep) {
		return
	}
	if req.StreamOptions != nil && !req.Stream {
		invalid(w, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
		return
	}
	switch op {
	case "chat/completions":
		if len(req.Messages) == 0 {
			invalid(w, "messages", "'messages' is a required property")
			return
		}
		s.chat(w, r, dep, &req)
	case "embeddings":
		s.embeddings(w, &req)
	case "completions":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"cmpl-fake","object":"text_completion","created":1700000000,"model":"gpt-35-turbo-instruct","choices":[{"text":"fake completion","index":0,"finish_reason":"stop","logprobs":null,"content_filter_results":{}}],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}`)
	default:
		WriteError(w, 404, "404", "Resource not found", nil)
	}
}

// fail plays the failing behaviours; it reports whether it answered.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, dep string) bool {
	switch {
	case strings.HasPrefix(dep, "missing-"):
		WriteError(w, 404, "DeploymentNotFound", "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.", nil)
	case dep == "content-filter":
		WriteError(w, 400, "content_filter", "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
			map[string]any{"param": "prompt", "status": 400, "innererror": map[string]any{"code": "ResponsibleAIPolicyViolation",
				"content_filter_result": map[string]any{"violence": map[string]any{"filtered": true, "severity": "high"}}}})
	case dep == "fail-429ms":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("retry-after-ms", "1500")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 2 seconds."}}`)
	case strings.HasPrefix(dep, "fail-"):
		status, _ := strconv.Atoi(strings.TrimPrefix(dep, "fail-"))
		if status < 400 {
			status = 500
		}
		msg := fmt.Sprintf("fake upstream failure %d", status)
		if status == 429 {
			msg = "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds."
		}
		WriteError(w, status, strconv.Itoa(status), msg, nil)
	case dep == "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		WriteError(w, 408, "408", "Request timed out", nil)
	default:
		return false
	}
	return true
}

func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// answer is what the fake says: text, or tool calls.
type answer struct {
	text   string
	calls  [][2]string // name, arguments
	finish string
}

func decide(dep string, req *request) answer {
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		return answer{text: "tool said: " + text(last.Content), finish: "stop"}
	}
	user := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			user = text(m.Content)
		}
	}
	switch dep {
	case "tools":
		return answer{calls: [][2]string{{"get_weather", `{"city":"Paris"}`}}, finish: "tool_calls"}
	case "parallel-tools":
		return answer{calls: [][2]string{{"get_weather", `{"city":"Paris"}`}, {"get_weather", `{"city":"Rome"}`}}, finish: "tool_calls"}
	case "filtered":
		return answer{text: "fake:", finish: "content_filter"}
	}
	return answer{text: "fake: " + user, finish: "stop"}
}

const (
	promptFilter  = `[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]`
	contentFilter = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`
	usage         = `{"completion_tokens":3,"prompt_tokens":9,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0}}`
)

func toolCalls(calls [][2]string) []map[string]any {
	out := make([]map[string]any, len(calls))
	for i, c := range calls {
		out[i] = map[string]any{"id": fmt.Sprintf("call_fake%d", i+1), "type": "function",
			"function": map[string]any{"name": c[0], "arguments": c[1]}}
	}
	return out
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, dep string, req *request) {
	a := decide(dep, req)
	w.Header().Set("x-request-id", "req-azure-1")
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if len(a.calls) > 0 {
			msg["tool_calls"] = toolCalls(a.calls)
		} else {
			msg["content"] = a.text
		}
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-azure", "object": "chat.completion", "created": 1700000000,
			"model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_azure", "prompt_filter_results": json.RawMessage(promptFilter),
			"choices": []any{map[string]any{"index": 0, "finish_reason": a.finish, "logprobs": nil, "message": msg,
				"content_filter_results": json.RawMessage(contentFilter)}},
			"usage": json.RawMessage(usage)})
		_, _ = w.Write(b)
		return
	}
	s.stream(w, dep, req, a)
}
