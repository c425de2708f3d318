package anthropic

import "encoding/json"

// Wire types of the Anthropic Messages API (POST /v1/messages), only the
// fields this adapter reads or writes. The OpenAI side uses package unified.

// messagesRequest is the request body.
type messagesRequest struct {
	// Model is left out on Vertex AI, which takes it from the URL.
	Model string `json:"model,omitempty"`
	// AnthropicVersion is sent on Vertex AI only (VertexVersion); Anthropic
	// takes the anthropic-version header instead.
	AnthropicVersion string      `json:"anthropic_version,omitempty"`
	MaxTokens        int64       `json:"max_tokens"`
	System           string      `json:"system,omitempty"`
	Messages         []message   `json:"messages"`
	Tools            []tool      `json:"tools,omitempty"`
	ToolChoice       *toolChoice `json:"tool_choice,omitempty"`
	StopSequences    []string    `json:"stop_sequences,omitempty"`
	Temperature      *float64    `json:"temperature,omitempty"`
	TopP             *float64    `json:"top_p,omitempty"`
	Thinking         *thinking   `json:"thinking,omitempty"`
	Metadata         *metadata   `json:"metadata,omitempty"`
	Stream           bool        `json:"stream,omitempty"`
}

// message is one user or assistant turn; the adapter always sends content as
// an array of blocks.
type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// Content block types.
const (
	blockText             = "text"
	blockImage            = "image"
	blockDocument         = "document"
	blockToolUse          = "tool_use"
	blockToolResult       = "tool_result"
	blockThinking         = "thinking"
	blockRedactedThinking = "redacted_thinking"
)

// contentBlock is any content block, request or response side.
type contentBlock struct {
	Type   string  `json:"type"`
	Text   string  `json:"text,omitempty"`
	Source *source `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result: Content is a string or an array of blocks.
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	// thinking (response side only: the OpenAI dialect cannot echo a signature)
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// source is an image or document source.
type source struct {
	Type      string `json:"type"` // "base64" or "url"
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// tool is a client tool.
type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Tool choice types.
const (
	choiceAuto = "auto"
	choiceAny  = "any"
	choiceTool = "tool"
	choiceNone = "none"
)

// toolChoice is Anthropic's tool_choice; disable_parallel_tool_use is not
// accepted with type "none".
type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use,omitempty"`
}

// thinking enables extended thinking.
type thinking struct {
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens,omitempty"`
}

type metadata struct {
	UserID string `json:"user_id,omitempty"`
}

// messagesResponse is the response body, and the "message" of message_start.
type messagesResponse struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Role         string        `json:"role"`
	Model        string        `json:"model"`
	Content      []answerBlock `json:"content"`
	StopReason   string        `json:"stop_reason"`
	StopSequence *string       `json:"stop_sequence"`
	Usage        usage         `json:"usage"`
}

// answerBlock is a content block of an answer: only the fields an answer
// carries and the translation reads. Request blocks (contentBlock) are larger,
// and a decoder allocates room for several blocks per answer.
type answerBlock struct {
	Type     string          `json:"type"`
	Text     string          `json:"text,omitempty"`
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	Thinking string          `json:"thinking,omitempty"`
}

// usage counts tokens; input_tokens excludes cache reads and writes.
type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

// Stop reasons.
const (
	stopEndTurn       = "end_turn"
	stopMaxTokens     = "max_tokens"
	stopStopSequence  = "stop_sequence"
	stopToolUse       = "tool_use"
	stopPauseTurn     = "pause_turn"
	stopRefusal       = "refusal"
	stopContextWindow = "model_context_window_exceeded"
)

// Stream event types.
const (
	evMessageStart      = "message_start"
	evMessageDelta      = "message_delta"
	evMessageStop       = "message_stop"
	evContentBlockStart = "content_block_start"
	evContentBlockDelta = "content_block_delta"
	evContentBlockStop  = "content_block_stop"
	evPing              = "ping"
	evError             = "error"
)

// Delta types inside content_block_delta.
const (
	deltaText      = "text_delta"
	deltaInputJSON = "input_json_delta"
	deltaThinking  = "thinking_delta"
	deltaSignature = "signature_delta"
)

// streamEvent is any stream event's data payload.
type streamEvent struct {
	Type         string            `json:"type"`
	Message      *messagesResponse `json:"message"`
	Index        int               `json:"index"`
	ContentBlock *contentBlock     `json:"content_block"`
	Delta        *streamDelta      `json:"delta"`
	Usage        *usage            `json:"usage"`
	Error        *errorDetail      `json:"error"`
}

// streamDelta is the delta of content_block_delta or message_delta.
type streamDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	Thinking    string `json:"thinking"`
	StopReason  string `json:"stop_reason"`
}

// errorBody is an error response: {"type":"error","error":{...}}.
type errorBody struct {
	Type  string       `json:"type"`
	Error *errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
