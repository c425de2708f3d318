package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// ResponsesServer is a fake OpenAI upstream that serves the Responses API
// (POST /v1/responses) as OpenAI does, besides everything a server from
// NewWithTools serves. It keeps the raw bytes of the last Responses request
// and answer, so tests can check that a gateway forwards them untouched.
type ResponsesServer struct {
	*Server

	rmu      sync.Mutex
	rawReq   []byte
	rawReqH  http.Header
	rawResp  []byte
	rawCalls int
}

// NewWithResponses starts a fake upstream that answers POST /v1/responses:
//
//   - any model: a completed response whose one message says "fake: "
//     followed by the last user text of the input (a string input, or the
//     input_text parts of the last user message); with "stream": true, the
//     named-event sequence OpenAI sends (response.created,
//     response.in_progress, response.output_item.added,
//     response.content_part.added, response.output_text.delta per word,
//     response.output_text.done, response.content_part.done,
//     response.output_item.done, response.completed), no [DONE];
//   - "fail-<status>": OpenAI's error body with that status (429 sends
//     Retry-After: 7).
//
// The response id is "resp_fake", the message id "msg_fake"; usage is 9 input
// tokens (2 cached) and 3 output tokens. Every other path behaves as
// NewWithTools.
func NewWithResponses(key string) *ResponsesServer {
	s := &ResponsesServer{Server: &Server{Key: key}}
	s.Server.Server = httptest.NewServer(http.HandlerFunc(s.route))
	return s
}

// LastResponsesRequest returns the raw body and headers of the last
// Responses API request.
func (s *ResponsesServer) LastResponsesRequest() ([]byte, http.Header) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rawReq, s.rawReqH
}

// LastResponsesAnswer returns the exact bytes of the last Responses API
// answer body, streamed or not.
func (s *ResponsesServer) LastResponsesAnswer() []byte {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rawResp
}

// ResponsesCalls is the number of Responses API requests received.
func (s *ResponsesServer) ResponsesCalls() int {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rawCalls
}

func (s *ResponsesServer) route(w http.ResponseWriter, r *http.Request) {
	if strings.TrimPrefix(r.URL.Path, s.prefix()) != "/responses" {
		s.serveWithTools(w, r)
		return
	}
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastH = raw, r.Header.Clone()
	s.mu.Unlock()
	s.rmu.Lock()
	s.rawReq, s.rawReqH, s.rawResp = body, r.Header.Clone(), nil
	s.rawCalls++
	s.rmu.Unlock()

	rec := &respRecorder{w: w}
	s.responses(rec, r, body)
	s.rmu.Lock()
	s.rawResp = rec.buf.Bytes()
	s.rmu.Unlock()
}

// respRecorder keeps a copy of what is written.
type respRecorder struct {
	w   http.ResponseWriter
	buf bytes.Buffer
}

func (rec *respRecorder) write(s string) {
	rec.buf.WriteString(s)
	_, _ = io.WriteString(rec.w, s)
	if fl, ok := rec.w.(http.Flusher); ok {
		fl.Flush()
	}
}

type responsesRequest struct {
	Model  string          `json:"model"`
	Stream bool            `json:"stream"`
	Input  json.RawMessage `json:"input"`
}

func (s *ResponsesServer) responses(rec *respRecorder, r *http.Request, body []byte) {
	w := rec.w
	if r.Method != http.MethodPost {
		writeError(w, 405, "invalid_request_error", "", "Only POST is allowed on /v1/responses.")
		return
	}
	if s.Key != "" && !s.authorized(r) {
		writeError(w, 401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	var req responsesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, 400, "invalid_request_error", "", "We could not parse the JSON body of your request.")
		return
	}
	if req.Model == "" {
		writeError(w, 400, "invalid_request_error", "missing_required_parameter", "Missing required parameter: 'model'.")
		return
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
	text := "fake: " + respLastUserInput(req.Input)
	w.Header().Set("X-Request-Id", "req_fake_responses")
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		rec.write(respFakeResponse(req.Model, "completed", text, true))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	seq := 0
	event := func(name, data string) {
		rec.write("event: " + name + "\ndata: " + strings.Replace(data, `"SEQ"`, strconv.Itoa(seq), 1) + "\n\n")
		seq++
	}
	event("response.created", `{"type":"response.created","sequence_number":"SEQ","response":`+respFakeResponse(req.Model, "in_progress", "", false)+`}`)
	event("response.in_progress", `{"type":"response.in_progress","sequence_number":"SEQ","response":`+respFakeResponse(req.Model, "in_progress", "", false)+`}`)
	event("response.output_item.added", `{"type":"response.output_item.added","sequence_number":"SEQ","output_index":0,"item":{"id":"msg_fake","type":"message","status":"in_progress","content":[],"role":"assistant"}}`)
	event("response.content_part.added", `{"type":"response.content_part.added","sequence_number":"SEQ","item_id":"msg_fake","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}`)
	for i, word := range strings.SplitAfter(text, " ") {
		event("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":"SEQ","item_id":"msg_fake","output_index":0,"content_index":0,"delta":`+respJSONString(word)+`,"logprobs":[],"obfuscation":"`+strings.Repeat("x", i%4+1)+`"}`)
	}
	event("response.output_text.done", `{"type":"response.output_text.done","sequence_number":"SEQ","item_id":"msg_fake","output_index":0,"content_index":0,"text":`+respJSONString(text)+`,"logprobs":[]}`)
	event("response.content_part.done", `{"type":"response.content_part.done","sequence_number":"SEQ","item_id":"msg_fake","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":`+respJSONString(text)+`}}`)
	event("response.output_item.done", `{"type":"response.output_item.done","sequence_number":"SEQ","output_index":0,"item":`+respFakeMessage(text)+`}`)
	event("response.completed", `{"type":"response.completed","sequence_number":"SEQ","response":`+respFakeResponse(req.Model, "completed", text, true)+`}`)
}

// respLastUserInput is the text of the last user message in a Responses input.
func respLastUserInput(input json.RawMessage) string {
	var s string
	if json.Unmarshal(input, &s) == nil {
		return s
	}
	var items []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	_ = json.Unmarshal(input, &items)
	text := ""
	for _, it := range items {
		if it.Role != "user" {
			continue
		}
		if json.Unmarshal(it.Content, &s) == nil {
			text = s
			continue
		}
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		_ = json.Unmarshal(it.Content, &parts)
		text = ""
		for _, p := range parts {
			if p.Type == "input_text" {
				text += p.Text
			}
		}
	}
	return text
}

func respJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func respFakeMessage(text string) string {
	return `{"id":"msg_fake","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":` +
		respJSONString(text) + `}],"role":"assistant"}`
}

// respFakeResponse is a Response object laid out as OpenAI's API writes it.
func respFakeResponse(model, status, text string, done bool) string {
	output, usage, completedAt := "[]", "null", "null"
	if done {
		output = "[" + respFakeMessage(text) + "]"
		usage = `{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":12}`
		completedAt = "1741476543"
	}
	return `{"id":"resp_fake","object":"response","created_at":1741476542,"status":"` + status + `","background":false,` +
		`"completed_at":` + completedAt + `,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,` +
		`"max_tool_calls":null,"model":` + respJSONString(model) + `,"output":` + output + `,"parallel_tool_calls":true,` +
		`"previous_response_id":null,"prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,` +
		`"service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},` +
		`"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":` + usage + `,` +
		`"user":null,"metadata":{}}`
}
