// Package coheretest is a fake Cohere v2 API on loopback: POST /v2/chat (JSON
// or server-sent events with Cohere's event types) and POST /v2/embed, with
// bearer auth and Cohere's error bodies ({"id": ..., "message": ...}). It
// validates requests the way Cohere does where that is documented (roles,
// system turn first, tool_choice values, p range, response_format with tools,
// embed input_type and embedding_types) and, stricter than documented, rejects
// unknown top-level fields, so an OpenAI field leaking through (top_p,
// max_completion_tokens, stream_options) fails loudly.
//
// The model picks a behaviour:
//
//	any other model    answers, echoing the last user message
//	"tools"            calls get_weather(Paris) with a tool plan
//	"parallel-tools"   calls get_weather for Paris and Rome
//	"max-tokens"       finishes with MAX_TOKENS
//	"stop-sequence"    finishes with STOP_SEQUENCE
//	"toxic"            finishes with ERROR_TOXIC
//	"error-finish"     finishes with ERROR (streams: message-end with an error)
//	"fail-<status>"    fails with that status (429 sends Retry-After: 7)
//	"slow"             waits for the client to give up (or 10s)
//	"break-stream"     streams a little, then closes before message-end
//	"error-stream"     streams a little, then message-end with finish ERROR
//
// A conversation whose last message is a tool result is answered with
// "tool said: <content>".
package coheretest

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

// Server is the fake Cohere API.
type Server struct {
	*httptest.Server
	// Key is the bearer token the server requires.
	Key string

	calls atomic.Int64
	mu    sync.Mutex
	last  map[string]any
	lastH http.Header
}

// New starts a fake Cohere API; Close it when done.
func New(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is what an APIKey's config.baseURL should be.
func (s *Server) BaseURL() string { return s.URL }

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// LastRequest returns the last decoded request body and its headers.
func (s *Server) LastRequest() (map[string]any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastH
}

// WriteError writes Cohere's error body.
func WriteError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == 429 {
		w.Header().Set("Retry-After", "7")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": "err-fake-1", "message": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastH = raw, r.Header.Clone()
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		WriteError(w, 401, "invalid api token")
		return
	}
	if r.Method != http.MethodPost {
		WriteError(w, 404, "Not Found")
		return
	}
	if raw == nil {
		WriteError(w, 400, "invalid request: could not parse request body as JSON")
		return
	}
	model, _ := raw["model"].(string)
	if model == "" {
		WriteError(w, 400, "invalid request: model must be specified")
		return
	}
	if s.fail(w, r, model) {
		return
	}
	switch r.URL.Path {
	case "/v2/chat":
		var req ChatRequest
		if msg := decodeStrict(body, &req); msg != "" {
			WriteError(w, 400, msg)
			return
		}
		if msg := validateChat(&req); msg != "" {
			WriteError(w, 400, msg)
			return
		}
		s.chat(w, &req)
	case "/v2/embed":
		var req EmbedRequest
		if msg := decodeStrict(body, &req); msg != "" {
			WriteError(w, 400, msg)
			return
		}
		if msg := validateEmbed(&req); msg != "" {
			WriteError(w, 400, msg)
			return
		}
		embed(w, &req)
	default:
		WriteError(w, 404, "Not Found")
	}
}

// fail plays the failing behaviours; it reports whether it answered.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, model string) bool {
	switch {
	case strings.HasPrefix(model, "fail-"):
		status, _ := strconv.Atoi(strings.TrimPrefix(model, "fail-"))
		if status < 400 {
			status = 500
		}
		msg := fmt.Sprintf("fake upstream failure %d", status)
		if status == 429 {
			msg = "You are using a Trial key, which is limited to 20 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions"
		}
		WriteError(w, status, msg)
	case model == "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		WriteError(w, 504, "gateway timeout")
	default:
		return false
	}
	return true
}

// decodeStrict decodes, rejecting unknown fields the way a strict schema does.
func decodeStrict(body []byte, v any) string {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "invalid request: " + err.Error()
	}
	return ""
}

// ChatRequest is the /v2/chat body the fake accepts.
type ChatRequest struct {
	Model            string          `json:"model"`
	Messages         []Message       `json:"messages"`
	Tools            []Tool          `json:"tools"`
	ToolChoice       string          `json:"tool_choice"`
	Stream           bool            `json:"stream"`
	MaxTokens        *int            `json:"max_tokens"`
	StopSequences    []string        `json:"stop_sequences"`
	Temperature      *float64        `json:"temperature"`
	P                *float64        `json:"p"`
	K                *int            `json:"k"`
	Seed             *int            `json:"seed"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	ResponseFormat   json.RawMessage `json:"response_format"`
	SafetyMode       string          `json:"safety_mode"`
	StrictTools      *bool           `json:"strict_tools"`
}

// Message is a chat message; Content is a string or an array of blocks.
type Message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolPlan   string          `json:"tool_plan"`
	ToolCalls  []ToolCall      `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

// ToolCall is an assistant's call.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Tool is a function declaration.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

func validateChat(req *ChatRequest) string {
	if len(req.Messages) == 0 {
		return "invalid request: messages must not be empty"
	}
	ids := map[string]bool{}
	for i, m := range req.Messages {
		switch m.Role {
		case "system":
			if i != 0 {
				return "system turn must be the first in the list"
			}
		case "user", "assistant":
			for _, tc := range m.ToolCalls {
				if tc.ID == "" || tc.Function.Name == "" {
					return fmt.Sprintf("invalid request: messages[%d].tool_calls: id and function.name are required", i)
				}
				if !json.Valid([]byte(tc.Function.Arguments)) {
					return fmt.Sprintf("invalid request: messages[%d].tool_calls: arguments must be a JSON string", i)
				}
				ids[tc.ID] = true
			}
		case "tool":
			if !ids[m.ToolCallID] {
				return fmt.Sprintf("invalid request: messages[%d]: tool_call_id %q does not match any tool call", i, m.ToolCallID)
			}
		default:
			return fmt.Sprintf("invalid request: Invalid role in messages at index %d. Role must be one of the following: User, Assistant, System, Tool", i)
		}
	}
	switch req.ToolChoice {
	case "":
	case "REQUIRED", "NONE":
		if len(req.Tools) == 0 {
			return "invalid request: tool_choice requires tools"
		}
	default:
		return "invalid request: tool_choice must be one of REQUIRED, NONE"
	}
	if req.P != nil && (*req.P < 0.01 || *req.P > 0.99) {
		return "invalid request: p must be between 0.01 and 0.99"
	}
	if req.Temperature != nil && *req.Temperature < 0 {
		return "invalid request: temperature must be non-negative"
	}
	if len(req.StopSequences) > 5 {
		return "invalid request: stop_sequences can have at most 5 items"
	}
	if len(req.ResponseFormat) > 0 && len(req.Tools) > 0 {
		return "invalid request: response_format is not supported with tools"
	}
	return ""
}

// EmbedRequest is the /v2/embed body the fake accepts.
type EmbedRequest struct {
	Model           string   `json:"model"`
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	EmbeddingTypes  []string `json:"embedding_types"`
	OutputDimension *int     `json:"output_dimension"`
	Truncate        string   `json:"truncate"`
}

func validateEmbed(req *EmbedRequest) string {
	switch {
	case len(req.Texts) == 0:
		return "invalid request: texts must not be empty"
	case len(req.Texts) > 96:
		return fmt.Sprintf("invalid request: total number of texts must be at most 96 - received %d", len(req.Texts))
	case req.InputType == "":
		return "invalid request: valid input_type must be provided with the provided model"
	case len(req.EmbeddingTypes) == 0:
		return "embedding_types is required for embed models v3 and higher"
	}
	return ""
}

func embed(w http.ResponseWriter, req *EmbedRequest) {
	dim := 3
	if req.OutputDimension != nil {
		dim = *req.OutputDimension
	}
	vecs := make([][]float32, len(req.Texts))
	for i := range vecs {
		vecs[i] = make([]float32, dim)
		for j := range vecs[i] {
			vecs[i][j] = float32(i) + float32(j)/10
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "emb-fake-1", "texts": req.Texts,
		"embeddings": map[string]any{"float": vecs}, "response_type": "embeddings_by_type",
		"meta": map[string]any{"api_version": map[string]any{"version": "2"}, "billed_units": map[string]any{"input_tokens": 2 * len(req.Texts)}}})
}
