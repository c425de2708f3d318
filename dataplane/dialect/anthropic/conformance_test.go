package anthropic_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/ssestream"

	"github.com/ai-gateway/gateway/dataplane/dialect/anthropic"
	"github.com/ai-gateway/gateway/dataplane/dialect/dialecttest"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

const (
	upstreamKey = dialecttest.UpstreamKey
	clientKey   = "client-key"
)

// dataPlane is a real data plane on loopback, serving the Anthropic dialect,
// in front of a fake OpenAI upstream.
type dataPlane struct {
	url      string
	upstream *openaitest.Server
}

func newDataPlane(t *testing.T) *dataPlane {
	t.Helper()
	gw, up := dialecttest.Start(t, gateway.Dialects{Anthropic: anthropic.New()},
		gatewaytest.Endpoint("mock-chat", providers.TaskChat, "m", "mock"))
	return &dataPlane{url: gw.URL, upstream: up}
}

// client is the official SDK pointed at the gateway by base URL alone.
func (d *dataPlane) client() sdk.Client {
	return sdk.NewClient(option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(d.url+"/gateway/anthropic/"), option.WithAPIKey(clientKey),
		option.WithMaxRetries(0))
}

// checkCredentials asserts the upstream saw the server-side key and none of
// the client's.
func (d *dataPlane) checkCredentials(t *testing.T) map[string]any {
	t.Helper()
	body, h := d.upstream.LastRequest()
	dialecttest.CheckCredentials(t, h, upstreamKey, clientKey, "X-Api-Key")
	return body
}

// shape is the part of an accumulated message a client acts on.
type shape struct {
	Type, Role   string
	Content      []blockShape
	StopReason   string
	StopSequence string
	Usage        struct{ Input, Output, CacheRead, CacheCreation int64 }
}

type blockShape struct {
	Type, Text, Thinking, ID, Name string
	Input                          any
}

func shapeOf(t *testing.T, m *sdk.Message) shape {
	t.Helper()
	s := shape{Type: string(m.Type), Role: string(m.Role), StopReason: string(m.StopReason), StopSequence: m.StopSequence}
	s.Usage.Input, s.Usage.Output = m.Usage.InputTokens, m.Usage.OutputTokens
	s.Usage.CacheRead, s.Usage.CacheCreation = m.Usage.CacheReadInputTokens, m.Usage.CacheCreationInputTokens
	s.Content = []blockShape{}
	for _, b := range m.Content {
		bs := blockShape{Type: b.Type, Text: b.Text, Thinking: b.Thinking, ID: b.ID, Name: b.Name}
		if b.Type == "tool_use" {
			if err := json.Unmarshal(b.Input, &bs.Input); err != nil {
				t.Fatalf("tool_use %s input %q is not JSON: %v", b.ID, b.Input, err)
			}
		}
		s.Content = append(s.Content, bs)
	}
	return s
}

// accumulate drains an SDK stream into a message, as an application does.
func accumulate(t *testing.T, stream *ssestream.Stream[sdk.MessageStreamEventUnion]) (sdk.Message, []string) {
	t.Helper()
	defer stream.Close()
	var (
		msg    sdk.Message
		events []string
	)
	for stream.Next() {
		ev := stream.Current()
		events = append(events, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("Accumulate(%s): %v", ev.Type, err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return msg, events
}

// realService accumulates a reference transcript of the real API.
func realService(t *testing.T, name string) sdk.Message {
	t.Helper()
	f, err := os.Open("testdata/conformance/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: f}
	msg, _ := accumulate(t, ssestream.NewStream[sdk.MessageStreamEventUnion](ssestream.NewDecoder(res), nil))
	return msg
}

func sameShape(t *testing.T, what string, got, want shape) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s differs from what the SDK accumulates from the real service:\n got %+v\nwant %+v", what, got, want)
	}
}

func userText(s string) []sdk.MessageParam {
	return []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(s))}
}

func TestSDKMessagesNew(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	msg, err := c.Messages.New(t.Context(), sdk.MessageNewParams{Model: "gpt-chat", MaxTokens: 1024,
		System:   []sdk.TextBlockParam{{Text: "Be brief."}},
		Messages: userText("hello there")})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text != "fake: hello there" {
		t.Fatalf("content %+v", msg.Content)
	}
	if msg.StopReason != sdk.StopReasonEndTurn || msg.Model != "gpt-chat" || msg.Role != "assistant" || msg.Type != "message" ||
		!strings.HasPrefix(msg.ID, "msg_") {
		t.Errorf("message %s", msg.RawJSON())
	}
	if msg.Usage.InputTokens != 9 || msg.Usage.OutputTokens != 3 {
		t.Errorf("usage %+v", msg.Usage)
	}
	body := d.checkCredentials(t)
	if body["model"] != "gpt-4o-mini" || body["max_tokens"] != float64(1024) {
		t.Errorf("upstream request %v", body)
	}
	if msgs, _ := body["messages"].([]any); len(msgs) != 2 {
		t.Errorf("upstream messages %v", body["messages"])
	}
}

func TestSDKStreaming(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	msg, events := accumulate(t, c.Messages.NewStreaming(t.Context(), sdk.MessageNewParams{Model: "gpt-chat", MaxTokens: 1024,
		Messages: userText("hello streaming world")}))
	want := []string{"message_start", "content_block_start", "content_block_delta", "content_block_delta",
		"content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events %v, want %v", events, want)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "fake: hello streaming world" {
		t.Fatalf("content %+v", msg.Content)
	}
	if msg.StopReason != sdk.StopReasonEndTurn || msg.Usage.InputTokens != 9 || msg.Usage.OutputTokens != 3 || msg.Model != "gpt-chat" {
		t.Errorf("message %s", msg.RawJSON())
	}
	body := d.checkCredentials(t)
	if so, _ := body["stream_options"].(map[string]any); body["stream"] != true || so["include_usage"] != true {
		t.Errorf("upstream was not asked for a stream with usage: %v", body)
	}
}

var agentTools = []sdk.ToolUnionParam{
	{OfTool: &sdk.ToolParam{Name: "get_weather", Description: sdk.String("Current weather in a city"),
		InputSchema: sdk.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string"}},
			Required: []string{"city"}}}},
	{OfTool: &sdk.ToolParam{Name: "get_time", Description: sdk.String("Local time in a time zone"),
		InputSchema: sdk.ToolInputSchemaParam{Properties: map[string]any{"tz": map[string]any{"type": "string"}}}}},
}

// TestSDKStreamingToolUseConversation is the agent case: a streaming,
// multi-turn tool-use conversation through the Anthropic route to a
// GPT-backed endpoint, with parallel tool calls and their results going back.
func TestSDKStreamingToolUseConversation(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	history := userText("Weather and time in Paris?")

	// Turn 1: two parallel tool calls, arguments streamed in fragments.
	turn1, _ := accumulate(t, c.Messages.NewStreaming(t.Context(), sdk.MessageNewParams{Model: "agent", MaxTokens: 1024,
		Tools: agentTools, Messages: history}))
	sameShape(t, "turn 1", shapeOf(t, &turn1), shapeOf(t, ptr(realService(t, "tools_turn1.real.sse"))))
	if turn1.Model != "agent" {
		t.Errorf("model %q, want the endpoint name", turn1.Model)
	}
	calls := map[string]sdk.ToolUseBlock{}
	for _, b := range turn1.Content {
		if b.Type == "tool_use" {
			tu := b.AsToolUse()
			calls[tu.Name] = tu
		}
	}
	if len(calls) != 2 {
		t.Fatalf("want 2 tool calls, got %s", turn1.RawJSON())
	}
	var weather struct{ City, Unit string }
	if err := json.Unmarshal(calls["get_weather"].Input, &weather); err != nil || weather.City != "Paris" || weather.Unit != "c" {
		t.Errorf("get_weather input %s: %v", calls["get_weather"].Input, err)
	}
	body := d.checkCredentials(t)
	if tools, _ := body["tools"].([]any); len(tools) != 2 {
		t.Errorf("upstream tools %v", body["tools"])
	}

	// Turn 2: the assistant turn goes back as accumulated, then both results.
	history = append(history, turn1.ToParam(), sdk.NewUserMessage(
		sdk.NewToolResultBlock(calls["get_weather"].ID, "18C and sunny", false),
		sdk.NewToolResultBlock(calls["get_time"].ID, "14:05", false),
		sdk.NewTextBlock("Answer in one line.")))
	turn2, _ := accumulate(t, c.Messages.NewStreaming(t.Context(), sdk.MessageNewParams{Model: "agent", MaxTokens: 1024,
		Tools: agentTools, Messages: history}))
	sameShape(t, "turn 2", shapeOf(t, &turn2), shapeOf(t, ptr(realService(t, "tools_turn2.real.sse"))))

	// The upstream got OpenAI's shape: tool_calls, one tool message per
	// result right after them, then the rest of the user turn.
	body = d.checkCredentials(t)
	var got []string
	for _, m := range body["messages"].([]any) {
		mm := m.(map[string]any)
		role := mm["role"].(string)
		if tc, ok := mm["tool_calls"].([]any); ok {
			role += "+" + string(rune('0'+len(tc))) + "calls"
		}
		if id, ok := mm["tool_call_id"].(string); ok {
			role += ":" + id
		}
		got = append(got, role)
	}
	want := []string{"user", "assistant+2calls", "tool:call_weather_1", "tool:call_time_2", "user"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upstream messages %v, want %v", got, want)
	}

	// The same first turn, not streamed, has the same shape.
	msg, err := c.Messages.New(t.Context(), sdk.MessageNewParams{Model: "agent", MaxTokens: 1024, Tools: agentTools,
		Messages: userText("Weather and time in Paris?")})
	if err != nil {
		t.Fatal(err)
	}
	sameShape(t, "turn 1 (not streamed)", shapeOf(t, msg), shapeOf(t, ptr(realService(t, "tools_turn1.real.sse"))))
}

func ptr[T any](v T) *T { return &v }

func TestSDKCountTokens(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	res, err := c.Messages.CountTokens(t.Context(), sdk.MessageCountTokensParams{Model: "gpt-chat", Messages: userText("count me")})
	if err != nil {
		t.Fatal(err)
	}
	if res.InputTokens != 9 {
		t.Errorf("input_tokens = %d, want the backend's prompt_tokens (9)", res.InputTokens)
	}
	body := d.checkCredentials(t)
	if body["max_tokens"] != float64(1) || body["stream"] != nil {
		t.Errorf("count_tokens should ask the backend for one token: %v", body)
	}
}

func TestSDKErrors(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	tests := []struct {
		name     string
		model    string
		opts     []option.RequestOption
		status   int
		typ      string
		contains string
	}{
		{"unknown endpoint", "nope", nil, 404, "not_found_error", `"nope" does not exist`},
		{"upstream rate limited", "limited", nil, 429, "rate_limit_error", "fake upstream failure 429"},
		{"messages not a list", "gpt-chat", []option.RequestOption{option.WithJSONSet("messages", "hi")}, 400, "invalid_request_error", "messages"},
		{"max_tokens missing", "gpt-chat", []option.RequestOption{option.WithJSONDel("max_tokens")}, 400, "invalid_request_error", "max_tokens: Field required"},
		{"unknown role", "gpt-chat", []option.RequestOption{option.WithJSONSet("messages.0.role", "system")}, 400, "invalid_request_error", "messages.0.role"},
		{"bad content block", "gpt-chat", []option.RequestOption{option.WithJSONSet("messages.0.content.0.type", 7)}, 400, "invalid_request_error", "messages.0.content.0.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Messages.New(t.Context(), sdk.MessageNewParams{Model: sdk.Model(tt.model), MaxTokens: 100,
				Messages: userText("x")}, tt.opts...)
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *anthropic.Error", err)
			}
			if apiErr.StatusCode != tt.status || string(apiErr.Type()) != tt.typ {
				t.Fatalf("status %d type %q, want %d %q: %s", apiErr.StatusCode, apiErr.Type(), tt.status, tt.typ, apiErr.RawJSON())
			}
			var body struct {
				Type  string `json:"type"`
				Error struct{ Type, Message string }
			}
			if err := json.Unmarshal([]byte(apiErr.RawJSON()), &body); err != nil || body.Type != "error" || !strings.Contains(body.Error.Message, tt.contains) {
				t.Errorf("body %s (%v), want a message containing %q", apiErr.RawJSON(), err, tt.contains)
			}
			if tt.status == 429 && apiErr.Response.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q, want the upstream's 7", apiErr.Response.Header.Get("Retry-After"))
			}
			if strings.Contains(apiErr.RawJSON(), upstreamKey) {
				t.Errorf("error leaks the upstream key")
			}
		})
	}
}

// TestSDKStreamErrorMidway: an upstream failure after the stream began
// arrives as Anthropic's error event, which the SDK reports as an API error.
func TestSDKStreamErrorMidway(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	stream := c.Messages.NewStreaming(t.Context(), sdk.MessageNewParams{Model: "broken-stream", MaxTokens: 100, Messages: userText("x")})
	defer stream.Close()
	var msg sdk.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	var apiErr *sdk.Error
	if !errors.As(stream.Err(), &apiErr) || apiErr.Type() != "api_error" || !strings.Contains(apiErr.RawJSON(), "The server had an error") {
		t.Fatalf("stream error %v", stream.Err())
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "partial" {
		t.Errorf("content before the error %+v", msg.Content)
	}
}
