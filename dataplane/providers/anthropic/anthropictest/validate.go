package anthropictest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Request is the Messages API request as the fake decodes it, independently
// of the adapter's own wire types so that a mistake there shows up here.
type Request struct {
	Model         string          `json:"model"`
	MaxTokens     *int64          `json:"max_tokens"`
	System        json.RawMessage `json:"system"`
	Messages      []Message       `json:"messages"`
	Tools         []Tool          `json:"tools"`
	ToolChoice    *ToolChoice     `json:"tool_choice"`
	StopSequences []string        `json:"stop_sequences"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int64          `json:"top_k"`
	Thinking      *Thinking       `json:"thinking"`
	Stream        bool            `json:"stream"`
	Metadata      *struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
}

// Message is one turn; Blocks is Content normalised to blocks.
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Blocks  []Block         `json:"-"`
}

// Block is a content block.
type Block struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	Source    *Source         `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
	Thinking  *string         `json:"thinking"`
	Signature string          `json:"signature"`
}

// Source is an image or document source.
type Source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

// Tool is a client tool.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ToolChoice is tool_choice; Extra holds fields besides type and name.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use"`
}

// Thinking is the extended thinking setting.
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens"`
}

// topLevel lists the request fields the Messages API knows; anything else is
// rejected as the real API does ("Extra inputs are not permitted").
var topLevel = map[string]bool{
	"model": true, "max_tokens": true, "messages": true, "system": true, "tools": true, "tool_choice": true,
	"stop_sequences": true, "temperature": true, "top_p": true, "top_k": true, "thinking": true, "stream": true,
	"metadata": true, "service_tier": true, "container": true, "mcp_servers": true, "context_management": true,
	"output_config": true, "output_format": true,
}

var (
	toolNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	toolIDRE   = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}
)

// Validate decodes and checks a request body the way the Messages API does,
// returning the request or the message of the 400 the API would answer.
// Consecutive same-role turns are merged first, as the API does.
func Validate(body []byte) (*Request, string) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, "There was an issue with your request body: invalid JSON"
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !topLevel[k] {
			return nil, k + ": Extra inputs are not permitted"
		}
	}
	for _, k := range []string{"model", "max_tokens", "messages"} {
		if _, ok := raw[k]; !ok {
			return nil, k + ": Field required"
		}
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "invalid request: " + err.Error()
	}
	if req.Model == "" {
		return nil, "model: String should have at least 1 character"
	}
	if req.MaxTokens == nil || *req.MaxTokens < 1 {
		return nil, "max_tokens: Input should be greater than or equal to 1"
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 1) {
		return nil, "temperature: Input should be less than or equal to 1"
	}
	if p := req.TopP; p != nil && (*p < 0 || *p > 1) {
		return nil, "top_p: Input should be less than or equal to 1"
	}
	if msg := checkSystem(req.System); msg != "" {
		return nil, msg
	}
	if len(req.Messages) == 0 {
		return nil, "messages: at least one message is required"
	}
	if msg := normalise(&req); msg != "" {
		return nil, msg
	}
	if msg := checkTools(&req); msg != "" {
		return nil, msg
	}
	if msg := checkToolPairs(req.Messages); msg != "" {
		return nil, msg
	}
	if msg := checkThinking(&req); msg != "" {
		return nil, msg
	}
	return &req, ""
}

func checkSystem(sys json.RawMessage) string {
	if len(sys) == 0 || string(sys) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(sys, &s) == nil {
		return ""
	}
	var blocks []Block
	if json.Unmarshal(sys, &blocks) != nil {
		return "system: Input should be a valid string or a list of text blocks"
	}
	for i, b := range blocks {
		if b.Type != "text" || b.Text == nil || *b.Text == "" {
			return fmt.Sprintf("system.%d: system blocks must be non-empty text blocks", i)
		}
	}
	return ""
}

// normalise decodes each message's content into blocks, checks roles and
// blocks, then merges consecutive turns of the same role.
func normalise(req *Request) string {
	for i := range req.Messages {
		m := &req.Messages[i]
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Sprintf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		var s string
		switch {
		case json.Unmarshal(m.Content, &s) == nil:
			if s != "" {
				m.Blocks = []Block{{Type: "text", Text: &s}}
			}
		case json.Unmarshal(m.Content, &m.Blocks) == nil:
		default:
			return fmt.Sprintf("messages.%d.content: Input should be a valid string or a list of content blocks", i)
		}
		final := i == len(req.Messages)-1 && m.Role == "assistant"
		if len(m.Blocks) == 0 && !final {
			return fmt.Sprintf("messages.%d: all messages must have non-empty content except for the optional final assistant message", i)
		}
		for j := range m.Blocks {
			if msg := checkBlock(i, j, m.Role, &m.Blocks[j]); msg != "" {
				return msg
			}
		}
	}
	merged := req.Messages[:1]
	for _, m := range req.Messages[1:] {
		last := &merged[len(merged)-1]
		if last.Role == m.Role {
			last.Blocks = append(last.Blocks, m.Blocks...)
			continue
		}
		merged = append(merged, m)
	}
	req.Messages = merged
	return ""
}

func checkBlock(i, j int, role string, b *Block) string {
	at := fmt.Sprintf("messages.%d.content.%d", i, j)
	switch b.Type {
	case "text":
		if b.Text == nil || *b.Text == "" {
			return at + ".text: text content blocks must be non-empty"
		}
	case "image", "document":
		return checkSource(at, b)
	case "tool_use":
		if role != "assistant" {
			return at + ": tool_use blocks can only appear in assistant messages"
		}
		if !toolIDRE.MatchString(b.ID) {
			return at + ".id: String should match pattern '^[a-zA-Z0-9_-]+$'"
		}
		if b.Name == "" {
			return at + ".name: Field required"
		}
		var obj map[string]any
		if json.Unmarshal(b.Input, &obj) != nil || obj == nil {
			return at + ".input: Input should be a valid dictionary"
		}
	case "tool_result":
		if role != "user" {
			return at + ": tool_result blocks can only appear in user messages"
		}
		if !toolIDRE.MatchString(b.ToolUseID) {
			return at + ".tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'"
		}
		if len(b.Content) > 0 {
			var s string
			var parts []Block
			if json.Unmarshal(b.Content, &s) != nil {
				if json.Unmarshal(b.Content, &parts) != nil {
					return at + ".content: Input should be a valid string or a list of content blocks"
				}
				for k := range parts {
					if msg := checkBlock(i, k, "tool_result", &parts[k]); msg != "" {
						return msg
					}
				}
			}
		}
	case "thinking", "redacted_thinking":
		if role != "assistant" {
			return at + ": thinking blocks can only appear in assistant messages"
		}
	default:
		return fmt.Sprintf("%s: Input tag '%s' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'", at, b.Type)
	}
	return ""
}

func checkSource(at string, b *Block) string {
	s := b.Source
	if s == nil {
		return at + ".source: Field required"
	}
	switch s.Type {
	case "base64":
		ok := imageTypes[s.MediaType]
		if b.Type == "document" {
			ok = s.MediaType == "application/pdf"
		}
		if !ok {
			return at + ".source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
		}
		if _, err := base64.StdEncoding.DecodeString(s.Data); err != nil || s.Data == "" {
			return at + ".source.base64.data: invalid base64 data"
		}
	case "url":
		if !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
			return at + ".source.url.url: URL must be http or https"
		}
	default:
		return at + ".source: Input tag '" + s.Type + "' found using 'type' does not match any of the expected tags: 'base64', 'url'"
	}
	return ""
}

func checkTools(req *Request) string {
	names := map[string]bool{}
	for i, t := range req.Tools {
		if !toolNameRE.MatchString(t.Name) {
			return fmt.Sprintf("tools.%d.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", i)
		}
		if names[t.Name] {
			return "tools: Tool names must be unique."
		}
		names[t.Name] = true
		var schema struct {
			Type string `json:"type"`
		}
		if len(t.InputSchema) == 0 {
			return fmt.Sprintf("tools.%d.custom.input_schema: Field required", i)
		}
		if json.Unmarshal(t.InputSchema, &schema) != nil || schema.Type != "object" {
			return fmt.Sprintf("tools.%d.custom.input_schema.type: Input should be 'object'", i)
		}
	}
	tc := req.ToolChoice
	if tc == nil {
		return ""
	}
	switch tc.Type {
	case "auto", "any":
	case "none":
		if tc.DisableParallelToolUse != nil {
			return "tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted"
		}
	case "tool":
		if tc.Name == "" {
			return "tool_choice.tool.name: Field required"
		}
		if !names[tc.Name] {
			return "tool_choice: Tool '" + tc.Name + "' not found in provided tools"
		}
	default:
		return "tool_choice: Input tag '" + tc.Type + "' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
	}
	if (tc.Type == "any" || tc.Type == "tool") && len(req.Tools) == 0 {
		return "tool_choice: tool_choice may only be specified while providing tools"
	}
	return ""
}

// checkToolPairs enforces that every tool_use is answered by a tool_result in
// the next (user) message, that every tool_result answers a tool_use of the
// previous (assistant) message, and that tool results come first.
func checkToolPairs(msgs []Message) string {
	for i, m := range msgs {
		var uses []string
		for _, b := range m.Blocks {
			if b.Type == "tool_use" {
				uses = append(uses, b.ID)
			}
		}
		if m.Role == "assistant" && len(uses) > 0 {
			answered := map[string]bool{}
			if i+1 < len(msgs) {
				for _, b := range msgs[i+1].Blocks {
					if b.Type == "tool_result" {
						answered[b.ToolUseID] = true
					}
				}
			}
			var missing []string
			for _, id := range uses {
				if !answered[id] {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 && i+1 < len(msgs) {
				return fmt.Sprintf("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
					i, strings.Join(missing, ", "))
			}
		}
		if m.Role != "user" {
			continue
		}
		prev := map[string]bool{}
		if i > 0 {
			for _, b := range msgs[i-1].Blocks {
				if b.Type == "tool_use" {
					prev[b.ID] = true
				}
			}
		}
		seenOther := false
		for j, b := range m.Blocks {
			if b.Type != "tool_result" {
				seenOther = true
				continue
			}
			if seenOther {
				return fmt.Sprintf("messages.%d: `tool_result` blocks must come first in the user message content, before any other content", i)
			}
			if !prev[b.ToolUseID] {
				return fmt.Sprintf("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
					i, j, b.ToolUseID)
			}
		}
	}
	return ""
}

func checkThinking(req *Request) string {
	th := req.Thinking
	if th == nil || th.Type != "enabled" {
		return ""
	}
	if th.BudgetTokens < 1024 {
		return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
	}
	if th.BudgetTokens >= *req.MaxTokens {
		return "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
	}
	if t := req.Temperature; t != nil && *t != 1 {
		return "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
	}
	if p := req.TopP; p != nil && *p < 0.95 {
		return "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."
	}
	if req.TopK != nil {
		return "`top_k` must be unset when thinking is enabled."
	}
	if tc := req.ToolChoice; tc != nil && (tc.Type == "any" || tc.Type == "tool") {
		return "Thinking may not be enabled when tool_choice forces tool use."
	}
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != "assistant" {
			continue
		}
		usesTools := false
		for _, b := range m.Blocks {
			usesTools = usesTools || b.Type == "tool_use"
		}
		if usesTools && m.Blocks[0].Type != "thinking" && m.Blocks[0].Type != "redacted_thinking" {
			return fmt.Sprintf("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`.",
				i, m.Blocks[0].Type)
		}
		break
	}
	return ""
}
