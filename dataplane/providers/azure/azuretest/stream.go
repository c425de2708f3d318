package azuretest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// stream writes Azure's chat stream: a prompt-filter chunk with empty choices,
// the role chunk, content (or tool-call fragments, arguments in three pieces),
// the finish chunk, the usage chunk when asked, and [DONE].
func (s *Server) stream(w http.ResponseWriter, dep string, req *request, a answer) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	send := func(payload string) {
		fmt.Fprintf(w, "data: %s\n\n", payload)
		fl.Flush()
	}
	chunk := func(delta, finish string, filter bool) {
		cf := ""
		if filter {
			cf = `,"content_filter_results":` + contentFilter
		}
		send(fmt.Sprintf(`{"choices":[{"delta":%s,"finish_reason":%s,"index":0,"logprobs":null%s}],"created":1700000000,"id":"chatcmpl-azure","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","system_fingerprint":"fp_azure"}`,
			delta, finish, cf))
	}
	send(`{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":` + promptFilter + `}`)
	chunk(`{"content":"","refusal":null,"role":"assistant"}`, "null", false)
	switch dep {
	case "break-stream":
		chunk(`{"content":"partial"}`, "null", true)
		return
	case "error-stream":
		chunk(`{"content":"partial"}`, "null", true)
		send(`{"error":{"code":"server_error","message":"The server had an error while processing your request. Sorry about that!"}}`)
		return
	}
	for i, c := range a.calls {
		first, _ := json.Marshal(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": fmt.Sprintf("call_fake%d", i+1),
			"type": "function", "function": map[string]any{"name": c[0], "arguments": ""}}}})
		chunk(string(first), "null", false)
		args := c[1]
		third := len(args) / 3
		for _, frag := range []string{args[:third], args[third : 2*third], args[2*third:]} {
			b, _ := json.Marshal(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": frag}}}})
			chunk(string(b), "null", false)
		}
	}
	if len(a.calls) == 0 {
		for _, word := range strings.SplitAfter(a.text, " ") {
			b, _ := json.Marshal(map[string]string{"content": word})
			chunk(string(b), "null", true)
		}
	}
	chunk(`{}`, `"`+a.finish+`"`, a.finish == "content_filter")
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		send(`{"choices":[],"created":1700000000,"id":"chatcmpl-azure","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","system_fingerprint":"fp_azure","usage":` + usage + `}`)
	}
	send("[DONE]")
}

// embeddings answers with one 3-dimensional vector per input, as floats or,
// when asked, base64 (Azure supports encoding_format like OpenAI).
func (s *Server) embeddings(w http.ResponseWriter, req *request) {
	var inputs []string
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		inputs = []string{one}
	} else if err := json.Unmarshal(req.Input, &inputs); err != nil || len(inputs) == 0 {
		invalid(w, "input", "'input' is a required property")
		return
	}
	data := make([]map[string]any, len(inputs))
	for i := range inputs {
		v := []float32{0.1, -0.2, float32(i)}
		var emb any = v
		if req.EncodingFormat == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data, "model": "text-embedding-3-small",
		"usage": map[string]any{"prompt_tokens": 2 * len(inputs), "total_tokens": 2 * len(inputs)}})
	_, _ = w.Write(b)
}
