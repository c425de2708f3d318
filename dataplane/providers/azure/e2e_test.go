package azure_test

import (
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/azure"
	"github.com/ai-gateway/gateway/dataplane/providers/azure/azuretest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const key = "azure-key-1"

// newGateway runs the real data plane in front of a fake Azure resource and
// returns an OpenAI SDK client pointed at it.
func newGateway(t *testing.T) (openai.Client, *azuretest.Server) {
	t.Helper()
	up := azuretest.New(key)
	t.Cleanup(up.Close)
	ep := gatewaytest.Endpoint
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Providers: []gatewaytest.Provider{{Info: azure.Info, Adapter: azure.New(azure.Options{})}},
		Credentials: []*providers.Credential{
			{Name: "classic", Provider: azure.ID, BaseURL: up.BaseURL(), Secret: key},
			{Name: "v1", Provider: azure.ID, BaseURL: up.V1BaseURL(), Secret: key},
			{Name: "wrong-key", Provider: azure.ID, BaseURL: up.BaseURL(), Secret: "nope"},
		},
		Endpoints: []*state.Endpoint{
			ep("chat", providers.TaskChat, "gpt4o", "classic"),
			ep("chat-v1", providers.TaskChat, "gpt4o", "v1"),
			ep("tools", providers.TaskChat, "tools", "classic"),
			ep("emb", providers.TaskEmbeddings, "emb", "classic"),
			ep("missing", providers.TaskChat, "missing-deployment", "classic"),
			ep("throttled", providers.TaskChat, "fail-429", "v1"),
			ep("filtered", providers.TaskChat, "content-filter", "classic"),
			ep("unauthorized", providers.TaskChat, "gpt4o", "wrong-key"),
			ep("broken", providers.TaskChat, "error-stream", "classic"),
		},
	})
	return gw.OpenAI(), up
}

func TestE2EChat(t *testing.T) {
	c, up := newGateway(t)
	for _, ep := range []string{"chat", "chat-v1"} {
		t.Run(ep, func(t *testing.T) {
			resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
				Model:    ep,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Choices[0].Message.Content; got != "fake: hello there" {
				t.Fatalf("content %q", got)
			}
			if resp.Usage.TotalTokens != 12 {
				t.Fatalf("usage %+v", resp.Usage)
			}
			last := up.Last()
			if ep == "chat" && (last.Path != "/openai/deployments/gpt4o/chat/completions" || last.Query.Get("api-version") != azure.DefaultAPIVersion) {
				t.Fatalf("classic request went to %s?%s", last.Path, last.Query.Encode())
			}
			if ep == "chat-v1" && (last.Path != "/openai/v1/chat/completions" || last.Query.Has("api-version") || last.Body["model"] != "gpt4o") {
				t.Fatalf("v1 request went to %s?%s with model %v", last.Path, last.Query.Encode(), last.Body["model"])
			}
			if last.Header.Get("Authorization") != "" {
				t.Fatal("the client's Authorization header reached Azure")
			}
		})
	}
}

func TestE2EStreaming(t *testing.T) {
	c, _ := newGateway(t)
	for _, usage := range []bool{false, true} {
		params := openai.ChatCompletionNewParams{Model: "chat",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three")}}
		if usage {
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		s := c.Chat.Completions.NewStreaming(t.Context(), params)
		var acc openai.ChatCompletionAccumulator
		chunks := 0
		for s.Next() {
			chunk := s.Current()
			if len(chunk.Choices) == 0 && chunk.Usage.TotalTokens == 0 {
				t.Fatalf("empty chunk reached the client: %s", chunk.RawJSON())
			}
			acc.AddChunk(chunk)
			chunks++
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if got := acc.Choices[0].Message.Content; got != "fake: one two three" {
			t.Fatalf("content %q after %d chunks", got, chunks)
		}
		if usage != (acc.Usage.TotalTokens == 12) {
			t.Fatalf("include_usage=%v but usage %+v", usage, acc.Usage)
		}
	}
}

func TestE2EToolRoundTrip(t *testing.T) {
	c, up := newGateway(t)
	params := openai.ChatCompletionNewParams{
		Model:    "tools",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})},
	}
	s := c.Chat.Completions.NewStreaming(t.Context(), params)
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	msg := acc.Choices[0].Message
	if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Arguments != `{"city":"Paris"}` || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool call %+v finish %q", msg.ToolCalls, acc.Choices[0].FinishReason)
	}
	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("18C", msg.ToolCalls[0].ID))
	resp, err := c.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "tool said: 18C" {
		t.Fatalf("second turn %q", resp.Choices[0].Message.Content)
	}
	msgs, _ := up.Last().Body["messages"].([]any)
	if tm, _ := msgs[len(msgs)-1].(map[string]any); tm["tool_call_id"] != msg.ToolCalls[0].ID {
		t.Fatalf("tool_call_id did not round-trip: %v", tm)
	}
}

func TestE2EEmbeddings(t *testing.T) {
	c, up := newGateway(t)
	resp, err := c.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "emb",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 2 || resp.Data[1].Embedding[2] != 1 {
		t.Fatalf("embeddings %+v", resp.Data)
	}
	if up.Last().Path != "/openai/deployments/emb/embeddings" {
		t.Fatalf("path %s", up.Last().Path)
	}
}

func TestE2EErrors(t *testing.T) {
	c, _ := newGateway(t)
	tests := []struct {
		endpoint string
		status   int
		code     string
	}{
		{"missing", 404, "DeploymentNotFound"},
		{"throttled", 429, ""},
		{"filtered", 400, "content_filter"},
		{"unauthorized", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: tt.endpoint,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Code != tt.code {
				t.Fatalf("got %v", err)
			}
			if tt.status == 429 && apiErr.Response.Header.Get("Retry-After") != "7" {
				t.Fatalf("Retry-After %q", apiErr.Response.Header.Get("Retry-After"))
			}
		})
	}
	t.Run("error after streaming began", func(t *testing.T) {
		s := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "broken",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
		for s.Next() {
		}
		if s.Err() == nil {
			t.Fatal("a mid-stream error was swallowed")
		}
	})
}
