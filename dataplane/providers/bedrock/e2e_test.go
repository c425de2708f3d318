package bedrock_test

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
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock/bedrocktest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

type e2e struct {
	client   openai.Client
	upstream *bedrocktest.Server
}

const claude = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"

// newE2E runs the real data plane on loopback in front of the fake Bedrock
// runtime; each Endpoint is named after the behaviour its model id selects.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	up := bedrocktest.New()
	t.Cleanup(up.Close)
	region := map[string]string{bedrock.RegionOption: bedrocktest.Region}
	aws := func(name, secret string) *providers.Credential {
		return &providers.Credential{Name: name, Provider: "bedrock", BaseURL: up.BaseURL(), Secret: providers.Secret(secret), Options: region}
	}
	creds := []*providers.Credential{
		aws("keys", `{"accessKeyId":"`+bedrocktest.TempAccessKeyID+`","secretAccessKey":"`+bedrocktest.TempSecretAccessKey+
			`","sessionToken":"`+bedrocktest.SessionToken+`"}`),
		aws("apikey", bedrocktest.APIKey),
		aws("badkey", bedrocktest.AccessKeyID+":not-the-secret"),
		{Name: "noregion", Provider: "bedrock", BaseURL: up.BaseURL(), Secret: bedrocktest.APIKey},
	}
	ep := gatewaytest.Endpoint
	eps := []*state.Endpoint{
		ep("claude", providers.TaskChat, claude, "keys"),
		ep("claude-apikey", providers.TaskChat, claude, "apikey"),
		ep("claude-arn", providers.TaskChat, "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"+claude, "keys"),
		ep("unauthorized", providers.TaskChat, claude, "badkey"),
		ep("noregion", providers.TaskChat, claude, "noregion"),
		ep("titan", providers.TaskEmbeddings, "amazon.titan-embed-text-v2:0", "keys"),
		ep("cohere", providers.TaskEmbeddings, "cohere.embed-multilingual-v3", "apikey"),
	}
	for _, b := range []string{"tool-call", "parallel-tools", "fail-400", "fail-403", "fail-404", "fail-429", "fail-500", "fail-503",
		"break-stream", "error-stream", "throttle-stream", "cache"} {
		eps = append(eps, ep(b, providers.TaskChat, "us.fake."+b+"-v1:0", "keys"))
	}
	for _, b := range []string{"slow", "stall-stream"} {
		slow := ep(b, providers.TaskChat, "fake."+b+"-v1:0", "keys")
		slow.Timeout = 300 * time.Millisecond
		eps = append(eps, slow)
	}
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Providers:   []gatewaytest.Provider{{Info: bedrock.Info, Adapter: bedrock.New(bedrock.Options{})}},
		Credentials: creds,
		Endpoints:   eps,
	})
	return &e2e{client: gw.OpenAI(), upstream: up}
}

func user(s string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(s)}
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather in a city"),
	Parameters: shared.FunctionParameters{"type": "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
})

var timeTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:       "get_time",
	Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"tz": map[string]any{"type": "string"}}},
})

func TestE2EPlainChat(t *testing.T) {
	e := newE2E(t)
	for _, model := range []string{"claude", "claude-apikey", "claude-arn"} {
		t.Run(model, func(t *testing.T) {
			var httpResp *http.Response
			resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: model,
				Messages:  []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
				MaxTokens: openai.Int(64),
			}, option.WithResponseInto(&httpResp))
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Choices[0].Message.Content; got != "fake: Hello there" || resp.Choices[0].FinishReason != "stop" {
				t.Errorf("content %q finish %q", got, resp.Choices[0].FinishReason)
			}
			reqID := httpResp.Header.Get("X-Upstream-Request-Id")
			if !strings.HasPrefix(reqID, "fake-req-") || resp.ID != "chatcmpl-"+reqID {
				t.Errorf("id %q, upstream request id %q", resp.ID, reqID)
			}
			if resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
				t.Errorf("usage %+v", resp.Usage)
			}
			last := e.upstream.LastRequest()
			if !strings.HasSuffix(last.RawPath, "claude-3-5-sonnet-20241022-v2%3A0/converse") {
				t.Errorf("upstream path %s", last.RawPath)
			}
			body := e.upstream.LastBody()
			if sys := body["system"].([]any)[0].(map[string]any); sys["text"] != "Be brief." {
				t.Errorf("system %v", body["system"])
			}
			if ic := body["inferenceConfig"].(map[string]any); ic["maxTokens"] != float64(64) {
				t.Errorf("inferenceConfig %v", ic)
			}
		})
	}
}

func TestE2ECachedUsage(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "cache", Messages: user("hi")})
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
			params := openai.ChatCompletionNewParams{Model: "claude", Messages: user("stream me please")}
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
			if p := e.upstream.LastRequest().RawPath; !strings.HasSuffix(p, "/converse-stream") {
				t.Errorf("upstream path %s", p)
			}
		})
	}
}

func TestE2EToolsRoundTrip(t *testing.T) {
	e := newE2E(t)
	params := openai.ChatCompletionNewParams{Model: "tool-call", Messages: user("Paris"),
		Tools: []openai.ChatCompletionToolUnionParam{weatherTool}}
	first, err := e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	msg := first.Choices[0].Message
	if first.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || !strings.Contains(first.RawJSON(), `"content":null`) {
		t.Fatalf("first turn: %s", first.RawJSON())
	}
	call := msg.ToolCalls[0]
	if call.Function.Name != "get_weather" || call.Function.Arguments != `{"city":"Paris"}` || !strings.HasPrefix(call.ID, "tooluse_") {
		t.Fatalf("tool call %+v", call)
	}
	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("18C and sunny", call.ID))
	second, err := e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Choices[0].Message.Content; got != "fake: tool said 18C and sunny" {
		t.Errorf("second turn %q", got)
	}
	msgs := e.upstream.LastBody()["messages"].([]any)
	use := msgs[1].(map[string]any)["content"].([]any)[0].(map[string]any)["toolUse"].(map[string]any)
	result := msgs[2].(map[string]any)["content"].([]any)[0].(map[string]any)["toolResult"].(map[string]any)
	if use["toolUseId"] != call.ID || result["toolUseId"] != call.ID {
		t.Errorf("tool ids sent upstream: use %v result %v", use, result)
	}
}

// TestE2EStreamingToolUse streams two parallel tool calls (arguments in
// fragments), sends both results back, and streams the answer.
func TestE2EStreamingToolUse(t *testing.T) {
	e := newE2E(t)
	params := openai.ChatCompletionNewParams{Model: "parallel-tools", Messages: user("Paris"),
		Tools: []openai.ChatCompletionToolUnionParam{weatherTool, timeTool}}
	stream := e.client.Chat.Completions.NewStreaming(t.Context(), params)
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
		calls[1].Function.Name != "get_time" || calls[1].Function.Arguments != `{"tz":"Paris"}` {
		t.Errorf("tool calls %+v", calls)
	}
	if len(finished) != 2 || finished[0].ID != calls[0].ID {
		t.Errorf("finished tool calls %+v", finished)
	}
	params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(),
		openai.ToolMessage("18C", calls[0].ID), openai.ToolMessage("14:05", calls[1].ID))
	stream = e.client.Chat.Completions.NewStreaming(t.Context(), params)
	acc = openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "fake: tool said 18C; 14:05" {
		t.Errorf("second turn %q", got)
	}
	msgs := e.upstream.LastBody()["messages"].([]any)
	if n := len(msgs[2].(map[string]any)["content"].([]any)); len(msgs) != 3 || n != 2 {
		t.Errorf("tool results must share one user turn: %v", msgs)
	}
}

func TestE2EStructuredOutput(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "claude", Messages: user("Paris"),
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

func TestE2EEmbeddings(t *testing.T) {
	e := newE2E(t)
	resp, err := e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "titan", Dimensions: openai.Int(256),
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two words"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 256 || resp.Data[1].Index != 1 || resp.Usage.PromptTokens != 3 {
		t.Errorf("titan: %d vectors, usage %+v", len(resp.Data), resp.Usage)
	}
	resp, err = e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "cohere",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("bonjour le monde")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 1024 || resp.Usage.PromptTokens != 3 {
		t.Errorf("cohere: %d vectors, usage %+v", len(resp.Data), resp.Usage)
	}
	if body := e.upstream.LastBody(); body["input_type"] != "search_document" {
		t.Errorf("cohere body %v", body)
	}
}

func TestE2EErrors(t *testing.T) {
	e := newE2E(t)
	tests := []struct {
		name, model string
		messages    []openai.ChatCompletionMessageParamUnion
		status      int
		typ         string
		contains    string
	}{
		{"validation", "fail-400", nil, 400, "invalid_request_error", "fake upstream failure 400"},
		{"access denied", "fail-403", nil, 403, "permission_error", "fake upstream failure 403"},
		{"unknown model", "fail-404", nil, 404, "invalid_request_error", "fake upstream failure 404"},
		{"throttled", "fail-429", nil, 429, "rate_limit_error", "fake upstream failure 429"},
		{"internal", "fail-500", nil, 500, "api_error", "fake upstream failure 500"},
		{"unavailable", "fail-503", nil, 503, "api_error", "fake upstream failure 503"},
		{"refused signature", "unauthorized", nil, 403, "authentication_error", "signature we calculated does not match"},
		{"no region", "noregion", nil, 500, "api_error", "spec.config.aws.region"},
		{"Bedrock rejects a conversation opened by the assistant", "claude",
			[]openai.ChatCompletionMessageParamUnion{openai.AssistantMessage("Hi, I start"), openai.UserMessage("ok")},
			400, "invalid_request_error", "must start with a user message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := tt.messages
			if msgs == nil {
				msgs = user("x")
			}
			_, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: tt.model, Messages: msgs})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Type != tt.typ || !strings.Contains(apiErr.Message, tt.contains) {
				t.Errorf("got %d %s %q; want %d %s containing %q", apiErr.StatusCode, apiErr.Type, apiErr.Message, tt.status, tt.typ, tt.contains)
			}
		})
	}
}

func TestE2EStreamFailures(t *testing.T) {
	e := newE2E(t)
	for model, want := range map[string]string{"error-stream": "The model failed while streaming.", "break-stream": "before it finished"} {
		t.Run(model, func(t *testing.T) {
			stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: model, Messages: user("one two")})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("stream error = %v, want one mentioning %q", err, want)
			}
			if acc.Choices[0].Message.Content != "fake: " {
				t.Errorf("content before the failure: %q", acc.Choices[0].Message.Content)
			}
		})
	}
	// An exception before the first event is still an HTTP error.
	stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "throttle-stream", Messages: user("x")})
	for stream.Next() {
	}
	var apiErr *openai.Error
	if err := stream.Err(); !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("throttled stream: err = %v, want a 429", err)
	}
}

func TestE2ETimeout(t *testing.T) {
	e := newE2E(t)
	_, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "slow", Messages: user("x")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 504 {
		t.Fatalf("slow upstream: err = %v, want a 504", err)
	}
	stream := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "stall-stream", Messages: user("x")})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "in time") {
		t.Fatalf("stalled stream: err = %v, want a timeout error event", err)
	}
}
