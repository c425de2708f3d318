package anthropic

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// wireRequest is the Messages request, each field kept raw so that a wrong
// type is reported with the field's name, as Anthropic does. Fields this
// gateway does not translate (top_k, service_tier, container, mcp_servers,
// ...) are not read at all: a natively forwarded request keeps them.
type wireRequest struct {
	Model         json.RawMessage `json:"model"`
	MaxTokens     json.RawMessage `json:"max_tokens"`
	Messages      json.RawMessage `json:"messages"`
	System        json.RawMessage `json:"system"`
	Tools         json.RawMessage `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
	StopSequences json.RawMessage `json:"stop_sequences"`
	Temperature   json.RawMessage `json:"temperature"`
	TopP          json.RawMessage `json:"top_p"`
	Stream        json.RawMessage `json:"stream"`
	Metadata      json.RawMessage `json:"metadata"`
	Thinking      json.RawMessage `json:"thinking"`
	OutputConfig  json.RawMessage `json:"output_config"`
	OutputFormat  json.RawMessage `json:"output_format"`
}

// ParseRequest implements dialect.Ingress.
func (in *Ingress) ParseRequest(body []byte, p dialect.Params) (*dialect.Request, *providers.Error) {
	countTokens := p.Method == MethodCountTokens
	if !countTokens && p.Method != MethodMessages && p.Method != "" {
		return nil, &providers.Error{Status: 404, Type: "not_found_error", Message: "unknown Messages API method " + strconv.Quote(p.Method)}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, badRequest("", "request body is empty: expected a JSON object")
	}
	if !json.Valid(trimmed) {
		return nil, badRequest("", "request body is not valid JSON")
	}
	if trimmed[0] != '{' {
		return nil, badRequest("", "request body must be a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return nil, badRequest("", "request body must be a JSON object")
	}

	if absent(w.Model) {
		return nil, badRequest("model", "Field required")
	}
	model, perr := decodeString(w.Model, "model")
	if perr != nil {
		return nil, perr
	}
	if model == "" {
		return nil, badRequest("model", "String should have at least 1 character (the name of a gateway endpoint)")
	}
	st := &State{Model: model, CountTokens: countTokens}
	c := &converter{in: in, st: st}
	out := &c.out
	out.Model = model

	if !countTokens {
		if absent(w.MaxTokens) {
			return nil, badRequest("max_tokens", "Field required")
		}
		n, perr := decodeInt(w.MaxTokens, "max_tokens")
		if perr != nil {
			return nil, perr
		}
		if n < 1 {
			return nil, badRequest("max_tokens", "Input should be greater than or equal to 1")
		}
		out.MaxTokens = &n
	} else {
		// The backend is asked for one token: only its prompt_tokens matter.
		one := int64(1)
		out.MaxTokens = &one
	}

	if !absent(w.System) {
		if perr := c.system(w.System); perr != nil {
			return nil, perr
		}
	}
	if absent(w.Messages) {
		return nil, badRequest("messages", "Field required")
	}
	msgs, perr := decodeArray(w.Messages, "messages")
	if perr != nil {
		return nil, perr
	}
	if len(msgs) == 0 {
		return nil, badRequest("messages", "List should have at least 1 item")
	}
	for i, m := range msgs {
		if perr := c.message(i, m); perr != nil {
			return nil, perr
		}
	}

	if perr := c.tools(w.Tools, w.ToolChoice); perr != nil {
		return nil, perr
	}
	if !absent(w.StopSequences) {
		items, perr := decodeArray(w.StopSequences, "stop_sequences")
		if perr != nil {
			return nil, perr
		}
		for i, it := range items {
			s, perr := decodeString(it, path("stop_sequences", i))
			if perr != nil {
				return nil, perr
			}
			out.Stop = append(out.Stop, s)
		}
	}
	if !absent(w.Temperature) {
		f, perr := decodeNumber(w.Temperature, "temperature")
		if perr != nil {
			return nil, perr
		}
		out.Temperature = &f
	}
	if !absent(w.TopP) {
		f, perr := decodeNumber(w.TopP, "top_p")
		if perr != nil {
			return nil, perr
		}
		out.TopP = &f
	}
	if !absent(w.Metadata) {
		var md struct {
			UserID *string `json:"user_id"`
		}
		if perr := decodeObject(w.Metadata, "metadata", &md); perr != nil {
			return nil, perr
		}
		if md.UserID != nil {
			out.User = userField(*md.UserID)
		}
	}
	if perr := c.reasoning(w.Thinking, w.OutputConfig); perr != nil {
		return nil, perr
	}
	if perr := c.outputFormat(w.OutputFormat, w.OutputConfig); perr != nil {
		return nil, perr
	}

	stream := false
	if !absent(w.Stream) {
		if stream, perr = decodeBool(w.Stream, "stream"); perr != nil {
			return nil, perr
		}
	}
	if countTokens {
		// count_tokens never streams, and a reasoning model given one token
		// would spend it thinking (or refuse): the count needs neither.
		stream = false
		out.ReasoningEffort = ""
		st.Thinking = false
	}
	if stream {
		out.Stream = true
		// Anthropic reports usage in message_start/message_delta, so the
		// unified stream must always end with its usage chunk.
		out.StreamOptions = &unified.StreamOptions{IncludeUsage: true}
	}

	ub, err := json.Marshal(out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	fwdPath := "/v1/messages"
	if countTokens {
		fwdPath = "/v1/messages/count_tokens"
	}
	return &dialect.Request{
		Endpoint:     model,
		Task:         providers.TaskChat,
		Body:         ub,
		Stream:       stream,
		IncludeUsage: stream,
		// Header stays nil here: the gateway copies anthropic-version and
		// anthropic-beta from the client's request into it.
		Forward: &providers.ForwardRequest{Method: "POST", Path: fwdPath, Body: body, ModelField: "model", Stream: stream},
		State:   st,
	}, nil
}

// maxUserLen is the longest "user" OpenAI accepts; OpenRouter's limit (128)
// is looser. Claude Code's user_id is about 150 characters.
const maxUserLen = 64

// userField maps metadata.user_id to OpenAI's user: a longer id becomes its
// SHA-256 in hex (64 characters), still stable per user.
func userField(id string) string {
	if len(id) <= maxUserLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// converter builds the unified request.
type converter struct {
	in  *Ingress
	st  *State
	out unified.ChatRequest
}

func (c *converter) drop(what string) { c.st.Dropped = append(c.st.Dropped, what) }
