package geminitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// answer is what the fake model says: text and/or function calls, a finish
// reason, or a blocked prompt.
type answer struct {
	thought  string
	text     string
	calls    []call
	finish   string
	blocked  string
	thoughts int
	cached   int
}

type call struct {
	name      string
	args      map[string]any
	signature string
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request, rt route, body []byte, stream bool) {
	var req gcRequest
	if msg := decodeStrict(body, &req); msg != "" {
		invalid(w, msg)
		return
	}
	if msg := validate(&req, rt); msg != "" {
		invalid(w, msg)
		return
	}
	if rt.model == "gemini-tool" && missingSignature(&req) {
		invalid(w, msgSignature)
		return
	}
	a := respond(&req, rt.model)
	if !stream {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		b, _ := json.MarshalIndent(a.response(rt.model, a.text, a.thought, a.calls, a.finish, promptTokens(&req)), "", "  ")
		_, _ = w.Write(b)
		return
	}
	if r.URL.Query().Get("alt") != "sse" {
		// Without alt=sse the stream is one JSON array of chunks.
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		b, _ := json.Marshal([]any{a.response(rt.model, a.text, a.thought, a.calls, a.finish, promptTokens(&req))})
		_, _ = w.Write(b)
		return
	}
	s.stream(w, rt.model, a, promptTokens(&req))
}

// respond decides the answer from the model name and the conversation.
func respond(req *gcRequest, model string) *answer {
	a := &answer{finish: "STOP"}
	last := req.Contents[len(req.Contents)-1]
	var outputs, texts []string
	for _, p := range last.Parts {
		if p.FunctionResponse != nil {
			b, _ := json.Marshal(p.FunctionResponse.Response["output"])
			outputs = append(outputs, p.FunctionResponse.Name+"="+string(b))
		}
		if p.Text != nil {
			texts = append(texts, *p.Text)
		}
	}
	if len(outputs) > 0 {
		a.text = "fake: got " + strings.Join(outputs, ", ")
	} else {
		a.text = "fake: " + strings.Join(texts, " ")
	}
	var decls []string
	for _, t := range req.Tools {
		for _, d := range t.FunctionDeclarations {
			decls = append(decls, d.Name)
		}
	}
	mode := ""
	if req.ToolConfig != nil && req.ToolConfig.FunctionCallingConfig != nil {
		mode = req.ToolConfig.FunctionCallingConfig.Mode
	}
	canCall := len(decls) > 0 && mode != "NONE" && len(outputs) == 0
	switch {
	case model == "gemini-tool" && canCall:
		a.text = ""
		a.calls = []call{{name: decls[0], args: map[string]any{"city": "Paris"}, signature: signature(decls[0])}}
	case model == "gemini-parallel-tools" && canCall:
		a.text = ""
		a.calls = []call{{name: decls[0], args: map[string]any{"city": "Paris"}},
			{name: decls[min(1, len(decls)-1)], args: map[string]any{"city": "London"}}}
	case model == "gemini-thinking":
		a.thought = "The user said something; I should echo it."
		a.thoughts, a.cached = 12, 4
	case model == "gemini-blocked":
		a.blocked = "SAFETY"
	case model == "gemini-safety":
		a.finish = "SAFETY"
	case model == "gemini-max-tokens":
		a.finish = "MAX_TOKENS"
	}
	return a
}

func signature(name string) string { return base64.StdEncoding.EncodeToString([]byte("sig-" + name)) }

// missingSignature plays Gemini 3: the function calls of the current turn
// (the last model turn) must carry the signature this server issued on the
// first call.
func missingSignature(req *gcRequest) bool {
	for i := len(req.Contents) - 1; i >= 0; i-- {
		c := req.Contents[i]
		if c.Role != "model" {
			continue
		}
		for _, p := range c.Parts {
			if p.FunctionCall != nil {
				return p.ThoughtSignature != signature(p.FunctionCall.Name)
			}
		}
		return false
	}
	return false
}

func promptTokens(req *gcRequest) int {
	n := 0
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.Text != nil {
				n += len(strings.Fields(*p.Text))
			}
			if p.FunctionResponse != nil {
				n += 3
			}
			if p.InlineData != nil || p.FileData != nil {
				n += 258
			}
		}
	}
	return n + 4
}

// response builds one GenerateContentResponse holding the given slice of
// the answer; finish is "" on chunks before the last.
func (a *answer) response(model, text, thought string, calls []call, finish string, prompt int) map[string]any {
	out := map[string]any{"modelVersion": model, "responseId": "fakeResp-" + model}
	candidates := len(strings.Fields(a.text)) + 2*len(a.calls)
	usage := map[string]any{"promptTokenCount": prompt, "candidatesTokenCount": candidates,
		"totalTokenCount":     prompt + candidates + a.thoughts,
		"promptTokensDetails": []any{map[string]any{"modality": "TEXT", "tokenCount": prompt}}}
	if a.thoughts > 0 {
		usage["thoughtsTokenCount"] = a.thoughts
	}
	if a.cached > 0 {
		usage["cachedContentTokenCount"] = a.cached
	}
	out["usageMetadata"] = usage
	if a.blocked != "" {
		out["promptFeedback"] = map[string]any{"blockReason": a.blocked,
			"safetyRatings": []any{map[string]any{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}}}
		usage["candidatesTokenCount"], usage["totalTokenCount"] = 0, prompt
		return out
	}
	var parts []any
	if thought != "" {
		parts = append(parts, map[string]any{"text": thought, "thought": true})
	}
	if text != "" {
		parts = append(parts, map[string]any{"text": text})
	}
	for _, c := range calls {
		p := map[string]any{"functionCall": map[string]any{"name": c.name, "args": c.args}}
		if c.signature != "" {
			p["thoughtSignature"] = c.signature
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 && finish != "" {
		parts = append(parts, map[string]any{"text": ""})
	}
	cand := map[string]any{"index": 0}
	if len(parts) > 0 {
		cand["content"] = map[string]any{"role": "model", "parts": parts}
	}
	if finish != "" {
		cand["finishReason"] = finish
	}
	if finish == "SAFETY" {
		cand["safetyRatings"] = []any{map[string]any{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true}}
	}
	out["candidates"] = []any{cand}
	return out
}

// stream writes the answer as alt=sse events: the thought, the text one
// word per event, each function call in its own event, the finish reason on
// the last event. Lines end in \r\n as on the real service.
func (s *Server) stream(w http.ResponseWriter, model string, a *answer, prompt int) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		fl.Flush()
	}
	if a.blocked != "" {
		send(a.response(model, "", "", nil, "", prompt))
		return
	}
	var events []map[string]any
	if a.thought != "" {
		events = append(events, a.response(model, "", a.thought, nil, "", prompt))
	}
	for _, word := range strings.SplitAfter(a.text, " ") {
		if word != "" {
			events = append(events, a.response(model, word, "", nil, "", prompt))
		}
	}
	for _, c := range a.calls {
		events = append(events, a.response(model, "", "", []call{c}, "", prompt))
	}
	switch model {
	case "gemini-break-stream":
		send(events[0])
		return
	case "gemini-error-stream":
		send(events[0])
		send(map[string]any{"error": map[string]any{"code": 500, "status": "INTERNAL",
			"message": "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"}})
		return
	}
	for _, ev := range events {
		send(ev)
	}
	// The last event carries the finish reason (with an empty text part, as
	// Gemini often sends).
	send(a.response(model, "", "", nil, a.finish, prompt))
}
