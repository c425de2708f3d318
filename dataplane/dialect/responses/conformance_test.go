package responses_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	sdkresp "github.com/openai/openai-go/v3/responses"

	"github.com/ai-gateway/gateway/dataplane/dialect/dialecttest"
	"github.com/ai-gateway/gateway/dataplane/dialect/responses"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const (
	upstreamKey = "sk-upstream-test"
	clientKey   = "client-key-must-not-leak"
)

// dataPlane is a real data plane on loopback serving the Responses API in
// front of a fake OpenAI upstream, reached two ways: as provider "openai"
// (native forwarding of /v1/responses) and as "openai-compatible" (a
// chat-only provider as far as the gateway knows: translation to
// /v1/chat/completions).
type dataPlane struct {
	url      string
	upstream *openaitest.ResponsesServer
}

func newDataPlane(t *testing.T) *dataPlane {
	t.Helper()
	up := openaitest.NewWithResponses(upstreamKey)
	t.Cleanup(up.Close)
	ep := gatewaytest.Endpoint
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Registry: builtin.Registry(),
		Credentials: []*providers.Credential{
			{Name: "native", Provider: "openai", BaseURL: up.BaseURL(), Secret: upstreamKey},
			{Name: "compat", Provider: "openai-compatible", BaseURL: up.BaseURL(), Secret: upstreamKey},
		},
		Endpoints: []*state.Endpoint{
			ep("gpt-native", providers.TaskChat, "gpt-real", "native"),
			ep("native-limited", providers.TaskChat, "fail-429", "native"),
			ep("gpt-chat", providers.TaskChat, "gpt-4o-mini", "compat"),
			ep("agent", providers.TaskChat, openaitest.ToolsModel, "compat"),
			ep("limited", providers.TaskChat, "fail-429", "compat"),
			ep("broken-stream", providers.TaskChat, "error-stream", "compat"),
		},
		Dialects: gateway.Dialects{Responses: responses.New()},
	})
	return &dataPlane{url: gw.URL, upstream: up}
}

// client is the official SDK pointed at the gateway by base URL alone.
func (d *dataPlane) client() openai.Client {
	return openai.NewClient(option.WithBaseURL(d.url+"/gateway/openai/v1"), option.WithAPIKey(clientKey), option.WithMaxRetries(0))
}

// checkCredentials asserts the upstream saw the server-side key and none of
// the client's.
func checkCredentials(t *testing.T, h http.Header) {
	t.Helper()
	dialecttest.CheckCredentials(t, h, upstreamKey, clientKey)
}

// streamed is what a client makes of a Responses stream.
type streamed struct {
	events []string
	// final is the response of the terminal event.
	final sdkresp.Response
	// snapshot is what the SDK's own ResponseAccumulator collected.
	snapshot sdkresp.ResponseAccumulatorSnapshot
}

// accumulate drains a stream, feeding every event to the SDK's
// ResponseAccumulator and checking the protocol as a strict client would:
// sequence numbers count from 0, items are added and done one at a time at
// the next output index, deltas add up to the done values, and the terminal
// response holds exactly the items streamed.
func accumulate(t *testing.T, stream *ssestream.Stream[sdkresp.ResponseStreamEventUnion]) streamed {
	t.Helper()
	defer stream.Close()
	var (
		out   streamed
		acc   sdkresp.ResponseAccumulator
		items []sdkresp.ResponseOutputItemUnion
		open  = -1
		text  strings.Builder
		args  strings.Builder
		seq   int64
	)
	for stream.Next() {
		ev := stream.Current()
		out.events = append(out.events, ev.Type)
		if ev.SequenceNumber != seq {
			t.Errorf("%s: sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq++
		var sev sdkresp.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &sev); err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		if err := acc.AddEvent(sev); err != nil && ev.Type != "error" {
			t.Fatalf("the SDK's accumulator refuses %s: %v", ev.RawJSON(), err)
		}
		switch ev.Type {
		case "response.output_item.added":
			if open >= 0 || ev.OutputIndex != int64(len(items)) || ev.Item.ID == "" {
				t.Fatalf("item added at %d while %d is open (%d items): %s", ev.OutputIndex, open, len(items), ev.RawJSON())
			}
			open = int(ev.OutputIndex)
			items = append(items, ev.Item)
			text.Reset()
			args.Reset()
		case "response.content_part.added":
			text.Reset()
		case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta":
			if open < 0 || ev.OutputIndex != int64(open) || ev.ItemID != items[open].ID {
				t.Fatalf("delta for an item that is not open: %s", ev.RawJSON())
			}
			if ev.Type == "response.function_call_arguments.delta" {
				args.WriteString(ev.Delta)
			} else {
				text.WriteString(ev.Delta)
			}
		case "response.output_text.done":
			if ev.Text != text.String() {
				t.Errorf("output_text.done %q, deltas %q", ev.Text, text.String())
			}
		case "response.function_call_arguments.done":
			if ev.Arguments != args.String() {
				t.Errorf("function_call_arguments.done %q, deltas %q", ev.Arguments, args.String())
			}
		case "response.output_item.done":
			if open < 0 || ev.OutputIndex != int64(open) || ev.Item.ID != items[open].ID {
				t.Fatalf("done for an item that is not open: %s", ev.RawJSON())
			}
			items[open] = ev.Item
			open = -1
		case "response.completed", "response.incomplete", "response.failed":
			out.final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(out.events) < 3 || out.events[0] != "response.created" || out.events[1] != "response.in_progress" {
		t.Errorf("the stream does not open with response.created, response.in_progress: %v", out.events)
	}
	out.snapshot = acc.Snapshot()
	if last := out.events[len(out.events)-1]; last != "response.failed" {
		if open >= 0 {
			t.Errorf("item %d still open at %s", open, last)
		}
		if out.snapshot.TerminalEvent != last {
			t.Errorf("the SDK's accumulator saw terminal %q, want %q", out.snapshot.TerminalEvent, last)
		}
		if got, want := itemShapes(out.final.Output), itemShapes(items); !reflect.DeepEqual(got, want) {
			t.Errorf("terminal output differs from the streamed items:\n got %+v\nwant %+v", got, want)
		}
	}
	return out
}

// itemShape is the part of an output item a client acts on.
type itemShape struct {
	Type, Status, Text, CallID, Name, Arguments string
}

func itemShapes(items []sdkresp.ResponseOutputItemUnion) []itemShape {
	out := []itemShape{}
	for _, it := range items {
		s := itemShape{Type: it.Type, Status: it.Status, CallID: it.CallID, Name: it.Name, Arguments: it.Arguments.OfString}
		for _, c := range it.Content {
			s.Text += c.Text + c.Refusal
		}
		out = append(out, s)
	}
	return out
}

func toolParams() []sdkresp.ToolUnionParam {
	return []sdkresp.ToolUnionParam{
		{OfFunction: &sdkresp.FunctionToolParam{Name: "get_weather", Description: openai.String("Current weather"), Strict: openai.Bool(true),
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"},
				"unit": map[string]any{"type": "string"}}, "required": []string{"city", "unit"}, "additionalProperties": false}}},
		{OfFunction: &sdkresp.FunctionToolParam{Name: "get_time", Strict: openai.Bool(false),
			Parameters: map[string]any{"type": "object", "properties": map[string]any{"tz": map[string]any{"type": "string"}}}}},
	}
}

// ---- (a) an OpenAI-backed endpoint: native forwarding ----

// TestNativeForwardByteForByte: the client's body reaches OpenAI with only
// the model changed and the server's key, and OpenAI's answer comes back
// byte for byte, streamed or not.
func TestNativeForwardByteForByte(t *testing.T) {
	d := newDataPlane(t)
	for _, stream := range []bool{false, true} {
		body := `{ "model": "gpt-native",  "input": [{"role":"user","content":[{"type":"input_text","text":"hello"}]}],
  "tools": [{"type": "web_search"}], "previous_response_id": null, "stream": ` + map[bool]string{false: "false", true: "true"}[stream] + `,
  "brand_new_param": {"nested": [1, 2.50, "x"]} }`
		req, err := http.NewRequest("POST", d.url+"/gateway/openai/v1/responses", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+clientKey)
		req.Header.Set("X-Api-Key", clientKey)
		req.Header.Set("OpenAI-Beta", "responses=experimental")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("stream=%v: status %d: %s", stream, resp.StatusCode, got)
		}
		sent, h := d.upstream.LastResponsesRequest()
		if want := strings.Replace(body, `"gpt-native"`, `"gpt-real"`, 1); string(sent) != want {
			t.Errorf("stream=%v: upstream body\n%s\nwant\n%s", stream, sent, want)
		}
		checkCredentials(t, h)
		if h.Get("X-Api-Key") != "" {
			t.Errorf("x-api-key reached the upstream")
		}
		if h.Get("Openai-Beta") != "responses=experimental" {
			t.Errorf("openai-beta not forwarded: %v", h)
		}
		if stream && h.Get("Accept") != "text/event-stream" {
			t.Errorf("a stream was not asked for with Accept: %v", h)
		}
		if answer := d.upstream.LastResponsesAnswer(); string(got) != string(answer) {
			t.Errorf("stream=%v: the answer changed on the way:\n%s\nupstream sent\n%s", stream, got, answer)
		}
		if resp.Header.Get("X-Request-Id") != "req_fake_responses" {
			t.Errorf("upstream request id not passed on: %v", resp.Header)
		}
	}
	if n := d.upstream.ResponsesCalls(); n != 2 {
		t.Errorf("upstream Responses calls = %d, want 2", n)
	}
}

func TestSDKNativeNew(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	resp, err := c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-native",
		Input: sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hello there")}},
		option.WithJSONSet("brand_new_param", map[string]any{"x": []int{1, 2}}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID != "resp_fake" || resp.OutputText() != "fake: hello there" || resp.Status != "completed" || resp.Model != "gpt-real" {
		t.Errorf("unexpected response %s", resp.RawJSON())
	}
	if resp.Usage.InputTokens != 9 || resp.Usage.OutputTokens != 3 || resp.Usage.InputTokensDetails.CachedTokens != 2 {
		t.Errorf("usage %+v", resp.Usage)
	}
	sent, h := d.upstream.LastResponsesRequest()
	checkCredentials(t, h)
	var got map[string]any
	if err := json.Unmarshal(sent, &got); err != nil {
		t.Fatal(err)
	}
	if got["model"] != "gpt-real" || !reflect.DeepEqual(got["brand_new_param"], map[string]any{"x": []any{1.0, 2.0}}) {
		t.Errorf("upstream got %s", sent)
	}
}

func TestSDKNativeStreaming(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	s := accumulate(t, c.Responses.NewStreaming(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-native",
		Input: sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hello there")}}))
	if s.snapshot.OutputText() != "fake: hello there" || s.final.OutputText() != "fake: hello there" || s.final.Status != "completed" {
		t.Errorf("accumulated %q, final %s", s.snapshot.OutputText(), s.final.RawJSON())
	}
	if s.final.Usage.TotalTokens != 12 {
		t.Errorf("usage %+v", s.final.Usage)
	}
	_, h := d.upstream.LastResponsesRequest()
	checkCredentials(t, h)
}

func TestSDKNativeRateLimited(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	_, err := c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "native-limited",
		Input: sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	checkAPIError(t, err, 429, "fake upstream failure 429")
}

// ---- (b) a chat-only endpoint: translation ----

func TestSDKTranslatedNew(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	resp, err := c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-chat",
		Instructions: openai.String("Be brief."),
		Input:        sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hello there")},
		Temperature:  openai.Float(0.3), MaxOutputTokens: openai.Int(100)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != "fake: hello there" || resp.Status != "completed" || resp.Model != "gpt-chat" ||
		!strings.HasPrefix(resp.ID, "resp_") || resp.Object != "response" {
		t.Errorf("unexpected response %s", resp.RawJSON())
	}
	if len(resp.Output) != 1 || resp.Output[0].Type != "message" || resp.Output[0].Role != "assistant" || resp.Output[0].Status != "completed" {
		t.Errorf("output %+v", resp.Output)
	}
	if resp.Usage.InputTokens != 9 || resp.Usage.OutputTokens != 3 || resp.Usage.TotalTokens != 12 {
		t.Errorf("usage %+v", resp.Usage)
	}
	if resp.Temperature != 0.3 || resp.MaxOutputTokens != 100 || resp.Instructions.OfString != "Be brief." {
		t.Errorf("settings not echoed: %s", resp.RawJSON())
	}
	body, h := d.upstream.LastRequest()
	checkCredentials(t, h)
	msgs, _ := json.Marshal(body["messages"])
	if string(msgs) != `[{"content":"Be brief.","role":"system"},{"content":"hello there","role":"user"}]` || body["max_tokens"] != 100.0 {
		t.Errorf("upstream got %v", body)
	}
	if d.upstream.ResponsesCalls() != 0 {
		t.Errorf("a chat-only endpoint was sent a Responses request")
	}
}

func TestSDKTranslatedStreaming(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	s := accumulate(t, c.Responses.NewStreaming(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-chat",
		Input: sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hello there")}}))
	if s.snapshot.OutputText() != "fake: hello there" || s.final.OutputText() != "fake: hello there" {
		t.Errorf("accumulated %q, final %q", s.snapshot.OutputText(), s.final.OutputText())
	}
	if s.events[len(s.events)-1] != "response.completed" || s.final.Status != "completed" || s.final.Model != "gpt-chat" {
		t.Errorf("events %v, final %s", s.events, s.final.RawJSON())
	}
	if s.final.Usage.InputTokens != 9 || s.final.Usage.OutputTokens != 3 {
		t.Errorf("usage %+v", s.final.Usage)
	}
	body, h := d.upstream.LastRequest()
	checkCredentials(t, h)
	if body["stream"] != true || !reflect.DeepEqual(body["stream_options"], map[string]any{"include_usage": true}) {
		t.Errorf("upstream got %v", body)
	}
}

// TestSDKTranslatedTools: an agent turn over a chat-only backend, plain and
// streamed: parallel function calls, their outputs sent back, a final text.
func TestSDKTranslatedTools(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "stream"}[stream], func(t *testing.T) {
			d := newDataPlane(t)
			c := d.client()
			input := sdkresp.ResponseInputParam{sdkresp.ResponseInputItemParamOfMessage("Weather and time in Paris?", sdkresp.EasyInputMessageRoleUser)}
			params := sdkresp.ResponseNewParams{Model: "agent", Tools: toolParams(), ParallelToolCalls: openai.Bool(true),
				Input: sdkresp.ResponseNewParamsInputUnion{OfInputItemList: input}}
			send := func() sdkresp.Response {
				t.Helper()
				if stream {
					s := accumulate(t, c.Responses.NewStreaming(t.Context(), params))
					return s.final
				}
				r, err := c.Responses.New(t.Context(), params)
				if err != nil {
					t.Fatal(err)
				}
				return *r
			}

			turn1 := send()
			want := []itemShape{
				{Type: "message", Status: "completed", Text: "Checking both."},
				{Type: "function_call", Status: "completed", CallID: "call_weather_1", Name: "get_weather", Arguments: `{"city":"Paris","unit":"c"}`},
				{Type: "function_call", Status: "completed", CallID: "call_time_2", Name: "get_time", Arguments: `{"tz":"Europe/Paris"}`},
			}
			if got := itemShapes(turn1.Output); !reflect.DeepEqual(got, want) {
				t.Fatalf("turn 1 output\n got %+v\nwant %+v", got, want)
			}
			if turn1.Status != "completed" || turn1.Usage.InputTokens != 50 || turn1.Usage.InputTokensDetails.CachedTokens != 10 || turn1.Usage.OutputTokens != 20 {
				t.Errorf("turn 1: %s", turn1.RawJSON())
			}
			upBody, h := d.upstream.LastRequest()
			checkCredentials(t, h)
			tools, _ := json.Marshal(upBody["tools"])
			if !strings.Contains(string(tools), `"function":{"description":"Current weather","name":"get_weather"`) || upBody["parallel_tool_calls"] != true {
				t.Errorf("upstream tools %s", tools)
			}

			// Turn 2: the output goes back as input, with a result per call.
			results := map[string]string{"call_weather_1": "18C, sunny", "call_time_2": "14:05"}
			for _, it := range turn1.Output {
				switch it.Type {
				case "message":
					m := it.AsMessage().ToParam()
					input = append(input, sdkresp.ResponseInputItemUnionParam{OfOutputMessage: &m})
				case "function_call":
					fc := it.AsFunctionCall()
					input = append(input, sdkresp.ResponseInputItemParamOfFunctionCall(fc.Arguments, fc.CallID, fc.Name))
				}
			}
			for _, id := range []string{"call_weather_1", "call_time_2"} {
				out := sdkresp.ResponseInputItemParamOfFunctionCallOutput(results[id])
				out.OfFunctionCallOutput.CallID = openai.String(id)
				input = append(input, out)
			}
			params.Input = sdkresp.ResponseNewParamsInputUnion{OfInputItemList: input}
			turn2 := send()
			if turn2.OutputText() != "Results: 18C, sunny; 14:05" || turn2.Status != "completed" {
				t.Errorf("turn 2: %s", turn2.RawJSON())
			}
			upBody, _ = d.upstream.LastRequest()
			msgs, _ := json.Marshal(upBody["messages"])
			for _, s := range []string{`"role":"assistant"`, `"tool_calls":[{"function":{"arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}","name":"get_weather"},"id":"call_weather_1"`,
				`{"content":"18C, sunny","role":"tool","tool_call_id":"call_weather_1"}`, `{"content":"14:05","role":"tool","tool_call_id":"call_time_2"}`} {
				if !strings.Contains(string(msgs), s) {
					t.Errorf("upstream messages lack %s: %s", s, msgs)
				}
			}
		})
	}
}

func checkAPIError(t *testing.T, err error, status int, contains string) *openai.Error {
	t.Helper()
	var ae *openai.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want an *openai.Error", err, err)
	}
	if ae.StatusCode != status || !strings.Contains(ae.Message, contains) {
		t.Errorf("status %d message %q, want %d containing %q", ae.StatusCode, ae.Message, status, contains)
	}
	if status == 429 && ae.Response.Header.Get("Retry-After") != "7" {
		t.Errorf("Retry-After %q, want the upstream's 7", ae.Response.Header.Get("Retry-After"))
	}
	if strings.Contains(ae.RawJSON(), upstreamKey) {
		t.Errorf("the error leaks the credential: %s", ae.RawJSON())
	}
	return ae
}

func TestSDKErrors(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	hi := sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hi")}

	_, err := c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "no-such-endpoint", Input: hi})
	if ae := checkAPIError(t, err, 404, `"no-such-endpoint" does not exist`); ae.Code != "model_not_found" || ae.Param != "model" {
		t.Errorf("code %q param %q", ae.Code, ae.Param)
	}
	_, err = c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "limited", Input: hi})
	checkAPIError(t, err, 429, "fake upstream failure 429")

	stream := c.Responses.NewStreaming(t.Context(), sdkresp.ResponseNewParams{Model: "limited", Input: hi})
	for stream.Next() {
		t.Errorf("event from a failed request: %s", stream.Current().RawJSON())
	}
	checkAPIError(t, stream.Err(), 429, "fake upstream failure 429")

	_, err = c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-chat", Input: hi}, option.WithJSONSet("temperature", "hot"))
	if ae := checkAPIError(t, err, 400, "Invalid type for 'temperature'"); ae.Param != "temperature" || ae.Type != "invalid_request_error" {
		t.Errorf("param %q type %q", ae.Param, ae.Type)
	}

	// A feature only OpenAI runs, on a chat-only endpoint: refused, never
	// answered without it. (400 once the gateway calls CheckTranslate before
	// translating; until then the translated answer is refused with 502.)
	_, err = c.Responses.New(t.Context(), sdkresp.ResponseNewParams{Model: "gpt-chat", Input: hi,
		PreviousResponseID: openai.String("resp_earlier")})
	var ae *openai.Error
	if !errors.As(err, &ae) || (ae.StatusCode != 400 && ae.StatusCode != 502) || !strings.Contains(ae.Message, "previous_response_id: needs an OpenAI-backed endpoint") {
		t.Errorf("previous_response_id on a chat-only endpoint: %v", err)
	}
}

// TestSDKTranslatedStreamFailure: an upstream failure mid-stream is an
// "error" event and response.failed, with what was generated so far.
func TestSDKTranslatedStreamFailure(t *testing.T) {
	d := newDataPlane(t)
	c := d.client()
	s := accumulate(t, c.Responses.NewStreaming(t.Context(), sdkresp.ResponseNewParams{Model: "broken-stream",
		Input: sdkresp.ResponseNewParamsInputUnion{OfString: openai.String("hi")}}))
	n := len(s.events)
	if n < 2 || s.events[n-2] != "error" || s.events[n-1] != "response.failed" {
		t.Fatalf("events %v", s.events)
	}
	if s.final.Status != "failed" || s.final.Error.Code != "server_error" || !strings.Contains(s.final.Error.Message, "error while processing") {
		t.Errorf("failed response %s", s.final.RawJSON())
	}
	if s.final.OutputText() != "partial" || s.final.Output[0].Status != "incomplete" {
		t.Errorf("the partial output is lost: %s", s.final.RawJSON())
	}
}
