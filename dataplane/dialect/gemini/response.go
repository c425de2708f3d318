package gemini

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// generateContentResponse is Gemini's GenerateContentResponse, the fields
// this gateway fills.
type generateContentResponse struct {
	Candidates    []candidate    `json:"candidates"`
	UsageMetadata *usageMetadata `json:"usageMetadata,omitempty"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
}

type candidate struct {
	Content      content `json:"content"`
	FinishReason string  `json:"finishReason,omitempty"`
	Index        int     `json:"index"`
}

type content struct {
	Role  string    `json:"role"`
	Parts []outPart `json:"parts,omitempty"`
}

type outPart struct {
	Text         *string       `json:"text,omitempty"`
	Thought      bool          `json:"thought,omitempty"`
	FunctionCall *functionCall `json:"functionCall,omitempty"`
}

type functionCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type usageMetadata struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount,omitempty"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount,omitempty"`
}

func textPart(s string) outPart { return outPart{Text: &s} }

// usageOf converts unified usage: OpenAI's completion_tokens include
// reasoning tokens, which Gemini counts apart as thoughtsTokenCount.
func usageOf(u *unified.Usage) *usageMetadata {
	if u == nil {
		return nil
	}
	m := &usageMetadata{PromptTokenCount: max(u.PromptTokens, 0), CandidatesTokenCount: max(u.CompletionTokens, 0),
		TotalTokenCount: max(u.TotalTokens, 0)}
	if d := u.CompletionTokensDetails; d != nil && d.ReasoningTokens > 0 {
		m.ThoughtsTokenCount = min(d.ReasoningTokens, m.CandidatesTokenCount)
		m.CandidatesTokenCount -= m.ThoughtsTokenCount
	}
	if d := u.PromptTokensDetails; d != nil && d.CachedTokens > 0 {
		m.CachedContentTokenCount = d.CachedTokens
	}
	if m.TotalTokenCount == 0 {
		m.TotalTokenCount = m.PromptTokenCount + m.CandidatesTokenCount + m.ThoughtsTokenCount
	}
	return m
}

// finishReason maps an OpenAI finish_reason. Gemini says STOP after
// function calls too.
func finishReason(finish string) string {
	switch finish {
	case unified.FinishStop, unified.FinishToolCalls, "function_call", "":
		return "STOP"
	case unified.FinishLength:
		return "MAX_TOKENS"
	case unified.FinishContentFilter:
		return "SAFETY"
	}
	return "OTHER"
}

// Response implements dialect.Ingress.
func (in *Ingress) Response(req *dialect.Request, body []byte) ([]byte, error) {
	st := stateOf(req)
	switch st.Method {
	case MethodEmbedContent, MethodBatchEmbedContents:
		return embeddingsResponse(st, body)
	}
	var r unified.ChatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the answer is not a chat completion: %w", err)
	}
	if st.Method == MethodCountTokens {
		var n int64
		if r.Usage != nil {
			n = max(r.Usage.PromptTokens, 0)
		}
		return []byte(`{"totalTokens":` + strconv.FormatInt(n, 10) + `}`), nil
	}
	if len(r.Choices) == 0 {
		return nil, errors.New("the answer has no choices")
	}
	out := generateContentResponse{Candidates: make([]candidate, 0, len(r.Choices)), UsageMetadata: usageOf(r.Usage),
		ModelVersion: st.Endpoint, ResponseID: in.responseID(r.ID)}
	choices := append([]unified.Choice(nil), r.Choices...)
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].Index < choices[j].Index })
	for _, ch := range choices {
		m := ch.Message
		cand := candidate{Content: content{Role: "model"}, Index: ch.Index, FinishReason: finishReason(ch.FinishReason)}
		if st.Thoughts && m.ReasoningContent != "" {
			p := textPart(m.ReasoningContent)
			p.Thought = true
			cand.Content.Parts = append(cand.Content.Parts, p)
		}
		switch {
		case m.Content != nil && *m.Content != "":
			cand.Content.Parts = append(cand.Content.Parts, textPart(*m.Content))
		case m.Refusal != nil && *m.Refusal != "":
			cand.Content.Parts = append(cand.Content.Parts, textPart(*m.Refusal))
			if len(m.ToolCalls) == 0 {
				cand.FinishReason = "SAFETY"
			}
		}
		for _, tc := range m.ToolCalls {
			cand.Content.Parts = append(cand.Content.Parts, outPart{FunctionCall: &functionCall{Name: tc.Function.Name, Args: dialect.ToolArgs(tc.Function.Arguments)}})
		}
		out.Candidates = append(out.Candidates, cand)
	}
	return jsonenc.Marshal(out)
}

// embeddingsResponse renders {"embedding":{"values"}} (embedContent) or
// {"embeddings":[{"values"}...]} (batchEmbedContents), in input order.
func embeddingsResponse(st *State, body []byte) ([]byte, error) {
	var r struct {
		Data []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the answer is not an embeddings list: %w", err)
	}
	want := max(st.Inputs, 1)
	if len(r.Data) != want {
		return nil, fmt.Errorf("the answer has %d embeddings for %d inputs", len(r.Data), want)
	}
	vecs := make([]json.RawMessage, want)
	for i, d := range r.Data {
		at := d.Index
		if at < 0 || at >= want || vecs[at] != nil {
			at = i // an upstream that numbers its items oddly: keep its order
		}
		if vecs[at] != nil {
			return nil, fmt.Errorf("the answer repeats embedding %d", d.Index)
		}
		v, err := values(d.Embedding)
		if err != nil {
			return nil, fmt.Errorf("embedding %d: %w", i, err)
		}
		vecs[at] = v
	}
	var b bytes.Buffer
	if st.Method == MethodEmbedContent {
		b.WriteString(`{"embedding":{"values":`)
		b.Write(vecs[0])
		b.WriteString(`}}`)
		return b.Bytes(), nil
	}
	b.WriteString(`{"embeddings":[`)
	for i, v := range vecs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"values":`)
		b.Write(v)
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.Bytes(), nil
}

// values returns an embedding as a JSON array of numbers: float arrays as
// the upstream wrote them, base64 (little-endian float32s) decoded.
func values(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		bin, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(bin)%4 != 0 {
			return nil, errors.New("not base64 float32s")
		}
		out := []byte{'['}
		for i := 0; i < len(bin); i += 4 {
			if i > 0 {
				out = append(out, ',')
			}
			f := math.Float32frombits(binary.LittleEndian.Uint32(bin[i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return nil, errors.New("not a finite number")
			}
			out = strconv.AppendFloat(out, float64(f), 'g', -1, 32)
		}
		return append(out, ']'), nil
	}
	var nums []json.Number
	if err := json.Unmarshal(raw, &nums); err != nil {
		return nil, errors.New("not an array of numbers")
	}
	out := []byte{'['}
	for i, n := range nums {
		if n == "" {
			return nil, errors.New("not an array of numbers")
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, n...)
	}
	return append(out, ']'), nil
}
