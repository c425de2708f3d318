package cohere_test

import (
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/cohere"
	"github.com/ai-gateway/gateway/dataplane/providers/cohere/coheretest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const key = "co-key-1"

// newGateway runs the real data plane in front of a fake Cohere API; every
// model name the fake knows is served by an Endpoint of the same name.
func newGateway(t *testing.T) (openai.Client, *coheretest.Server) {
	t.Helper()
	up := coheretest.New(key)
	t.Cleanup(up.Close)
	eps := []*state.Endpoint{
		gatewaytest.Endpoint("unauthorized", providers.TaskChat, "command-a", "wrong-key"),
		gatewaytest.Endpoint("embed", providers.TaskEmbeddings, "embed-v4.0", "co"),
	}
	for _, m := range []string{"command-a", "tools", "parallel-tools", "max-tokens", "error-finish", "error-stream", "break-stream", "fail-429", "fail-500"} {
		eps = append(eps, gatewaytest.Endpoint(m, providers.TaskChat, m, "co"))
	}
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Providers: []gatewaytest.Provider{{Info: cohere.Info, Adapter: cohere.New(cohere.Options{})}},
		Credentials: []*providers.Credential{
			{Name: "co", Provider: cohere.ID, BaseURL: up.BaseURL(), Secret: key},
			{Name: "wrong-key", Provider: cohere.ID, BaseURL: up.BaseURL(), Secret: "nope"},
		},
		Endpoints: eps,
	})
	return gw.OpenAI(), up
}

func user(s string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage(s)}
}

var weather = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
})}

func TestE2EChat(t *testing.T) {
	c, up := newGateway(t)
	resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "command-a", Messages: user("hello there"),
		TopP: openai.Float(1), MaxCompletionTokens: openai.Int(50)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "fake: hello there" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("answer %+v", resp.Choices[0])
	}
	if resp.Usage.PromptTokens != 9 || resp.Usage.TotalTokens != 9+3 {
		t.Fatalf("usage %+v", resp.Usage)
	}
	got, h := up.LastRequest()
	if h.Get("Authorization") != "Bearer "+key || got["model"] != "command-a" || got["max_tokens"] != 50.0 || got["p"] != 0.99 {
		t.Fatalf("upstream request %v", got)
	}
	resp, err = c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "max-tokens", Messages: user("x")})
	if err != nil || resp.Choices[0].FinishReason != "length" {
		t.Fatalf("max tokens: %v %+v", err, resp)
	}
}

func TestE2EStreaming(t *testing.T) {
	c, _ := newGateway(t)
	for _, usage := range []bool{false, true} {
		params := openai.ChatCompletionNewParams{Model: "command-a", Messages: user("one two three")}
		if usage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		s := c.Chat.Completions.NewStreaming(t.Context(), params)
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			acc.AddChunk(s.Current())
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if got := acc.Choices[0].Message.Content; got != "fake: one two three" || acc.Choices[0].FinishReason != "stop" {
			t.Fatalf("content %q finish %q", got, acc.Choices[0].FinishReason)
		}
		if usage != (acc.Usage.PromptTokens == 9) {
			t.Fatalf("include_usage=%v, usage %+v", usage, acc.Usage)
		}
	}
}

func TestE2EToolRoundTrip(t *testing.T) {
	c, up := newGateway(t)
	params := openai.ChatCompletionNewParams{Model: "tools", Messages: user("weather in Paris?"), Tools: weather}
	s := c.Chat.Completions.NewStreaming(t.Context(), params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	msg := acc.Choices[0].Message
	if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].ID != "get_weather_0fake" || msg.ToolCalls[0].Function.Arguments != `{"city":"Paris"}` ||
		acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool call %+v finish %q", msg.ToolCalls, acc.Choices[0].FinishReason)
	}
	// The fake rejects a tool result whose id matches no earlier call.
	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("18C", msg.ToolCalls[0].ID))
	resp, err := c.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "tool said: 18C" {
		t.Fatalf("second turn %q", resp.Choices[0].Message.Content)
	}
	got, _ := up.LastRequest()
	if msgs, _ := got["messages"].([]any); len(msgs) != 4 {
		t.Fatalf("upstream messages %v", got["messages"])
	}
}

func TestE2EParallelToolCalls(t *testing.T) {
	c, _ := newGateway(t)
	resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "parallel-tools", Messages: user("Paris and Rome?"), Tools: weather,
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}})
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if len(m.ToolCalls) != 2 || m.ToolCalls[1].Function.Arguments != `{"city":"Rome"}` {
		t.Fatalf("message %s", m.RawJSON())
	}
	if m.JSON.Content.Raw() != "null" {
		t.Fatalf("content must be null when the model only called tools: %s", m.RawJSON())
	}
}

func TestE2EEmbeddings(t *testing.T) {
	c, up := newGateway(t)
	resp, err := c.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}, Dimensions: openai.Int(4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 4 || resp.Data[1].Embedding[1] < 1.09 || resp.Usage.PromptTokens != 4 {
		t.Fatalf("embeddings %+v", resp)
	}
	got, _ := up.LastRequest()
	if got["input_type"] != cohere.DefaultInputType || got["output_dimension"] != 4.0 {
		t.Fatalf("upstream request %v", got)
	}
	// base64, as the Python and Node SDKs ask by default; the Go SDK decodes it.
	resp, err = c.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")}, EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64})
	if err != nil || len(resp.Data) != 1 {
		t.Fatalf("base64 embeddings: %v %+v", err, resp)
	}
}

func TestE2EErrors(t *testing.T) {
	c, _ := newGateway(t)
	tests := []struct {
		endpoint string
		status   int
	}{
		{"unauthorized", 401},
		{"fail-429", 429},
		{"fail-500", 500},
		{"error-finish", 502},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: tt.endpoint, Messages: user("x")})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("got %v", err)
			}
			if tt.status == 429 && apiErr.Response.Header.Get("Retry-After") != "7" {
				t.Fatalf("Retry-After %q", apiErr.Response.Header.Get("Retry-After"))
			}
		})
	}
	for _, ep := range []string{"error-stream", "break-stream"} {
		t.Run(ep, func(t *testing.T) {
			s := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: ep, Messages: user("x y")})
			n := 0
			for s.Next() {
				n++
			}
			if s.Err() == nil || n == 0 {
				t.Fatalf("after %d chunks, err %v", n, s.Err())
			}
		})
	}
}
