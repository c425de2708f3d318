package gemini_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini/geminitest"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const apiKey = "AIza-fake-test-key"

// env is the real data plane in front of the fake Gemini upstream, driven by
// the official OpenAI Go SDK.
type env struct {
	gw     *gatewaytest.Env
	up     *geminitest.Server
	creds  []*providers.Credential
	client openai.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	up := geminitest.New(apiKey)
	t.Cleanup(up.Close)
	gw := gatewaytest.Start(t, gatewaytest.Config{Providers: []gatewaytest.Provider{
		// The test image server is on loopback.
		{Info: gemini.Info, Adapter: gemini.New(gemini.Options{Images: &media.Fetcher{AllowPrivate: true}})},
		{Info: gemini.VertexInfo, Adapter: gemini.NewVertex(gemini.Options{})},
	}})

	vertexOpts := map[string]string{gemini.OptionProject: "fake-project", gemini.OptionLocation: "us-central1"}
	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{gw: gw, up: up}
	e.creds = []*providers.Credential{
		{Name: "studio", Provider: "gemini", BaseURL: up.BaseURL(), Secret: apiKey},
		{Name: "studio-badkey", Provider: "gemini", BaseURL: up.BaseURL(), Secret: "AIza-wrong"},
		{Name: "vertex", Provider: "vertex-ai", BaseURL: up.BaseURL(), Options: vertexOpts,
			Secret: providers.Secret(up.ServiceAccountKey("gateway@fake-project.iam.gserviceaccount.com"))},
		{Name: "vertex-noproject", Provider: "vertex-ai", BaseURL: up.BaseURL(), Options: map[string]string{gemini.OptionLocation: "us-central1"},
			Secret: providers.Secret(up.ServiceAccountKey("other@fake-project.iam.gserviceaccount.com"))},
		{Name: "vertex-rogue", Provider: "vertex-ai", BaseURL: up.BaseURL(), Options: vertexOpts,
			Secret: providers.Secret(geminitest.ServiceAccountJSON("rogue@fake-project.iam.gserviceaccount.com", rogue, up.TokenURL()))},
		{Name: "vertex-notjson", Provider: "vertex-ai", BaseURL: up.BaseURL(), Options: vertexOpts, Secret: "AIza-not-a-key"},
	}
	e.client = gw.OpenAI()
	return e
}

// serve routes endpoint name → (model, credential); names starting with
// "emb-" serve embeddings.
func (e *env) serve(routes map[string][2]string, tweak ...func(*state.Endpoint)) {
	var eps []*state.Endpoint
	for name, r := range routes {
		ep := gatewaytest.Endpoint(name, providers.TaskChat, r[0], r[1])
		if strings.HasPrefix(name, "emb-") {
			ep.Task = providers.TaskEmbeddings
		}
		for _, f := range tweak {
			f(ep)
		}
		eps = append(eps, ep)
	}
	e.gw.Serve(eps, e.creds)
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Current weather"),
	Parameters: shared.FunctionParameters{"type": "object", "additionalProperties": false,
		"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
})

var timeTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:       "get_time",
	Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
})

func chatParams(model string, msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: msgs}
}

func TestChatBothProviders(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"studio-chat": {"gemini-2.5-flash", "studio"}, "vertex-chat": {"gemini-2.5-flash", "vertex"}})
	for _, tt := range []struct{ endpoint, path, auth string }{
		{"studio-chat", "/v1beta/models/gemini-2.5-flash:generateContent", "x-goog-api-key"},
		{"vertex-chat", "/v1/projects/fake-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", "Authorization"},
	} {
		t.Run(tt.endpoint, func(t *testing.T) {
			resp, err := e.client.Chat.Completions.New(t.Context(), chatParams(tt.endpoint,
				openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")))
			if err != nil {
				t.Fatal(err)
			}
			c := resp.Choices[0]
			if c.Message.Content != "fake: Hello there" || c.FinishReason != "stop" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
				t.Errorf("unexpected answer %s", resp.RawJSON())
			}
			if resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
				t.Errorf("usage %+v", resp.Usage)
			}
			got, h := e.up.LastRequest()
			if e.up.LastPath() != tt.path {
				t.Errorf("path %s, want %s", e.up.LastPath(), tt.path)
			}
			if h.Get(tt.auth) == "" {
				t.Errorf("no %s header", tt.auth)
			}
			if gjson.Get(mustJSON(got), "systemInstruction.parts.0.text").String() != "Be brief." {
				t.Errorf("system instruction not sent: %v", got)
			}
		})
	}
}

func TestVertexTokenIsCachedAndRefreshed(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"v": {"gemini-2.5-flash", "vertex"}})
	for range 3 {
		if _, err := e.client.Chat.Completions.New(t.Context(), chatParams("v", openai.UserMessage("hi"))); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.up.TokenCalls(); n != 1 {
		t.Fatalf("token exchanges = %d, want 1 for 3 calls", n)
	}
	// A token the upstream no longer accepts fails that call with 401 and is
	// dropped, so the next call fetches a new one.
	e.up.RevokeTokens()
	_, err := e.client.Chat.Completions.New(t.Context(), chatParams("v", openai.UserMessage("hi")))
	if status(err) != 401 {
		t.Fatalf("status %d after revocation, want 401", status(err))
	}
	if _, err := e.client.Chat.Completions.New(t.Context(), chatParams("v", openai.UserMessage("hi"))); err != nil {
		t.Fatalf("after a new token: %v", err)
	}
	if n := e.up.TokenCalls(); n != 2 {
		t.Fatalf("token exchanges = %d, want 2", n)
	}
}

func TestStreamingWithAccumulator(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"studio": {"gemini-2.5-flash", "studio"}, "vertex": {"gemini-thinking", "vertex"}})
	for _, ep := range []string{"studio", "vertex"} {
		t.Run(ep, func(t *testing.T) {
			p := chatParams(ep, openai.UserMessage("stream me please"))
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			stream := e.client.Chat.Completions.NewStreaming(t.Context(), p)
			acc := openai.ChatCompletionAccumulator{}
			chunks := 0
			for stream.Next() {
				if !acc.AddChunk(stream.Current()) {
					t.Fatalf("accumulator rejected chunk %s", stream.Current().RawJSON())
				}
				chunks++
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if got := acc.Choices[0].Message.Content; got != "fake: stream me please" || acc.Choices[0].FinishReason != "stop" {
				t.Errorf("accumulated %q / %q", got, acc.Choices[0].FinishReason)
			}
			if chunks < 5 || acc.Usage.TotalTokens == 0 {
				t.Errorf("%d chunks, usage %+v", chunks, acc.Usage)
			}
			if ep == "vertex" && acc.Usage.CompletionTokensDetails.ReasoningTokens != 12 {
				t.Errorf("reasoning tokens %d, want 12", acc.Usage.CompletionTokensDetails.ReasoningTokens)
			}
			if !strings.HasSuffix(e.up.LastPath(), ":streamGenerateContent?alt=sse") {
				t.Errorf("path %s", e.up.LastPath())
			}
		})
	}
}

func TestToolRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"tool": {"gemini-tool", "studio"}, "vtool": {"gemini-tool", "vertex"}})
	for _, tt := range []struct {
		endpoint string
		stream   bool
	}{{"tool", false}, {"tool", true}, {"vtool", false}} {
		t.Run(tt.endpoint+map[bool]string{true: "-stream"}[tt.stream], func(t *testing.T) {
			p := chatParams(tt.endpoint, openai.UserMessage("Weather in Paris?"))
			p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
			var msg openai.ChatCompletionMessage
			var finish string
			if tt.stream {
				s := e.client.Chat.Completions.NewStreaming(t.Context(), p)
				acc := openai.ChatCompletionAccumulator{}
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				msg, finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
			} else {
				resp, err := e.client.Chat.Completions.New(t.Context(), p)
				if err != nil {
					t.Fatal(err)
				}
				msg, finish = resp.Choices[0].Message, resp.Choices[0].FinishReason
				if gjson.Get(resp.RawJSON(), "choices.0.message.content").Type != gjson.Null {
					t.Errorf("content must be null when the model only called tools: %s", resp.RawJSON())
				}
			}
			if finish != "tool_calls" || len(msg.ToolCalls) != 1 {
				t.Fatalf("finish %q, tool calls %+v", finish, msg.ToolCalls)
			}
			tc := msg.ToolCalls[0]
			if tc.Function.Name != "get_weather" || tc.Function.Arguments != `{"city":"Paris"}` || tc.ID == "" {
				t.Fatalf("tool call %+v", tc)
			}
			// Second turn: the fake rejects it unless the functionResponse
			// follows the call and the call carries its thought signature.
			p.Messages = append(p.Messages, msg.ToParam(), openai.ToolMessage("18C and sunny", tc.ID))
			resp, err := e.client.Chat.Completions.New(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Choices[0].Message.Content; got != `fake: got get_weather="18C and sunny"` {
				t.Errorf("second turn answered %q", got)
			}
		})
	}
}

func TestParallelToolResultsInCallOrder(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"par": {"gemini-parallel-tools", "studio"}})
	p := chatParams("par", openai.UserMessage("Weather and time?"))
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool, timeTool}
	resp, err := e.client.Chat.Completions.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[0].ID == calls[1].ID || calls[1].Function.Name != "get_time" {
		t.Fatalf("calls %+v", calls)
	}
	// Results arrive in the opposite order; Gemini gets them in call order.
	p.Messages = append(p.Messages, resp.Choices[0].Message.ToParam(),
		openai.ToolMessage("B", calls[1].ID), openai.ToolMessage("A", calls[0].ID))
	resp, err = e.client.Chat.Completions.New(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != `fake: got get_weather="A", get_time="B"` {
		t.Errorf("answered %q", got)
	}
	// One result missing: the real service refuses the turn.
	p.Messages = p.Messages[:len(p.Messages)-1]
	_, err = e.client.Chat.Completions.New(t.Context(), p)
	if status(err) != 400 || !strings.Contains(message(err), "number of function response parts") {
		t.Errorf("err = %v (%s)", err, message(err))
	}
}

func TestImageURLIsInlined(t *testing.T) {
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	defer img.Close()
	e := newEnv(t)
	e.serve(map[string][2]string{"c": {"gemini-2.5-flash", "studio"}})
	_, err := e.client.Chat.Completions.New(t.Context(), chatParams("c", openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("what is this?"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: img.URL + "/cat.png"}),
	})))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := e.up.LastRequest()
	inline := gjson.Get(mustJSON(got), "contents.0.parts.1.inlineData")
	if inline.Get("mimeType").String() != "image/png" || inline.Get("data").String() != base64.StdEncoding.EncodeToString(png) {
		t.Errorf("image not inlined: %s", inline.Raw)
	}
}

func TestEmbeddings(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"emb-studio": {"gemini-embedding-001", "studio"}, "emb-vertex": {"text-embedding-005", "vertex"},
		"emb-vertex-new": {"gemini-embedding-2", "vertex"}})
	tests := []struct {
		endpoint string
		input    []string
		dims     int64
		path     string
	}{
		{"emb-studio", []string{"one"}, 0, ":embedContent"},
		{"emb-studio", []string{"one", "two", "three"}, 4, ":batchEmbedContents"},
		{"emb-vertex", []string{"one", "two"}, 3, ":predict"},
		{"emb-vertex-new", []string{"one"}, 5, ":embedContent"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+tt.path, func(t *testing.T) {
			p := openai.EmbeddingNewParams{Model: tt.endpoint, Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: tt.input}}
			if tt.dims > 0 {
				p.Dimensions = openai.Int(tt.dims)
			}
			resp, err := e.client.Embeddings.New(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(e.up.LastPath(), tt.path) {
				t.Errorf("path %s, want suffix %s", e.up.LastPath(), tt.path)
			}
			if len(resp.Data) != len(tt.input) || resp.Usage.PromptTokens == 0 {
				t.Fatalf("response %s", resp.RawJSON())
			}
			for i, d := range resp.Data {
				want := geminitest.Vector(tt.input[i], int(tt.dims))
				if d.Index != int64(i) || len(d.Embedding) != len(want) || float32(d.Embedding[0]) != want[0] {
					t.Errorf("embedding %d = %v, want %v", i, d.Embedding, want)
				}
			}
		})
	}
	t.Run("base64", func(t *testing.T) {
		resp, err := e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "emb-studio",
			Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(gjson.Get(resp.RawJSON(), "data.0.embedding").String())
		want := geminitest.Vector("hello", 0)
		if err != nil || len(raw) != 4*len(want) || math.Float32frombits(binary.LittleEndian.Uint32(raw)) != want[0] {
			t.Errorf("base64 embedding %s", resp.RawJSON())
		}
	})
	t.Run("vertex embedContent takes one input", func(t *testing.T) {
		_, err := e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "emb-vertex-new",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
		if status(err) != 400 {
			t.Errorf("status %d, want 400", status(err))
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestForwardNativeRequests(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"contents":[{"role":"user","parts":[{"text":"native"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`)
	for _, tt := range []struct {
		adapter *gemini.Adapter
		cred    *providers.Credential
		path    string
	}{
		{gemini.New(gemini.Options{}), e.creds[0], "/v1beta/models/gemini-2.5-flash:"},
		{gemini.NewVertex(gemini.Options{}), e.creds[2], "/v1/projects/fake-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:"},
	} {
		t.Run(tt.cred.Name, func(t *testing.T) {
			out, err := tt.adapter.Forward(t.Context(), tt.cred, "gemini-2.5-flash", &providers.ForwardRequest{
				Method: "POST", Path: "/v1beta/models/{model}:generateContent", Body: body})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			if gjson.GetBytes(out.Body, "candidates.0.content.parts.0.text").String() != "fake: native" || out.Usage.PromptTokens == 0 {
				t.Errorf("forwarded answer %s, usage %+v", out.Body, out.Usage)
			}
			if e.up.LastPath() != tt.path+"generateContent" || !strings.Contains(string(e.up.LastBody()), "safetySettings") {
				t.Errorf("upstream got %s %s", e.up.LastPath(), e.up.LastBody())
			}
			s, err := tt.adapter.Forward(t.Context(), tt.cred, "gemini-2.5-flash", &providers.ForwardRequest{
				Method: "POST", Path: "/v1beta/models/{model}:streamGenerateContent", Query: "alt=sse", Body: body, Stream: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			raw, _ := io.ReadAll(s.Stream)
			if !strings.Contains(string(raw), "\r\n\r\n") || !strings.Contains(string(raw), `"finishReason":"STOP"`) {
				t.Errorf("forwarded stream %q", raw)
			}
			if e.up.LastPath() != tt.path+"streamGenerateContent?alt=sse" {
				t.Errorf("upstream path %s", e.up.LastPath())
			}
		})
	}
	_, err := gemini.New(gemini.Options{}).Forward(t.Context(), e.creds[1], "gemini-2.5-flash", &providers.ForwardRequest{
		Method: "POST", Path: "/v1beta/models/{model}:generateContent", Body: body})
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 401 {
		t.Errorf("bad key forwarded: %v", err)
	}
}
