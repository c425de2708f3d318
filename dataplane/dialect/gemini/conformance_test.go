package gemini_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genai"

	"github.com/ai-gateway/gateway/dataplane/dialect/dialecttest"
	"github.com/ai-gateway/gateway/dataplane/dialect/gemini"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

const (
	upstreamKey = dialecttest.UpstreamKey
	clientKey   = "client-key"
)

// dataPlane is a real data plane on loopback, serving the Gemini dialect, in
// front of a fake OpenAI upstream and the built-in mock provider.
type dataPlane struct {
	url      string
	upstream *openaitest.Server
}

func newDataPlane(t *testing.T) *dataPlane {
	t.Helper()
	gw, up := dialecttest.Start(t, gateway.Dialects{Gemini: gemini.New()},
		gatewaytest.Endpoint("mock-embed", providers.TaskEmbeddings, "mock-embedding", "mock"))
	return &dataPlane{url: gw.URL, upstream: up}
}

// client is the official SDK pointed at the gateway by base URL alone.
func (d *dataPlane) client(t *testing.T) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{APIKey: clientKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: d.url + "/gateway/gemini/", APIVersion: "v1beta"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkCredentials asserts the upstream saw the server-side key and none of
// the client's, and returns the body it got.
func (d *dataPlane) checkCredentials(t *testing.T) map[string]any {
	t.Helper()
	body, h := d.upstream.LastRequest()
	dialecttest.CheckCredentials(t, h, upstreamKey, clientKey, "X-Goog-Api-Key")
	return body
}

// roles summarises the upstream's messages: role, "+Ncalls" for tool calls,
// ":id" for tool results.
func roles(body map[string]any) []string {
	var got []string
	msgs, _ := body["messages"].([]any)
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		if tc, ok := mm["tool_calls"].([]any); ok {
			role += "+" + string(rune('0'+len(tc))) + "calls"
		}
		if id, ok := mm["tool_call_id"].(string); ok {
			role += ":" + id
		}
		got = append(got, role)
	}
	return got
}

func TestSDKGenerateContent(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	temp := float32(0.5)
	resp, err := c.Models.GenerateContent(t.Context(), "gpt-chat", genai.Text("hello there"), &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("Be brief.", genai.RoleUser),
		Temperature:       &temp, MaxOutputTokens: 100, StopSequences: []string{"END"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Text(); got != "fake: hello there" {
		t.Errorf("text %q", got)
	}
	if len(resp.Candidates) != 1 || resp.Candidates[0].FinishReason != genai.FinishReasonStop || resp.Candidates[0].Content.Role != genai.RoleModel {
		t.Errorf("candidates %+v", resp.Candidates)
	}
	u := resp.UsageMetadata
	if u == nil || u.PromptTokenCount != 9 || u.CandidatesTokenCount != 3 || u.TotalTokenCount != 12 {
		t.Errorf("usage %+v", u)
	}
	if resp.ModelVersion != "gpt-chat" || resp.ResponseID == "" {
		t.Errorf("modelVersion %q responseId %q", resp.ModelVersion, resp.ResponseID)
	}
	body := d.checkCredentials(t)
	if body["model"] != "gpt-4o-mini" || body["max_tokens"] != float64(100) || body["temperature"] != 0.5 {
		t.Errorf("upstream request %v", body)
	}
	if got, want := roles(body), []string{"system", "user"}; !reflect.DeepEqual(got, want) {
		t.Errorf("upstream messages %v, want %v", got, want)
	}
}

func TestSDKGenerateContentStream(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	var (
		text   strings.Builder
		last   *genai.GenerateContentResponse
		chunks int
	)
	for resp, err := range c.Models.GenerateContentStream(t.Context(), "gpt-chat", genai.Text("hello streaming world"), nil) {
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		text.WriteString(resp.Text())
		last = resp
	}
	if text.String() != "fake: hello streaming world" {
		t.Errorf("text %q", text.String())
	}
	if chunks < 2 || last == nil {
		t.Fatalf("%d chunks", chunks)
	}
	if len(last.Candidates) != 1 || last.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("last chunk %+v", last.Candidates)
	}
	if u := last.UsageMetadata; u == nil || u.PromptTokenCount != 9 || u.CandidatesTokenCount != 3 || u.TotalTokenCount != 12 {
		t.Errorf("final usage %+v", u)
	}
	body := d.checkCredentials(t)
	if so, _ := body["stream_options"].(map[string]any); body["stream"] != true || so["include_usage"] != true {
		t.Errorf("upstream was not asked for a stream with usage: %v", body)
	}
}

var agentTools = []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{
	{Name: "get_weather", Description: "Current weather in a city", Parameters: &genai.Schema{Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}, "unit": {Type: genai.TypeString}}, Required: []string{"city"}}},
	{Name: "get_time", Description: "Local time in a time zone", Parameters: &genai.Schema{Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{"tz": {Type: genai.TypeString}}}},
}}}

func checkCalls(t *testing.T, calls []*genai.FunctionCall) {
	t.Helper()
	if len(calls) != 2 {
		t.Fatalf("want 2 function calls, got %d", len(calls))
	}
	if calls[0].Name != "get_weather" || !reflect.DeepEqual(calls[0].Args, map[string]any{"city": "Paris", "unit": "c"}) {
		t.Errorf("call 0 %+v", calls[0])
	}
	if calls[1].Name != "get_time" || !reflect.DeepEqual(calls[1].Args, map[string]any{"tz": "Europe/Paris"}) {
		t.Errorf("call 1 %+v", calls[1])
	}
}

// TestSDKFunctionCalling: two turns against a GPT-backed endpoint: the model
// answers with parallel function calls, their responses go back, and the
// model answers with text; then the same conversation streamed.
func TestSDKFunctionCalling(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	cfg := &genai.GenerateContentConfig{Tools: agentTools}
	history := genai.Text("Weather and time in Paris?")

	turn1, err := c.Models.GenerateContent(t.Context(), "agent", history, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkCalls(t, turn1.FunctionCalls())
	if parts := turn1.Candidates[0].Content.Parts; len(parts) != 3 || parts[0].Text != "Checking both." {
		t.Errorf("turn 1 parts %+v", parts)
	}
	if turn1.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("finish reason %q, want STOP as Gemini sends after function calls", turn1.Candidates[0].FinishReason)
	}
	if u := turn1.UsageMetadata; u.PromptTokenCount != 50 || u.CachedContentTokenCount != 10 || u.TotalTokenCount != 70 {
		t.Errorf("usage %+v", u)
	}
	body := d.checkCredentials(t)
	if tools, _ := body["tools"].([]any); len(tools) != 2 {
		t.Errorf("upstream tools %v", body["tools"])
	}

	// Turn 2: the model's content goes back as received, then both results,
	// in the opposite order, matched by name.
	history = append(history, turn1.Candidates[0].Content, genai.NewContentFromParts([]*genai.Part{
		genai.NewPartFromFunctionResponse("get_time", map[string]any{"output": "14:05"}),
		genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "18C and sunny"}),
	}, genai.RoleUser))
	turn2, err := c.Models.GenerateContent(t.Context(), "agent", history, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `Results: {"output":"14:05"}; {"output":"18C and sunny"}`
	if got := turn2.Text(); got != want {
		t.Errorf("turn 2 text %q, want %q", got, want)
	}
	body = d.checkCredentials(t)
	if got, want := roles(body), []string{"user", "assistant+2calls", "tool:call_1_get_time", "tool:call_0_get_weather"}; !reflect.DeepEqual(got, want) {
		t.Errorf("upstream messages %v, want %v", got, want)
	}

	// The same two turns, streamed: the calls arrive whole in the last chunk.
	history = genai.Text("Weather and time in Paris?")
	var (
		calls []*genai.FunctionCall
		model = &genai.Content{Role: genai.RoleModel}
		last  *genai.GenerateContentResponse
	)
	for resp, err := range c.Models.GenerateContentStream(t.Context(), "agent", history, cfg) {
		if err != nil {
			t.Fatal(err)
		}
		if fc := resp.FunctionCalls(); fc != nil {
			calls = append(calls, fc...)
		}
		model.Parts = append(model.Parts, resp.Candidates[0].Content.Parts...)
		last = resp
	}
	checkCalls(t, calls)
	if last.Candidates[0].FinishReason != genai.FinishReasonStop || last.UsageMetadata.PromptTokenCount != 50 {
		t.Errorf("last chunk %+v usage %+v", last.Candidates[0], last.UsageMetadata)
	}
	history = append(history, model, genai.NewContentFromParts([]*genai.Part{
		genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "18C and sunny"}),
		genai.NewPartFromFunctionResponse("get_time", map[string]any{"output": "14:05"}),
	}, genai.RoleUser))
	var text strings.Builder
	for resp, err := range c.Models.GenerateContentStream(t.Context(), "agent", history, cfg) {
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(resp.Text())
	}
	if want := `Results: {"output":"18C and sunny"}; {"output":"14:05"}`; text.String() != want {
		t.Errorf("streamed turn 2 text %q, want %q", text.String(), want)
	}
	body = d.checkCredentials(t)
	if got, want := roles(body), []string{"user", "assistant+2calls", "tool:call_0_get_weather", "tool:call_1_get_time"}; !reflect.DeepEqual(got, want) {
		t.Errorf("upstream messages %v, want %v", got, want)
	}
}

// TestSDKChatSession drives the SDK's own chat helper, which keeps the
// history itself, through a function-calling round trip.
func TestSDKChatSession(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	chat, err := c.Chats.Create(t.Context(), "agent", &genai.GenerateContentConfig{Tools: agentTools}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := chat.SendMessage(t.Context(), genai.Part{Text: "Weather and time in Paris?"})
	if err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r1.FunctionCalls())
	r2, err := chat.SendMessage(t.Context(),
		*genai.NewPartFromFunctionResponse("get_weather", map[string]any{"output": "18C"}),
		*genai.NewPartFromFunctionResponse("get_time", map[string]any{"output": "14:05"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `Results: {"output":"18C"}; {"output":"14:05"}`; r2.Text() != want {
		t.Errorf("text %q, want %q", r2.Text(), want)
	}
}

func TestSDKCountTokens(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	res, err := c.Models.CountTokens(t.Context(), "gpt-chat", genai.Text("count me"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalTokens != 9 {
		t.Errorf("totalTokens = %d, want the backend's prompt_tokens (9)", res.TotalTokens)
	}
	body := d.checkCredentials(t)
	if body["max_tokens"] != float64(1) || body["stream"] != nil {
		t.Errorf("countTokens should ask the backend for one token: %v", body)
	}
}

func TestSDKEmbedContent(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	dims := int32(16)
	one, err := c.Models.EmbedContent(t.Context(), "mock-embed", genai.Text("alpha"), &genai.EmbedContentConfig{OutputDimensionality: &dims,
		TaskType: "RETRIEVAL_QUERY"})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Embeddings) != 1 || len(one.Embeddings[0].Values) != 16 {
		t.Fatalf("embeddings %+v", one.Embeddings)
	}
	contents := []*genai.Content{genai.NewContentFromText("beta", genai.RoleUser), genai.NewContentFromText("alpha", genai.RoleUser),
		genai.NewContentFromText("gamma", genai.RoleUser)}
	many, err := c.Models.EmbedContent(t.Context(), "mock-embed", contents, &genai.EmbedContentConfig{OutputDimensionality: &dims})
	if err != nil {
		t.Fatal(err)
	}
	if len(many.Embeddings) != 3 {
		t.Fatalf("%d embeddings for 3 contents", len(many.Embeddings))
	}
	// The mock derives a vector from the text: order and values must hold.
	if !reflect.DeepEqual(many.Embeddings[1].Values, one.Embeddings[0].Values) {
		t.Errorf("the batch's second embedding is not alpha's")
	}
	if reflect.DeepEqual(many.Embeddings[0].Values, many.Embeddings[2].Values) {
		t.Errorf("different texts have the same embedding")
	}

	// The embedContent method itself (go-genai always batches).
	resp, err := http.Post(d.url+"/gateway/gemini/v1beta/models/mock-embed:embedContent", "application/json",
		strings.NewReader(`{"content":{"parts":[{"text":"alpha"}]},"outputDimensionality":16}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var single struct {
		Embedding struct{ Values []float32 } `json:"embedding"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&single); err != nil || resp.StatusCode != 200 {
		t.Fatalf("embedContent: %d %v", resp.StatusCode, err)
	}
	if !reflect.DeepEqual(single.Embedding.Values, one.Embeddings[0].Values) {
		t.Errorf("embedContent %v, want %v", single.Embedding.Values, one.Embeddings[0].Values)
	}
}

func TestSDKModels(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	var names []string
	for m, err := range c.Models.All(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Name)
	}
	for _, want := range []string{"models/gpt-chat", "models/agent", "models/mock-embed"} {
		if !slices.Contains(names, want) {
			t.Errorf("models %v lack %s", names, want)
		}
	}
	m, err := c.Models.Get(t.Context(), "gpt-chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "models/gpt-chat" || !slices.Contains(m.SupportedActions, "generateContent") {
		t.Errorf("model %+v", m)
	}
	e, err := c.Models.Get(t.Context(), "mock-embed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(e.SupportedActions, "embedContent") {
		t.Errorf("embedding model %+v", e)
	}
	_, err = c.Models.Get(t.Context(), "nope", nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 404 || apiErr.Status != "NOT_FOUND" {
		t.Errorf("unknown model: %v", err)
	}
}

func TestSDKErrors(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	bad := []*genai.Content{{Role: "system", Parts: []*genai.Part{{Text: "x"}}}}
	tests := []struct {
		name     string
		model    string
		contents []*genai.Content
		stream   bool
		code     int
		status   string
		contains string
	}{
		{"unknown endpoint", "nope", genai.Text("x"), false, 404, "NOT_FOUND", `"nope" does not exist`},
		{"unknown endpoint streamed", "nope", genai.Text("x"), true, 404, "NOT_FOUND", `"nope" does not exist`},
		{"upstream rate limited", "limited", genai.Text("x"), false, 429, "RESOURCE_EXHAUSTED", "fake upstream failure 429"},
		{"upstream rate limited streamed", "limited", genai.Text("x"), true, 429, "RESOURCE_EXHAUSTED", "fake upstream failure 429"},
		{"bad role", "gpt-chat", bad, false, 400, "INVALID_ARGUMENT", "contents[0].role"},
		{"chat on an embeddings endpoint", "mock-embed", genai.Text("x"), false, 400, "INVALID_ARGUMENT", "serves embeddings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.stream {
				for _, e := range c.Models.GenerateContentStream(t.Context(), tt.model, tt.contents, nil) {
					if e != nil {
						err = e
						break
					}
				}
			} else {
				_, err = c.Models.GenerateContent(t.Context(), tt.model, tt.contents, nil)
			}
			var apiErr genai.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not a genai.APIError", err)
			}
			if apiErr.Code != tt.code || apiErr.Status != tt.status || !strings.Contains(apiErr.Message, tt.contains) {
				t.Errorf("error %+v, want %d %s containing %q", apiErr, tt.code, tt.status, tt.contains)
			}
			if tt.code == 429 && (len(apiErr.Details) != 1 || apiErr.Details[0]["retryDelay"] != "7s") {
				t.Errorf("429 details %v, want RetryInfo with the upstream's 7s", apiErr.Details)
			}
			if strings.Contains(apiErr.Message, upstreamKey) {
				t.Errorf("error leaks the upstream key")
			}
		})
	}
	// The upstream's Retry-After reaches the client too.
	resp, err := http.Post(d.url+"/gateway/gemini/v1beta/models/limited:generateContent", "application/json",
		strings.NewReader(`{"contents":[{"parts":[{"text":"x"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestSDKStreamErrorMidway: an upstream failure after the stream began
// arrives as an error event, which the SDK yields as an APIError after the
// text that came before it.
func TestSDKStreamErrorMidway(t *testing.T) {
	d := newDataPlane(t)
	c := d.client(t)
	var (
		text strings.Builder
		got  error
	)
	for resp, err := range c.Models.GenerateContentStream(t.Context(), "broken-stream", genai.Text("x"), nil) {
		if err != nil {
			got = err
			break
		}
		text.WriteString(resp.Text())
	}
	var apiErr genai.APIError
	if !errors.As(got, &apiErr) || apiErr.Code < 500 || !strings.Contains(apiErr.Message, "The server had an error") {
		t.Fatalf("stream error %v", got)
	}
	if text.String() != "partial" {
		t.Errorf("text before the error %q", text.String())
	}
}

// TestJSONArrayStream: without alt=sse Gemini streams one JSON array; the
// client's key= query parameter is accepted and never travels.
func TestJSONArrayStream(t *testing.T) {
	d := newDataPlane(t)
	resp, err := http.Post(d.url+"/gateway/gemini/v1beta/models/gpt-chat:streamGenerateContent?key="+clientKey, "application/json",
		strings.NewReader(`{"contents":[{"role":"user","parts":[{"text":"array please"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var chunks []genai.GenerateContentResponse
	if err := json.NewDecoder(resp.Body).Decode(&chunks); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for i := range chunks {
		text.WriteString(chunks[i].Text())
	}
	lastChunk := chunks[len(chunks)-1]
	if text.String() != "fake: array please" || lastChunk.UsageMetadata == nil || lastChunk.UsageMetadata.TotalTokenCount != 12 ||
		lastChunk.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("text %q, last chunk %+v", text.String(), lastChunk)
	}
	d.checkCredentials(t)
}
