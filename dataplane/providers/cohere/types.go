package cohere

import "encoding/json"

// Cohere v2 wire types (https://docs.cohere.com/v2/reference/chat and
// /v2/reference/embed). Stream events are read with gjson instead (see
// stream.go): the same field is an array in message-start and an object in
// the events that follow, which a single struct cannot decode.

// chatRequest is the body of POST /v2/chat.
type chatRequest struct {
	Model            string          `json:"model"`
	Messages         []message       `json:"messages"`
	Tools            []tool          `json:"tools,omitempty"`
	ToolChoice       string          `json:"tool_choice,omitempty"`
	Stream           bool            `json:"stream,omitempty"`
	MaxTokens        *int64          `json:"max_tokens,omitempty"`
	StopSequences    []string        `json:"stop_sequences,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	P                *float64        `json:"p,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	ResponseFormat   *responseFormat `json:"response_format,omitempty"`
}

// message is one chat message. Content is a string, or []contentPart for
// user messages with images; it is omitted on assistant messages that only
// call tools.
type message struct {
	Role       string     `json:"role"`
	Content    any        `json:"content,omitempty"`
	ToolPlan   string     `json:"tool_plan,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// contentPart is a user content block: text or image_url.
type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

// imageURL is an http(s) URL or a base64 data URL; Cohere accepts both.
type imageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// toolCall is a call the model made; Arguments is a JSON-encoded string, as
// in OpenAI's API.
type toolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// tool declares a function, in the same shape as OpenAI's.
type tool struct {
	Type     string  `json:"type"`
	Function toolDef `json:"function"`
}

type toolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// responseFormat is JSON mode, optionally with a schema.
type responseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// chatResponse is the body of a non-streaming /v2/chat answer.
type chatResponse struct {
	ID           string `json:"id"`
	FinishReason string `json:"finish_reason"`
	Message      struct {
		Role      string            `json:"role"`
		Content   []responseContent `json:"content"`
		ToolPlan  string            `json:"tool_plan"`
		ToolCalls []toolCall        `json:"tool_calls"`
	} `json:"message"`
	Usage *usage `json:"usage"`
}

// responseContent is a content block of an answer: text, or thinking for
// reasoning models.
type responseContent struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Thinking string `json:"thinking"`
}

// usage is Cohere's usage object: billed_units is what is charged, tokens is
// what the model processed, prompt template included.
type usage struct {
	BilledUnits  *tokenCounts `json:"billed_units"`
	Tokens       *tokenCounts `json:"tokens"`
	CachedTokens float64      `json:"cached_tokens"`
}

// tokenCounts are numbers in Cohere's schema (the SDKs use doubles).
type tokenCounts struct {
	InputTokens  float64 `json:"input_tokens"`
	OutputTokens float64 `json:"output_tokens"`
}

// embedRequest is the body of POST /v2/embed.
type embedRequest struct {
	Model           string   `json:"model"`
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	EmbeddingTypes  []string `json:"embedding_types"`
	OutputDimension *int     `json:"output_dimension,omitempty"`
	Truncate        string   `json:"truncate,omitempty"`
}

// embedResponse is the answer of /v2/embed with embedding_types ["float"].
type embedResponse struct {
	ID         string `json:"id"`
	Embeddings struct {
		Float [][]float32 `json:"float"`
	} `json:"embeddings"`
	Meta struct {
		BilledUnits tokenCounts `json:"billed_units"`
	} `json:"meta"`
}
