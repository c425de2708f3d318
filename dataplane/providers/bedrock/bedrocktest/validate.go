package bedrocktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The fake's own view of a Converse request, kept apart from the adapter's
// types so that it checks the adapter rather than agreeing with it. Every
// member the real API defines is listed; anything else is refused.
type cRequest struct {
	Messages                          []cMessage      `json:"messages"`
	System                            []cSystem       `json:"system"`
	InferenceConfig                   *cInference     `json:"inferenceConfig"`
	ToolConfig                        *cToolConfig    `json:"toolConfig"`
	AdditionalModelRequestFields      json.RawMessage `json:"additionalModelRequestFields"`
	AdditionalModelResponseFieldPaths []string        `json:"additionalModelResponseFieldPaths"`
	GuardrailConfig                   json.RawMessage `json:"guardrailConfig"`
	PerformanceConfig                 json.RawMessage `json:"performanceConfig"`
	PromptVariables                   json.RawMessage `json:"promptVariables"`
	RequestMetadata                   json.RawMessage `json:"requestMetadata"`
	OutputConfig                      json.RawMessage `json:"outputConfig"`
	ServiceTier                       json.RawMessage `json:"serviceTier"`
}

type cMessage struct {
	Role    string   `json:"role"`
	Content []cBlock `json:"content"`
}

type cBlock struct {
	Text             *string         `json:"text"`
	Image            *cImage         `json:"image"`
	Document         *cDocument      `json:"document"`
	ToolUse          *cToolUse       `json:"toolUse"`
	ToolResult       *cToolResult    `json:"toolResult"`
	ReasoningContent json.RawMessage `json:"reasoningContent"`
	CachePoint       json.RawMessage `json:"cachePoint"`
	GuardContent     json.RawMessage `json:"guardContent"`
	Video            json.RawMessage `json:"video"`
	CitationsContent json.RawMessage `json:"citationsContent"`
}

type cSource struct {
	Bytes      []byte          `json:"bytes"`
	S3Location json.RawMessage `json:"s3Location"`
}

type cImage struct {
	Format string  `json:"format"`
	Source cSource `json:"source"`
}

type cDocument struct {
	Format string  `json:"format"`
	Name   string  `json:"name"`
	Source cSource `json:"source"`
}

type cToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type cToolResult struct {
	ToolUseID string `json:"toolUseId"`
	Content   []struct {
		Text     *string         `json:"text"`
		JSON     json.RawMessage `json:"json"`
		Image    *cImage         `json:"image"`
		Document *cDocument      `json:"document"`
		Video    json.RawMessage `json:"video"`
	} `json:"content"`
	Status string `json:"status"`
}

type cSystem struct {
	Text         *string         `json:"text"`
	CachePoint   json.RawMessage `json:"cachePoint"`
	GuardContent json.RawMessage `json:"guardContent"`
}

type cInference struct {
	MaxTokens     *int64   `json:"maxTokens"`
	Temperature   *float64 `json:"temperature"`
	TopP          *float64 `json:"topP"`
	StopSequences []string `json:"stopSequences"`
}

type cToolConfig struct {
	Tools []struct {
		ToolSpec *struct {
			Name        string  `json:"name"`
			Description *string `json:"description"`
			InputSchema struct {
				JSON json.RawMessage `json:"json"`
			} `json:"inputSchema"`
			Strict *bool `json:"strict"`
		} `json:"toolSpec"`
		CachePoint json.RawMessage `json:"cachePoint"`
		SystemTool json.RawMessage `json:"systemTool"`
	} `json:"tools"`
	ToolChoice *struct {
		Auto *struct{} `json:"auto"`
		Any  *struct{} `json:"any"`
		Tool *struct {
			Name string `json:"name"`
		} `json:"tool"`
	} `json:"toolChoice"`
}

var (
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	docName     = regexp.MustCompile(`^[a-zA-Z0-9\-()\[\]]+( [a-zA-Z0-9\-()\[\]]+)*$`)
	imageFmts   = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}
	docFmts     = map[string]bool{"pdf": true, "csv": true, "doc": true, "docx": true, "xls": true, "xlsx": true, "html": true, "txt": true, "md": true}
)

// decodeStrict decodes JSON, refusing unknown members at any depth.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON body")
	}
	return nil
}

func countSet(vals ...bool) int {
	n := 0
	for _, v := range vals {
		if v {
			n++
		}
	}
	return n
}

func isBlank(s *string) bool { return s != nil && strings.TrimSpace(*s) == "" }

// validate applies Converse's rules and returns the ValidationException
// message, or "". Messages are the service's own wording where it is known.
func validate(req *cRequest) string {
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		if len(req.Messages) > 0 && req.Messages[0].Role != "assistant" {
			return roleError(0, req.Messages[0].Role)
		}
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	for k, s := range req.System {
		if countSet(s.Text != nil, s.CachePoint != nil, s.GuardContent != nil) != 1 {
			return fmt.Sprintf("system.%d: exactly one member of SystemContentBlock must be set", k)
		}
		if isBlank(s.Text) {
			return fmt.Sprintf("The text field in the SystemContentBlock object at system.%d is blank. Add text to the text field, and try again.", k)
		}
	}
	usesTools := false
	var prevToolUses []string
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return roleError(i, m.Role)
		}
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
		}
		if len(m.Content) == 0 {
			return fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		var uses, results []string
		for j, b := range m.Content {
			if msg := validateBlock(i, j, m.Role, &b); msg != "" {
				return msg
			}
			if b.ToolUse != nil {
				uses = append(uses, b.ToolUse.ToolUseID)
			}
			if b.ToolResult != nil {
				results = append(results, b.ToolResult.ToolUseID)
			}
		}
		usesTools = usesTools || len(uses) > 0 || len(results) > 0
		if m.Role == "user" {
			if len(results) > len(prevToolUses) {
				return fmt.Sprintf("The number of toolResult blocks at messages.%d.content exceeds the number of toolUse blocks of previous turn.", i)
			}
			var missing []string
			for _, id := range prevToolUses {
				if !contains(results, id) {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				return fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i, strings.Join(missing, ", "))
			}
		}
		prevToolUses = uses
	}
	if usesTools && req.ToolConfig == nil {
		return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	}
	if msg := validateInference(req.InferenceConfig); msg != "" {
		return msg
	}
	return validateTools(req.ToolConfig)
}

func roleError(i int, role string) string {
	return fmt.Sprintf("1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]", role, i+1)
}

func validateBlock(i, j int, role string, b *cBlock) string {
	at := fmt.Sprintf("messages.%d.content.%d", i, j)
	if countSet(b.Text != nil, b.Image != nil, b.Document != nil, b.ToolUse != nil, b.ToolResult != nil, b.ReasoningContent != nil,
		b.CachePoint != nil, b.GuardContent != nil, b.Video != nil, b.CitationsContent != nil) != 1 {
		return fmt.Sprintf("%s: exactly one member of ContentBlock must be set", at)
	}
	switch {
	case isBlank(b.Text):
		return fmt.Sprintf("The text field in the ContentBlock object at %s is blank. Add text to the text field, and try again.", at)
	case b.Image != nil:
		return validateImage(at, b.Image)
	case b.Document != nil:
		if !docFmts[b.Document.Format] || !docName.MatchString(b.Document.Name) || len(b.Document.Source.Bytes) == 0 {
			return fmt.Sprintf("%s.document: invalid format, name or source", at)
		}
	case b.ToolUse != nil:
		if role != "assistant" {
			return fmt.Sprintf("%s: toolUse blocks are only allowed in assistant messages", at)
		}
		if !namePattern.MatchString(b.ToolUse.ToolUseID) || !namePattern.MatchString(b.ToolUse.Name) {
			return fmt.Sprintf("%s.toolUse: toolUseId and name must match [a-zA-Z0-9_-]{1,64}", at)
		}
		if in := bytes.TrimSpace(b.ToolUse.Input); len(in) == 0 || in[0] != '{' {
			return fmt.Sprintf("%s.toolUse.input must be a JSON object", at)
		}
	case b.ToolResult != nil:
		if role != "user" {
			return fmt.Sprintf("%s: toolResult blocks are only allowed in user messages", at)
		}
		if !namePattern.MatchString(b.ToolResult.ToolUseID) {
			return fmt.Sprintf("%s.toolResult.toolUseId must match [a-zA-Z0-9_-]{1,64}", at)
		}
		if b.ToolResult.Content == nil {
			return fmt.Sprintf("%s.toolResult.content is required", at)
		}
		for k, c := range b.ToolResult.Content {
			if countSet(c.Text != nil, c.JSON != nil, c.Image != nil, c.Document != nil, c.Video != nil) != 1 {
				return fmt.Sprintf("%s.toolResult.content.%d: exactly one member must be set", at, k)
			}
			if isBlank(c.Text) {
				return fmt.Sprintf("The text field in the ToolResultContentBlock object at %s.toolResult.content.%d is blank. Add text to the text field, and try again.", at, k)
			}
		}
		if s := b.ToolResult.Status; s != "" && s != "success" && s != "error" {
			return fmt.Sprintf("%s.toolResult.status must be success or error", at)
		}
	}
	return ""
}

func validateImage(at string, img *cImage) string {
	if !imageFmts[img.Format] {
		return fmt.Sprintf("1 validation error detected: Value '%s' at '%s.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]", img.Format, at)
	}
	if len(img.Source.Bytes) == 0 && img.Source.S3Location == nil {
		return fmt.Sprintf("%s.image.source: bytes or s3Location is required", at)
	}
	return ""
}

func validateInference(c *cInference) string {
	if c == nil {
		return ""
	}
	if c.MaxTokens != nil && *c.MaxTokens < 1 {
		return fmt.Sprintf("1 validation error detected: Value '%d' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1", *c.MaxTokens)
	}
	if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 1) {
		return fmt.Sprintf("1 validation error detected: Value '%v' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1", *c.Temperature)
	}
	if c.TopP != nil && (*c.TopP < 0 || *c.TopP > 1) {
		return fmt.Sprintf("1 validation error detected: Value '%v' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1", *c.TopP)
	}
	for k, s := range c.StopSequences {
		if s == "" {
			return fmt.Sprintf("1 validation error detected: Value '' at 'inferenceConfig.stopSequences.%d.member' failed to satisfy constraint: Member must have length greater than or equal to 1", k+1)
		}
	}
	return ""
}

func validateTools(tc *cToolConfig) string {
	if tc == nil {
		return ""
	}
	if len(tc.Tools) == 0 {
		return "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"
	}
	names := map[string]bool{}
	for k, t := range tc.Tools {
		if countSet(t.ToolSpec != nil, t.CachePoint != nil, t.SystemTool != nil) != 1 {
			return fmt.Sprintf("toolConfig.tools.%d: exactly one member of Tool must be set", k)
		}
		if t.ToolSpec == nil {
			continue
		}
		if !namePattern.MatchString(t.ToolSpec.Name) {
			return fmt.Sprintf("1 validation error detected: Value '%s' at 'toolConfig.tools.%d.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+", t.ToolSpec.Name, k+1)
		}
		if names[t.ToolSpec.Name] {
			return "The tool names in toolConfig.tools must be unique."
		}
		names[t.ToolSpec.Name] = true
		if s := bytes.TrimSpace(t.ToolSpec.InputSchema.JSON); len(s) == 0 || s[0] != '{' {
			return fmt.Sprintf("toolConfig.tools.%d.toolSpec.inputSchema.json must be a JSON schema object", k)
		}
	}
	if c := tc.ToolChoice; c != nil {
		if countSet(c.Auto != nil, c.Any != nil, c.Tool != nil) != 1 {
			return "toolConfig.toolChoice: exactly one member of ToolChoice must be set"
		}
		if c.Tool != nil && !names[c.Tool.Name] {
			return fmt.Sprintf("toolConfig.toolChoice.tool.name: tool %q is not defined in toolConfig.tools", c.Tool.Name)
		}
	}
	return ""
}
