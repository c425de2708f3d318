package anthropic

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// DefaultMaxTokens is sent as max_tokens when the client sets neither
// max_tokens nor max_completion_tokens. Anthropic requires the field (a request
// without it is a 400) while OpenAI treats it as optional; 4096 is within the
// output limit of every current Claude model, long enough for most chat
// answers, and the same default LiteLLM uses.
const DefaultMaxTokens = 4096

// MaxTemperature is the highest temperature Anthropic accepts (OpenAI allows
// up to 2). A higher value is rejected with a 400 naming "temperature" rather
// than clamped: silently sampling differently from what the client asked for
// would hide a behavioural change (Envoy AI Gateway rejects too).
const MaxTemperature = 1.0

// JSONToolName is the synthetic tool that carries structured output.
// Anthropic has no JSON mode, so response_format json_object / json_schema
// become a tool with the schema as input_schema (an open object for JSON mode)
// that tool_choice forces; the tool's input is returned to the client as the
// message content, never as a tool call. Same approach and name as LiteLLM.
const JSONToolName = "json_tool_call"

// minThinkingBudget is Anthropic's smallest thinking.budget_tokens.
const minThinkingBudget = 1024

// thinkingBudgets maps OpenAI's reasoning_effort to Anthropic's extended
// thinking budget; "none" (or no reasoning_effort) leaves thinking off.
var thinkingBudgets = map[string]int64{
	"minimal": minThinkingBudget,
	"low":     minThinkingBudget,
	"medium":  4096,
	"high":    16384,
	"xhigh":   32768,
}

// requestInfo is what the response side needs to know about the request.
type requestInfo struct {
	// jsonMode means JSONToolName is the synthetic structured-output tool:
	// its input becomes the message content.
	jsonMode bool
}

// badRequest is a 400 the gateway answers itself, naming the offending field.
func badRequest(param, format string, args ...any) *providers.Error {
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_request", Param: param,
		Message: fmt.Sprintf(format, args...)}
}

// buildRequest translates the client's OpenAI body into an Anthropic request.
// It reads call.Body without modifying it, so a retry can run it again.
func buildRequest(call *providers.Call) (*messagesRequest, requestInfo, *providers.Error) {
	var req unified.ChatRequest
	if err := json.Unmarshal(call.Body, &req); err != nil {
		return nil, requestInfo{}, badRequest("", "invalid chat request: %v", err)
	}
	out := &messagesRequest{Model: call.Model, Stream: call.Stream, TopP: req.TopP}
	if req.N != nil && *req.N > 1 {
		return nil, requestInfo{}, badRequest("n", "n=%d is not supported by Anthropic, which returns one choice", *req.N)
	}
	if t := req.Temperature; t != nil {
		if *t < 0 || *t > MaxTemperature {
			return nil, requestInfo{}, badRequest("temperature",
				"temperature must be between 0 and %g for Anthropic models (got %g)", MaxTemperature, *t)
		}
		out.Temperature = t
	}
	out.MaxTokens = DefaultMaxTokens
	explicitMax := req.MaxOutputTokens() != nil
	if m := req.MaxOutputTokens(); m != nil {
		if *m < 1 {
			param := "max_tokens"
			if req.MaxCompletionTokens != nil {
				param = "max_completion_tokens"
			}
			return nil, requestInfo{}, badRequest(param, "%s must be at least 1", param)
		}
		out.MaxTokens = *m
	}
	for _, s := range req.Stop {
		if s != "" {
			out.StopSequences = append(out.StopSequences, s)
		}
	}
	if req.User != "" {
		out.Metadata = &metadata{UserID: req.User}
	}
	system, msgs, perr := convertMessages(req.Messages)
	if perr != nil {
		return nil, requestInfo{}, perr
	}
	if len(msgs) == 0 {
		return nil, requestInfo{}, badRequest("messages", "messages must contain at least one user or assistant message with content")
	}
	out.System, out.Messages = system, msgs
	info, perr := applyTools(out, &req)
	if perr != nil {
		return nil, requestInfo{}, perr
	}
	if perr := applyThinking(out, &req, explicitMax); perr != nil {
		return nil, requestInfo{}, perr
	}
	return out, info, nil
}

// applyTools sets tools and tool_choice, adding the structured-output tool
// when response_format asks for JSON.
func applyTools(out *messagesRequest, req *unified.ChatRequest) (requestInfo, *providers.Error) {
	var info requestInfo
	var jsonTool *tool
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object":
			jsonTool = &tool{Name: JSONToolName, Description: "Respond with a JSON object.",
				InputSchema: json.RawMessage(`{"type":"object"}`)}
		case "json_schema":
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 || string(rf.JSONSchema.Schema) == "null" {
				return info, badRequest("response_format", "response_format.json_schema.schema is required")
			}
			desc := rf.JSONSchema.Description
			if desc == "" {
				desc = "Respond with a JSON object that matches the " + strconv.Quote(rf.JSONSchema.Name) + " schema."
			}
			jsonTool = &tool{Name: JSONToolName, Description: desc, InputSchema: rf.JSONSchema.Schema}
		default:
			return info, badRequest("response_format", "response_format type %q is not supported", rf.Type)
		}
	}
	for i, t := range req.Tools {
		if t.Type != "" && t.Type != "function" {
			return info, badRequest("tools", "tools[%d]: only function tools are supported by Anthropic (got %q)", i, t.Type)
		}
		if t.Function.Name == "" {
			return info, badRequest("tools", "tools[%d].function.name is required", i)
		}
		if jsonTool != nil && t.Function.Name == JSONToolName {
			return info, badRequest("tools", "tools[%d]: the name %q is reserved for response_format on Anthropic", i, JSONToolName)
		}
		schema := t.Function.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	tc := req.ToolChoice
	mode := ""
	if tc != nil {
		mode = tc.Mode
		if tc.Function != "" {
			mode = "function"
		}
	}
	switch mode {
	case "", unified.ToolChoiceAuto, unified.ToolChoiceNone, unified.ToolChoiceRequired, "function":
	default:
		return info, badRequest("tool_choice", "tool_choice %q is not supported", mode)
	}
	if mode == "function" && !hasTool(out.Tools, tc.Function) {
		return info, badRequest("tool_choice", "tool_choice names function %q, which is not in tools", tc.Function)
	}
	switch {
	case jsonTool != nil:
		info.jsonMode = true
		if len(out.Tools) == 0 || mode == unified.ToolChoiceNone {
			// Nothing else may be called: force the structured answer.
			out.ToolChoice = &toolChoice{Type: choiceTool, Name: JSONToolName}
		} else if mode == "function" {
			out.ToolChoice = &toolChoice{Type: choiceTool, Name: tc.Function}
		} else {
			// The model either calls one of the client's tools or answers
			// through the structured-output tool; a plain text answer would
			// not honour response_format.
			out.ToolChoice = &toolChoice{Type: choiceAny}
		}
		out.Tools = append(out.Tools, *jsonTool)
	case len(out.Tools) == 0:
		if mode == unified.ToolChoiceRequired || mode == "function" {
			return info, badRequest("tool_choice", "tool_choice %q requires tools", mode)
		}
	case mode == unified.ToolChoiceNone:
		out.ToolChoice = &toolChoice{Type: choiceNone}
	case mode == unified.ToolChoiceAuto:
		out.ToolChoice = &toolChoice{Type: choiceAuto}
	case mode == unified.ToolChoiceRequired:
		out.ToolChoice = &toolChoice{Type: choiceAny}
	case mode == "function":
		out.ToolChoice = &toolChoice{Type: choiceTool, Name: tc.Function}
	}
	if p := req.ParallelToolCalls; p != nil && !*p && len(out.Tools) > 0 {
		if out.ToolChoice == nil {
			out.ToolChoice = &toolChoice{Type: choiceAuto}
		}
		// Anthropic's flag is the inverse of OpenAI's, and "none" takes none.
		if out.ToolChoice.Type != choiceNone {
			out.ToolChoice.DisableParallelToolUse = unified.Ptr(true)
		}
	}
	return info, nil
}

func hasTool(tools []tool, name string) bool {
	for _, t := range tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// applyThinking maps reasoning_effort to extended thinking and enforces the
// constraints Anthropic puts on it, so the client learns which of its own
// fields is the problem.
func applyThinking(out *messagesRequest, req *unified.ChatRequest, explicitMax bool) *providers.Error {
	effort := req.ReasoningEffort
	if effort == "" || effort == "none" {
		return nil
	}
	budget, ok := thinkingBudgets[effort]
	if !ok {
		return badRequest("reasoning_effort", "reasoning_effort %q is not supported", effort)
	}
	// Anthropic requires a final assistant turn that used tools to start with
	// its signed thinking block, which the OpenAI dialect cannot carry back.
	// Example failure prevented: the second turn of every tool loop failing
	// with "a final assistant message must start with a thinking block".
	// Thinking is therefore left off for such turns.
	if lastAssistantUsedTools(out.Messages) {
		return nil
	}
	if c := out.ToolChoice; c != nil && (c.Type == choiceAny || c.Type == choiceTool) {
		param := "tool_choice"
		if c.Name == JSONToolName || (c.Type == choiceAny && req.ResponseFormat != nil) {
			param = "response_format"
		}
		return badRequest(param, "Anthropic cannot think (reasoning_effort) when the %s forces a tool call", param)
	}
	if t := out.Temperature; t != nil && *t != 1 {
		return badRequest("temperature", "temperature must be unset or 1 when reasoning_effort is set for Anthropic models")
	}
	if p := out.TopP; p != nil && *p < 0.95 {
		return badRequest("top_p", "top_p must be unset or at least 0.95 when reasoning_effort is set for Anthropic models")
	}
	switch {
	case !explicitMax:
		// The default is for the visible answer; thinking comes on top.
		out.MaxTokens = budget + DefaultMaxTokens
	case budget > out.MaxTokens/2:
		// Like OpenAI's max_completion_tokens, Anthropic's max_tokens counts
		// the thinking too: keep at least half of it for the answer.
		budget = max(out.MaxTokens/2, minThinkingBudget)
		if budget >= out.MaxTokens {
			return badRequest("max_tokens", "max tokens must be greater than %d to use reasoning_effort with Anthropic models", minThinkingBudget)
		}
	}
	out.Thinking = &thinking{Type: "enabled", BudgetTokens: budget}
	return nil
}

func lastAssistantUsedTools(msgs []message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != unified.RoleAssistant {
			continue
		}
		for _, b := range msgs[i].Content {
			if b.Type == blockToolUse {
				return true
			}
		}
		return false
	}
	return false
}

// sanitizeID makes a tool call id acceptable to Anthropic (^[a-zA-Z0-9_-]+$).
// OpenAI and Anthropic ids pass unchanged; both the tool_use and the
// tool_result side go through it, so a rewritten id still pairs up.
func sanitizeID(id string) string {
	ok := true
	for _, c := range id {
		if !isIDChar(c) {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	return strings.Map(func(c rune) rune {
		if isIDChar(c) {
			return c
		}
		return '_'
	}, id)
}

func isIDChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
