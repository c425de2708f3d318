package openaitest

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// NewWithToolsAndEmbeddings starts a fake upstream that behaves like
// NewWithTools and also answers /embeddings the way OpenAI does for a batch:
// one embedding per input (a string, an array of strings, or token arrays),
// in input order, each a deterministic 8-value vector derived from its
// input, and usage counting one prompt token per word (per token for token
// arrays). New and NewWithTools answer every embeddings request with a single
// vector whatever the input.
//
// "fail-<status>", "slow" and a wrong key behave as in New.
func NewWithToolsAndEmbeddings(key string) *Server {
	s := &Server{Key: key}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveWithEmbeddings))
	return s
}

func (s *Server) serveWithEmbeddings(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if strings.TrimPrefix(r.URL.Path, s.prefix()) != "/embeddings" || json.Unmarshal(body, &req) != nil ||
		strings.HasPrefix(req.Model, "fail-") || req.Model == "slow" || (s.Key != "" && !s.authorized(r)) {
		s.serveWithTools(w, r)
		return
	}
	s.calls.Add(1)
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	s.mu.Lock()
	s.last, s.lastH = raw, r.Header.Clone()
	s.mu.Unlock()
	inputs, tokens, ok := splitEmbeddingInput(req.Input)
	if !ok {
		writeError(w, 400, "invalid_request_error", "", "'input' must be a string, an array of strings, an array of tokens or an array of token arrays, and not empty.")
		return
	}
	data := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": embeddingVector(in)}
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
	_, _ = w.Write(b)
}

// splitEmbeddingInput splits an embeddings input into its items (token arrays
// rendered as JSON) and counts its tokens.
func splitEmbeddingInput(raw json.RawMessage) (inputs []string, tokens int, ok bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, len(strings.Fields(one)), one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		for _, s := range many {
			if s == "" {
				return nil, 0, false
			}
			tokens += len(strings.Fields(s))
		}
		return many, tokens, true
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return []string{string(raw)}, len(ids), true
	}
	var arrays [][]int
	if json.Unmarshal(raw, &arrays) == nil && len(arrays) > 0 {
		for _, a := range arrays {
			if len(a) == 0 {
				return nil, 0, false
			}
			b, _ := json.Marshal(a)
			inputs = append(inputs, string(b))
			tokens += len(a)
		}
		return inputs, tokens, true
	}
	return nil, 0, false
}

// embeddingVector derives 8 values in [-1, 1) from text.
func embeddingVector(text string) []float64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, text)
	x := h.Sum64()
	out := make([]float64, 8)
	for i := range out {
		out[i] = float64(int8(x>>(8*i))) / 128
	}
	return out
}
