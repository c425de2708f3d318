package daemon_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
)

// TestVertexAnthropicNative sends Anthropic SDK requests to /gateway/anthropic
// for an Endpoint backed by vertex-anthropic: they are forwarded natively
// (the answer names the Vertex model, not the Endpoint, as forwarded answers
// do), plain, streamed, with a tool call and to count_tokens.
func TestVertexAnthropicNative(t *testing.T) {
	d, _, _ := startProviders(t)
	client := anthropic.NewClient(anthropicopt.WithoutEnvironmentDefaults(), anthropicopt.WithBaseURL(d.base+"/gateway/anthropic/"),
		anthropicopt.WithAPIKey("dummy-client-key"), anthropicopt.WithMaxRetries(0),
		anthropicopt.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	ctx := t.Context()
	params := anthropic.MessageNewParams{Model: "vertex-anthropic-chat", MaxTokens: 256,
		System:   []anthropic.TextBlockParam{{Text: "Be brief."}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello native vertex"))}}

	msg, err := client.Messages.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "fake: hello native vertex" || msg.StopReason != anthropic.StopReasonEndTurn ||
		msg.Model != "claude-sonnet-4-5@20250929" || msg.Usage.InputTokens <= 0 || msg.Usage.OutputTokens <= 0 {
		t.Fatalf("message %s", msg.RawJSON())
	}

	s := client.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	for s.Next() {
		if err := acc.Accumulate(s.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(acc.Content) != 1 || acc.Content[0].Text != "fake: hello native vertex" || acc.StopReason != anthropic.StopReasonEndTurn || acc.Usage.OutputTokens <= 0 {
		t.Fatalf("streamed message %+v", acc)
	}

	tools := params
	tools.Model = "vertex-anthropic-tools"
	tools.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather",
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}}}}}
	msg, err = client.Messages.New(ctx, tools)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) == 0 || msg.Content[len(msg.Content)-1].Name != "get_weather" ||
		!strings.HasPrefix(msg.Content[len(msg.Content)-1].ID, "toolu_") {
		t.Fatalf("tool turn %s", msg.RawJSON())
	}

	n, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "vertex-anthropic-chat",
		Messages: params.Messages})
	if err != nil {
		t.Fatal(err)
	}
	if n.InputTokens <= 0 {
		t.Errorf("count_tokens %s", n.RawJSON())
	}

	// A model error keeps Anthropic's shape for the SDK.
	_, err = client.Messages.New(ctx, anthropic.MessageNewParams{Model: "no-such-endpoint", MaxTokens: 5, Messages: params.Messages})
	if err == nil {
		t.Fatal("unknown endpoint accepted")
	}
}
