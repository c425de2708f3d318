package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// ToolsModel is the model a server from NewWithTools answers as an agent
// would: parallel tool calls first, text once the results are back.
const ToolsModel = "tools"

// NewWithTools starts a fake upstream that behaves like New and also serves
// ToolsModel ("tools") on /chat/completions:
//
//   - while the conversation holds no tool results, it answers with a short
//     text and two parallel tool calls, call_weather_1 get_weather
//     {"city":"Paris","unit":"c"} and call_time_2 get_time
//     {"tz":"Europe/Paris"}, finish_reason "tool_calls"; streamed, each call's
//     arguments arrive in three fragments, after a first fragment carrying the
//     id and name with empty arguments, as OpenAI sends them;
//   - once tool messages are present, it answers "Results: " followed by the
//     tool contents joined with "; ", finish_reason "stop";
//   - like OpenAI, it rejects (400) tool messages that do not answer the
//     preceding assistant message's tool_calls, and tool_calls left without a
//     tool message for each id.
//
// Usage: 50 prompt tokens (10 cached) and 20 completion tokens for the tool
// calls; 80 prompt and 6 completion tokens for the final answer.
func NewWithTools(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveWithTools))
	return s
}

type toolsRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID string `json:"id"`
		} `json:"tool_calls"`
	} `json:"messages"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) serveWithTools(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req toolsRequest
	if json.Unmarshal(body, &req) != nil || req.Model != ToolsModel || strings.TrimPrefix(r.URL.Path, s.prefix()) != "/chat/completions" {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.serve(w, r)
		return
	}
	s.calls.Add(1)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastH = raw, r.Header.Clone()
	s.mu.Unlock()
	if s.Key != "" && !s.authorized(r) {
		writeError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	if msg := checkToolMessages(&req); msg != "" {
		writeError(w, 400, "invalid_request_error", "", msg)
		return
	}
	var results []string
	for _, m := range req.Messages {
		if m.Role == "tool" {
			var text string
			if json.Unmarshal(m.Content, &text) != nil {
				text = string(m.Content)
			}
			results = append(results, text)
		}
	}
	if len(results) > 0 {
		s.toolsAnswer(w, &req, "Results: "+strings.Join(results, "; "))
		return
	}
	s.toolsCalls(w, &req)
}

// checkToolMessages applies OpenAI's rules for tool messages.
func checkToolMessages(req *toolsRequest) string {
	var open map[string]bool // tool_call ids awaiting a tool message
	for i, m := range req.Messages {
		if m.Role == "tool" {
			if !open[m.ToolCallID] {
				return fmt.Sprintf("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages[%d], tool_call_id %q)", i, m.ToolCallID)
			}
			delete(open, m.ToolCallID)
			continue
		}
		if len(open) > 0 {
			return fmt.Sprintf("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: %v", keys(open))
		}
		open = nil
		if m.Role == "assistant" && len(m.ToolCalls) > 0 {
			open = map[string]bool{}
			for _, tc := range m.ToolCalls {
				open[tc.ID] = true
			}
		}
	}
	if len(open) > 0 {
		return fmt.Sprintf("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: %v", keys(open))
	}
	return ""
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

type toolsCall struct{ id, name, args string }

var toolsCallsScript = []struct {
	toolsCall
	fragments []string
}{
	{toolsCall{"call_weather_1", "get_weather", `{"city":"Paris","unit":"c"}`}, []string{`{"city":`, `"Paris",`, `"unit":"c"}`}},
	{toolsCall{"call_time_2", "get_time", `{"tz":"Europe/Paris"}`}, []string{`{"tz"`, `:"Europe/`, `Paris"}`}},
}

const toolsPreamble = "Checking both."

func (s *Server) toolsCalls(w http.ResponseWriter, req *toolsRequest) {
	usage := `{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70,"prompt_tokens_details":{"cached_tokens":10}}`
	if !req.Stream {
		var calls []any
		for _, c := range toolsCallsScript {
			calls = append(calls, map[string]any{"id": c.id, "type": "function", "function": map[string]string{"name": c.name, "arguments": c.args}})
		}
		writeToolsCompletion(w, req.Model, map[string]any{"role": "assistant", "content": toolsPreamble, "refusal": nil, "tool_calls": calls}, "tool_calls", usage)
		return
	}
	sw := startToolsStream(w, req)
	sw.chunk(`{"role":"assistant","content":""}`, "null")
	b, _ := json.Marshal(map[string]string{"content": toolsPreamble})
	sw.chunk(string(b), "null")
	for i, c := range toolsCallsScript {
		sw.chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"id":%q,"type":"function","function":{"name":%q,"arguments":""}}]}`, i, c.id, c.name), "null")
		for _, f := range c.fragments {
			b, _ := json.Marshal(f)
			sw.chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"function":{"arguments":%s}}]}`, i, b), "null")
		}
	}
	sw.chunk(`{}`, `"tool_calls"`)
	sw.end(usage)
}

func (s *Server) toolsAnswer(w http.ResponseWriter, req *toolsRequest, text string) {
	usage := `{"prompt_tokens":80,"completion_tokens":6,"total_tokens":86}`
	if !req.Stream {
		writeToolsCompletion(w, req.Model, map[string]any{"role": "assistant", "content": text, "refusal": nil}, "stop", usage)
		return
	}
	sw := startToolsStream(w, req)
	sw.chunk(`{"role":"assistant","content":""}`, "null")
	for _, word := range strings.SplitAfter(text, " ") {
		b, _ := json.Marshal(map[string]string{"content": word})
		sw.chunk(string(b), "null")
	}
	sw.chunk(`{}`, `"stop"`)
	sw.end(usage)
}

func writeToolsCompletion(w http.ResponseWriter, model string, msg map[string]any, finish, usage string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req_fake_tools")
	b, _ := json.Marshal(map[string]any{"id": "chatcmpl-tools", "object": "chat.completion", "created": 1700000000, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "logprobs": nil, "message": msg}},
		"usage":   json.RawMessage(usage)})
	_, _ = w.Write(b)
}

type toolsStream struct {
	w            http.ResponseWriter
	fl           http.Flusher
	model        string
	includeUsage bool
}

func startToolsStream(w http.ResponseWriter, req *toolsRequest) *toolsStream {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	return &toolsStream{w: w, fl: w.(http.Flusher), model: req.Model, includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
}

func (t *toolsStream) chunk(delta, finish string) {
	fmt.Fprintf(t.w, "data: {\"id\":\"chatcmpl-tools\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":%s,\"logprobs\":null,\"finish_reason\":%s}],\"usage\":null}\n\n",
		t.model, delta, finish)
	t.fl.Flush()
}

func (t *toolsStream) end(usage string) {
	if t.includeUsage {
		fmt.Fprintf(t.w, "data: {\"id\":\"chatcmpl-tools\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":%s}\n\n", t.model, usage)
	}
	fmt.Fprint(t.w, "data: [DONE]\n\n")
	t.fl.Flush()
}
