package anthropic_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const upstreamKey = "sk-ant-test"

type e2e struct {
	url      string
	client   openai.Client
	upstream *anthropictest.Server
}

// newE2E runs the real data plane on loopback in front of the fake Anthropic
// API, with one Endpoint per upstream behaviour (named after the model).
func newE2E(t *testing.T) *e2e {
	t.Helper()
	up := anthropictest.New(upstreamKey)
	t.Cleanup(up.Close)
	ep := gatewaytest.Endpoint
	var eps []*state.Endpoint
	for _, m := range []string{"claude-test", "tool-call", "parallel-tools", "cached", "fail-400", "fail-404", "fail-429",
		"fail-500", "fail-529", "break-stream", "error-stream"} {
		eps = append(eps, ep(m, providers.TaskChat, m, "claude"))
	}
	eps = append(eps, ep("unauthorized", providers.TaskChat, "claude-test", "badkey"),
		ep("embed", providers.TaskEmbeddings, "claude-test", "claude"))
	for _, m := range []string{"slow", "stall-stream"} {
		slow := ep(m, providers.TaskChat, m, "claude")
		slow.Timeout = 300 * time.Millisecond
		eps = append(eps, slow)
	}
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Providers: []gatewaytest.Provider{{Info: anthropic.Info, Adapter: anthropic.New(anthropic.Options{})}},
		Credentials: []*providers.Credential{
			{Name: "claude", Provider: "anthropic", BaseURL: up.BaseURL(), Secret: upstreamKey,
				Headers: map[string]string{"anthropic-beta": "fake-beta-2025-01-01"}},
			{Name: "badkey", Provider: "anthropic", BaseURL: up.BaseURL(), Secret: "wrong"},
		},
		Endpoints: eps,
	})
	return &e2e{url: gw.URL, client: gw.OpenAI(), upstream: up}
}

func (e *e2e) lastUpstream(t *testing.T) (map[string]any, http.Header) {
	t.Helper()
	body, h := e.upstream.LastRequest()
	if body == nil {
		t.Fatal("the upstream received nothing")
	}
	return body, h
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather in a city"),
	Parameters: shared.FunctionParameters{"type": "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
})

func TestE2EPlainChat(t *testing.T) {
	e := newE2E(t)
	var httpResp *http.Response
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model:    "claude-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
	}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	if id := httpResp.Header.Get("X-Upstream-Request-Id"); !strings.HasPrefix(id, "req_fake_") {
		t.Errorf("upstream request id not passed on: %q", id)
	}
	if got := resp.Choices[0].Message.Content; got != "fake: Hello there" {
		t.Errorf("content = %q", got)
	}
	if resp.Choices[0].FinishReason != "stop" || !strings.HasPrefix(resp.ID, "chatcmpl-msg_fake_") {
		t.Errorf("finish %q id %q", resp.Choices[0].FinishReason, resp.ID)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage %+v", resp.Usage)
	}
	body, h := e.lastUpstream(t)
	if h.Get("X-Api-Key") != upstreamKey || h.Get("Anthropic-Version") != anthropic.APIVersion ||
		h.Get("Anthropic-Beta") != "fake-beta-2025-01-01" {
		t.Errorf("upstream headers %v", h)
	}
	if body["system"] != "Be brief." || body["max_tokens"] != float64(anthropic.DefaultMaxTokens) || body["model"] != "claude-test" {
		t.Errorf("upstream body %v", body)
	}
}

func TestE2ECachedUsage(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model: "cached", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage.PromptTokensDetails.CachedTokens != 100 || resp.Usage.PromptTokens < 120 {
		t.Errorf("usage %+v", resp.Usage)
	}
}

func TestE2EStreaming(t *testing.T) {
	for _, includeUsage := range []bool{true, false} {
		t.Run(map[bool]string{true: "with usage", false: "without usage"}[includeUsage], func(t *testing.T) {
			e := newE2E(t)
			params := openai.ChatCompletionNewParams{Model: "claude-test",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me please")}}
			if includeUsage {
				params.StreamOptions.IncludeUsage = openai.Bool(true)
			}
			stream := e.client.Chat.Completions.NewStreaming(t.Context(), params)
			var acc openai.ChatCompletionAccumulator
			chunks := 0
			for stream.Next() {
				acc.AddChunk(stream.Current())
				chunks++
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if got := acc.Choices[0].Message.Content; got != "fake: stream me please" || chunks < 5 {
				t.Errorf("content %q after %d chunks", got, chunks)
			}
			if acc.Choices[0].FinishReason != "stop" {
				t.Errorf("finish %q", acc.Choices[0].FinishReason)
			}
			if gotUsage := acc.Usage.TotalTokens > 0; gotUsage != includeUsage {
				t.Errorf("usage %+v, include_usage %v", acc.Usage, includeUsage)
			}
		})
	}
}

func TestE2EToolsRoundTrip(t *testing.T) {
	e := newE2E(t)
	params := openai.ChatCompletionNewParams{
		Model:    "tool-call",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	}
	first, err := e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	msg := first.Choices[0].Message
	if first.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || msg.Content != "" {
		t.Fatalf("first turn: %s", first.RawJSON())
	}
	if !strings.Contains(first.RawJSON(), `"content":null`) {
		t.Errorf("content must be null when the model only called tools: %s", first.RawJSON())
	}
	call := msg.ToolCalls[0]
	if call.Function.Name != "get_weather" || call.Function.Arguments != `{"city":"Paris"}` || !strings.HasPrefix(call.ID, "toolu_") {
		t.Fatalf("tool call %+v", call)
	}
	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("18C and sunny", call.ID))
	second, err := e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Choices[0].Message.Content; got != "fake: tool said 18C and sunny" {
		t.Errorf("second turn content %q", got)
	}
	body, _ := e.lastUpstream(t)
	msgs := body["messages"].([]any)
	result := msgs[2].(map[string]any)["content"].([]any)[0].(map[string]any)
	if result["type"] != "tool_result" || result["tool_use_id"] != call.ID {
		t.Errorf("tool result sent upstream as %v", result)
	}
}

func TestE2EParallelToolsStreaming(t *testing.T) {
	e := newE2E(t)
	second := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"tz": map[string]any{"type": "string"}}}})
	stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{
		Model:    "parallel-tools",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather and time?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool, second},
	})
	var acc openai.ChatCompletionAccumulator
	var finished []openai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 2 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("accumulated %+v", acc.Choices[0])
	}
	if calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris"}` ||
		calls[1].Function.Name != "get_time" || calls[1].Function.Arguments != `{"tz":"Tokyo"}` {
		t.Errorf("tool calls %+v", calls)
	}
	if len(finished) != 2 || finished[0].ID != calls[0].ID {
		t.Errorf("finished tool calls %+v", finished)
	}
}

func TestE2EStructuredOutput(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model:    "claude-test",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Capital of France?")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "capital", Schema: map[string]any{
				"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ City string }
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &got); err != nil || got.City != "Paris" {
		t.Errorf("content %q is not the structured answer (%v)", resp.Choices[0].Message.Content, err)
	}
	if resp.Choices[0].FinishReason != "stop" || len(resp.Choices[0].Message.ToolCalls) != 0 {
		t.Errorf("structured output leaked as a tool call: %s", resp.RawJSON())
	}
}

func TestE2EErrors(t *testing.T) {
	e := newE2E(t)
	tests := []struct {
		name, model string
		temperature float64
		status      int
		param       string
		contains    string
	}{
		{"upstream 400 passed on", "fail-400", 0, 400, "", "fake upstream failure 400"},
		{"upstream 401 for a bad key", "unauthorized", 0, 401, "", "invalid x-api-key"},
		{"upstream 404", "fail-404", 0, 404, "", "fake upstream failure 404"},
		{"upstream 429", "fail-429", 0, 429, "", "fake upstream failure 429"},
		{"upstream 500", "fail-500", 0, 500, "", "fake upstream failure 500"},
		{"overloaded 529 answered as 503", "fail-529", 0, 503, "", "fake upstream failure 529"},
		{"temperature above 1 rejected by the gateway", "claude-test", 1.5, 400, "temperature", "temperature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := openai.ChatCompletionNewParams{Model: tt.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}}
			if tt.temperature != 0 {
				params.Temperature = openai.Float(tt.temperature)
			}
			_, err := e.client.Chat.Completions.New(t.Context(), params)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tt.status || !strings.Contains(apiErr.Message, tt.contains) || apiErr.Param != tt.param {
				t.Errorf("got %d param=%q %q; want %d param=%q containing %q", apiErr.StatusCode, apiErr.Param, apiErr.Message,
					tt.status, tt.param, tt.contains)
			}
			if tt.status == 429 && apiErr.Response.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q", apiErr.Response.Header.Get("Retry-After"))
			}
		})
	}
}

func TestE2EStreamFailures(t *testing.T) {
	e := newE2E(t)
	for model, want := range map[string]string{"error-stream": "Overloaded", "break-stream": "before it finished"} {
		t.Run(model, func(t *testing.T) {
			stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("stream error = %v, want one mentioning %q", err, want)
			}
			if acc.Choices[0].Message.Content != "partial" {
				t.Errorf("content before the failure: %q", acc.Choices[0].Message.Content)
			}
		})
	}
}

func TestE2EEmbeddingsNotOffered(t *testing.T) {
	e := newE2E(t)
	_, err := e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "chat completions only") {
		t.Fatalf("err = %v", err)
	}
	if e.upstream.Calls() != 0 {
		t.Errorf("an embeddings call reached the upstream")
	}
}

func TestE2ETimeouts(t *testing.T) {
	e := newE2E(t)
	_, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "slow",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 504 {
		t.Fatalf("slow upstream: err = %v, want a 504", err)
	}
	stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "stall-stream",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "in time") {
		t.Fatalf("stalled stream: err = %v, want a timeout error event", err)
	}
}

func TestE2EReasoningEffort(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "claude-test",
		ReasoningEffort: shared.ReasoningEffortLow,
		Messages:        []openai.ChatCompletionMessageParamUnion{openai.UserMessage("think")}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.RawJSON(), `"reasoning_content":"The user wants an answer.`) || resp.Choices[0].Message.Content != "fake: think" {
		t.Errorf("response %s", resp.RawJSON())
	}
	body, _ := e.lastUpstream(t)
	if th, _ := body["thinking"].(map[string]any); th["type"] != "enabled" || th["budget_tokens"] != float64(1024) {
		t.Errorf("thinking sent upstream: %v", body["thinking"])
	}
}
