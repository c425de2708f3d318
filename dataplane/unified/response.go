package unified

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/segmentio/encoding/json"
)

// ChatResponse is OpenAI's chat.completion object.
type ChatResponse struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
}

// FirstChoice returns the choice with index 0, or the first one when none
// says so: the dialects that carry a single answer render that one. ok is
// false when there are no choices.
func (r *ChatResponse) FirstChoice() (c Choice, ok bool) {
	if len(r.Choices) == 0 {
		return Choice{}, false
	}
	for _, c := range r.Choices {
		if c.Index == 0 {
			return c, true
		}
	}
	return r.Choices[0], true
}

// Choice is one completion choice. Message.Content is null when the model
// only called tools.
type Choice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// ResponseMessage is the assistant message in a response; content and
// refusal are always present (possibly null) as in OpenAI's schema.
type ResponseMessage struct {
	Role             string     `json:"role"`
	Content          *string    `json:"content"`
	Refusal          *string    `json:"refusal"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent string     `json:"reasoning_content,omitempty"`
}

// Usage is OpenAI's usage object.
type Usage struct {
	PromptTokens            int64                    `json:"prompt_tokens"`
	CompletionTokens        int64                    `json:"completion_tokens"`
	TotalTokens             int64                    `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// UsageFromCache builds OpenAI's usage from a provider's that counts cache
// reads and writes apart from the other input tokens (Anthropic, Bedrock):
// OpenAI's prompt_tokens includes every input token, with the cache reads
// repeated in cached_tokens.
func UsageFromCache(input, output, cacheRead, cacheWrite int64) *Usage {
	prompt := input + cacheRead + cacheWrite
	return &Usage{
		PromptTokens:        prompt,
		CompletionTokens:    output,
		TotalTokens:         prompt + output,
		PromptTokensDetails: &PromptTokensDetails{CachedTokens: cacheRead, CacheWriteTokens: cacheWrite},
	}
}

// PromptTokensDetails breaks down prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int64 `json:"cached_tokens"`
	// CacheWriteTokens counts tokens written to a prompt cache (Anthropic).
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
}

// CompletionTokensDetails breaks down completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

// Chunk is OpenAI's chat.completion.chunk. Usage marshals as null on every
// chunk but the final usage chunk, as OpenAI does.
type Chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage"`
	SystemFingerprint string        `json:"system_fingerprint,omitempty"`
}

// ChunkChoice is one choice's delta.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        Delta           `json:"delta"`
	FinishReason *string         `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs,omitempty"`
}

// Delta is the incremental message.
type Delta struct {
	Role             string     `json:"role,omitempty"`
	Content          *string    `json:"content,omitempty"`
	Refusal          *string    `json:"refusal,omitempty"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent *string    `json:"reasoning_content,omitempty"`
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// EmbeddingsRequest is OpenAI's CreateEmbeddingRequest.
type EmbeddingsRequest struct {
	Model          string         `json:"model"`
	Input          EmbeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format,omitempty"`
	Dimensions     *int           `json:"dimensions,omitempty"`
	User           string         `json:"user,omitempty"`
}

// EmbeddingInput is a string, an array of strings, or token arrays; Texts
// holds the string forms, Tokens the token forms.
type EmbeddingInput struct {
	Texts  []string
	Tokens [][]int
}

// UnmarshalJSON accepts every form OpenAI does.
func (in *EmbeddingInput) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*in = EmbeddingInput{Texts: []string{s}}
		return nil
	}
	var ss []string
	if json.Unmarshal(b, &ss) == nil {
		*in = EmbeddingInput{Texts: ss}
		return nil
	}
	var toks []int
	if json.Unmarshal(b, &toks) == nil {
		*in = EmbeddingInput{Tokens: [][]int{toks}}
		return nil
	}
	var many [][]int
	if json.Unmarshal(b, &many) == nil {
		*in = EmbeddingInput{Tokens: many}
		return nil
	}
	return fmt.Errorf("input must be a string, an array of strings, or token arrays")
}

// MarshalJSON writes the array form.
func (in EmbeddingInput) MarshalJSON() ([]byte, error) {
	if in.Tokens != nil {
		return json.Marshal(in.Tokens)
	}
	return json.Marshal(in.Texts)
}

// EmbeddingsResponse is OpenAI's embeddings list.
type EmbeddingsResponse struct {
	Object string          `json:"object"`
	Data   []Embedding     `json:"data"`
	Model  string          `json:"model"`
	Usage  EmbeddingsUsage `json:"usage"`
}

// EmbeddingsUsage is the embeddings usage object: OpenAI sends no
// completion_tokens there.
type EmbeddingsUsage struct {
	PromptTokens int64 `json:"prompt_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

// Embedding is one vector; Embedding is a []float32 or, for
// encoding_format=base64, a string.
type Embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// EncodeEmbedding returns v as OpenAI would for the requested format:
// base64 of little-endian float32s, or the floats themselves.
func EncodeEmbedding(v []float32, format string) any {
	if format != "base64" {
		return v
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}
