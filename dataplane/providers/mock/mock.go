// Package mock is a built-in provider that answers without a network: chat and
// completions echo the last user input, embeddings are derived from a hash of
// the input. It makes the quick start work offline and gives tests a
// deterministic upstream. Streaming splits the echo into one chunk per word.
//
// A few model names trigger failures, so routing can be exercised end to end:
// "mock-error-429", "mock-error-500" and "mock-error-400" fail with that status.
package mock

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Info describes the mock provider.
var Info = providers.Info{
	ID:          "mock",
	DisplayName: "Mock (built-in, offline)",
	Tasks:       []providers.Task{providers.TaskChat, providers.TaskCompletions, providers.TaskEmbeddings},
}

// Adapter is the mock provider.
type Adapter struct {
	seq   atomic.Uint64
	clock func() time.Time
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns a mock adapter.
func New() *Adapter { return &Adapter{clock: time.Now} }

type request struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Prompt     json.RawMessage `json:"prompt"`
	Input      json.RawMessage `json:"input"`
	Dimensions int             `json:"dimensions"`
	Encoding   string          `json:"encoding_format"`
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, _ *providers.Credential, call *providers.Call) (*providers.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, providers.TransportError("mock", err, true)
	}
	if strings.HasPrefix(call.Model, "mock-error-") {
		var status int
		_, _ = fmt.Sscanf(strings.TrimPrefix(call.Model, "mock-error-"), "%d", &status)
		if status < 400 || status > 599 {
			status = 500
		}
		e := &providers.Error{Status: status, Type: providers.ErrorType(status), Retryable: providers.RetryableStatus(status),
			Message: fmt.Sprintf("mock failure %d requested by model %q", status, call.Model)}
		if status == 429 {
			e.RetryAfter = "1"
		}
		return nil, e
	}
	var req request
	if err := json.Unmarshal(call.Body, &req); err != nil {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Message: "invalid JSON body: " + err.Error()}
	}
	id := a.seq.Add(1)
	switch call.Task {
	case providers.TaskEmbeddings:
		return a.embeddings(call, &req)
	case providers.TaskCompletions:
		prompt := textOf(req.Prompt)
		return a.answer(call, id, "cmpl", prompt, words(prompt))
	default:
		last, all := "", 0
		for _, m := range req.Messages {
			t := textOf(m.Content)
			all += words(t)
			if m.Role == "user" {
				last = t
			}
		}
		return a.answer(call, id, "chatcmpl", last, all)
	}
}

// textOf flattens a string, an array of strings or an array of text parts.
func textOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		var part struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(p, &s) == nil {
			part.Text = s
		} else if json.Unmarshal(p, &part) != nil {
			continue
		}
		if part.Text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(part.Text)
	}
	return b.String()
}

func words(s string) int { return len(strings.Fields(s)) }

func (a *Adapter) answer(call *providers.Call, id uint64, prefix, text string, promptTokens int) (*providers.Result, error) {
	out := text
	if out == "" {
		out = "(mock: no input text)"
	}
	created := a.clock().Unix()
	rid := fmt.Sprintf("%s-mock-%d", prefix, id)
	usage := map[string]int{"prompt_tokens": promptTokens, "completion_tokens": words(out), "total_tokens": promptTokens + words(out)}
	if call.Stream {
		return &providers.Result{Stream: newStream(call, rid, created, out, usage)}, nil
	}
	var body any
	if call.Task == providers.TaskCompletions {
		body = map[string]any{"id": rid, "object": "text_completion", "created": created, "model": call.Model,
			"choices": []any{map[string]any{"index": 0, "text": out, "finish_reason": "stop", "logprobs": nil}},
			"usage":   usage}
	} else {
		body = map[string]any{"id": rid, "object": "chat.completion", "created": created, "model": call.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "logprobs": nil,
				"message": map[string]any{"role": "assistant", "content": out, "refusal": nil}}},
			"usage": usage}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return &providers.Result{Body: b}, nil
}

func (a *Adapter) embeddings(call *providers.Call, req *request) (*providers.Result, error) {
	var inputs []string
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		inputs = []string{one}
	} else if json.Unmarshal(req.Input, &inputs) != nil || len(inputs) == 0 {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Param: "input",
			Message: "input must be a string or a non-empty array of strings"}
	}
	dims := req.Dimensions
	if dims <= 0 {
		dims = 8
	}
	if dims > 4096 {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Param: "dimensions", Message: "dimensions must be at most 4096"}
	}
	data := make([]any, len(inputs))
	tokens := 0
	for i, in := range inputs {
		tokens += words(in)
		vec := vector(in, dims)
		var emb any = vec
		if req.Encoding == "base64" {
			emb = encodeBase64(vec)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	b, err := json.Marshal(map[string]any{"object": "list", "data": data, "model": call.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
	if err != nil {
		return nil, err
	}
	return &providers.Result{Body: b}, nil
}

// vector derives a deterministic unit vector from the text.
func vector(text string, dims int) []float32 {
	out := make([]float32, dims)
	var norm float64
	for i := range out {
		h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", i/8, text)))
		v := binary.LittleEndian.Uint32(h[(i%8)*4:])
		f := float64(v)/float64(math.MaxUint32)*2 - 1
		out[i] = float32(f)
		norm += f * f
	}
	norm = math.Sqrt(norm)
	for i := range out {
		out[i] = float32(float64(out[i]) / norm)
	}
	return out
}

type stream struct {
	chunks [][]byte
	usage  providers.Usage
}

func newStream(call *providers.Call, id string, created int64, text string, usage map[string]int) *stream {
	s := &stream{usage: providers.Usage{PromptTokens: int64(usage["prompt_tokens"]), CompletionTokens: int64(usage["completion_tokens"])}}
	add := func(v any) {
		b, _ := json.Marshal(v)
		s.chunks = append(s.chunks, b)
	}
	pieces := strings.SplitAfter(text, " ")
	if call.Task == providers.TaskCompletions {
		for i, p := range pieces {
			var fr any
			if i == len(pieces)-1 {
				fr = "stop"
			}
			add(map[string]any{"id": id, "object": "text_completion", "created": created, "model": call.Model,
				"choices": []any{map[string]any{"index": 0, "text": p, "finish_reason": fr, "logprobs": nil}}})
		}
	} else {
		chunk := func(delta map[string]any, finish any) map[string]any {
			return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": call.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}}}
		}
		add(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
		for _, p := range pieces {
			add(chunk(map[string]any{"content": p}, nil))
		}
		add(chunk(map[string]any{}, "stop"))
	}
	if call.IncludeUsage {
		obj := "chat.completion.chunk"
		if call.Task == providers.TaskCompletions {
			obj = "text_completion"
		}
		add(map[string]any{"id": id, "object": obj, "created": created, "model": call.Model, "choices": []any{}, "usage": usage})
	}
	return s
}

func (s *stream) Next() ([]byte, error) {
	if len(s.chunks) == 0 {
		return nil, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}

func (s *stream) Usage() providers.Usage { return s.usage }

func (s *stream) Close() error { s.chunks = nil; return nil }
