package databricks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ai-gateway/gateway/dataplane/gateway/gatewaytest"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/databricks"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const pat = "dapi-test-token"

// tokens is a TokenSource that counts its calls.
type tokens struct{ n atomic.Int64 }

func (s *tokens) Token(_ context.Context, host string) (string, error) {
	s.n.Add(1)
	return "oauth-" + strings.TrimPrefix(host, "http://")[:9], nil
}

type env struct {
	client  openai.Client
	up      *openaitest.Server
	quirky  *httptest.Server
	tokens  *tokens
	lastReq atomic.Value
}

// newGateway runs the data plane in front of openaitest serving under
// /serving-endpoints (a workspace), plus a handler that plays Databricks'
// own quirks (null ids, Databricks error bodies, tool calls).
func newGateway(t *testing.T) *env {
	t.Helper()
	e := &env{tokens: &tokens{}}
	e.up = openaitest.New(pat)
	e.up.PathPrefix = databricks.ServingPath
	t.Cleanup(e.up.Close)
	e.quirky = httptest.NewServer(http.HandlerFunc(e.serveQuirky))
	t.Cleanup(e.quirky.Close)

	ep := gatewaytest.Endpoint
	oauth := providers.Info{ID: "databricks-oauth", Tasks: databricks.Info.Tasks, NeedsBaseURL: true}
	gw := gatewaytest.Start(t, gatewaytest.Config{
		Providers: []gatewaytest.Provider{
			{Info: databricks.Info, Adapter: databricks.New(databricks.Options{})},
			{Info: oauth, Adapter: databricks.New(databricks.Options{TokenSource: e.tokens})},
		},
		Credentials: []*providers.Credential{
			{Name: "ws", Provider: databricks.ID, BaseURL: e.up.URL + "/", Secret: pat},
			{Name: "quirky", Provider: databricks.ID, BaseURL: e.quirky.URL, Secret: pat},
			{Name: "oauth", Provider: "databricks-oauth", BaseURL: e.quirky.URL},
		},
		Endpoints: []*state.Endpoint{
			ep("chat", providers.TaskChat, "databricks-claude-sonnet-4-5", "ws"),
			ep("emb", providers.TaskEmbeddings, "databricks-gte-large-en", "ws"),
			ep("limited", providers.TaskChat, "fail-429", "ws"),
			ep("tools", providers.TaskChat, "databricks-meta-llama-3-3-70b-instruct", "quirky"),
			ep("gone", providers.TaskChat, "no-such-endpoint", "quirky"),
			ep("oauth", providers.TaskChat, "databricks-gpt-oss-120b", "oauth"),
		},
	})
	e.client = gw.OpenAI()
	return e
}

// serveQuirky answers like a Databricks pay-per-token endpoint: "id": null,
// Databricks error bodies, a tool call on the first turn.
func (e *env) serveQuirky(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role       string `json:"role"`
			Content    any    `json:"content"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	e.lastReq.Store(r.Header.Get("Authorization") + " " + r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/serving-endpoints/chat/completions" || req.Model == "no-such-endpoint" {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"The given endpoint does not exist, please retry after checking the specified model and version deployment exists."}`)
		return
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == "tool" {
		_, _ = io.WriteString(w, `{"id":null,"object":"chat.completion","created":1700000000,"model":"`+req.Model+`","choices":[{"index":0,"message":{"role":"assistant","content":"tool `+last.ToolCallID+` said `+last.Content.(string)+`"},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":5,"total_tokens":25}}`)
		return
	}
	_, _ = io.WriteString(w, `{"id":null,"object":"chat.completion","created":1700000000,"model":"`+req.Model+`","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_bdrk_01","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`)
}

func msgs(s string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(s)}
}

func TestE2EChatAndStreaming(t *testing.T) {
	e := newGateway(t)
	resp, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "chat", Messages: msgs("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "fake: hi" {
		t.Fatalf("answer %q", resp.Choices[0].Message.Content)
	}
	got, h := e.up.LastRequest()
	if got["model"] != "databricks-claude-sonnet-4-5" || h.Get("Authorization") != "Bearer "+pat {
		t.Fatalf("upstream got model %v auth %q", got["model"], h.Get("Authorization"))
	}
	s := e.client.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "chat", Messages: msgs("a b c"),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "fake: a b c" || acc.Usage.TotalTokens != 12 {
		t.Fatalf("stream %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
	}
}

func TestE2EEmbeddings(t *testing.T) {
	e := newGateway(t)
	resp, err := e.client.Embeddings.New(t.Context(), openai.EmbeddingNewParams{Model: "emb",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	if err != nil || len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 3 {
		t.Fatalf("%v %+v", err, resp)
	}
}

func TestE2EToolRoundTripWithNullIDs(t *testing.T) {
	e := newGateway(t)
	params := openai.ChatCompletionNewParams{Model: "tools", Messages: msgs("weather?"),
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_weather"})}}
	resp, err := e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if len(m.ToolCalls) != 1 || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("first turn %s", resp.RawJSON())
	}
	params.Messages = append(params.Messages, m.ToParam(), openai.ToolMessage("18C", m.ToolCalls[0].ID))
	resp, err = e.client.Chat.Completions.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "tool toolu_bdrk_01 said 18C" {
		t.Fatalf("second turn %q", resp.Choices[0].Message.Content)
	}
}

func TestE2EOAuthTokenSource(t *testing.T) {
	e := newGateway(t)
	if _, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "oauth", Messages: msgs("hi")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.lastReq.Load().(string); !strings.HasPrefix(got, "Bearer oauth-127.0.0.1 /serving-endpoints/chat/completions") || e.tokens.n.Load() != 1 {
		t.Fatalf("upstream saw %q after %d token calls", got, e.tokens.n.Load())
	}
}

func TestE2EErrors(t *testing.T) {
	e := newGateway(t)
	_, err := e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "limited", Messages: msgs("x")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Response.Header.Get("Retry-After") != "7" {
		t.Fatalf("rate limit: %v", err)
	}
	_, err = e.client.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "gone", Messages: msgs("x")})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "RESOURCE_DOES_NOT_EXIST" {
		t.Fatalf("missing endpoint: %v", err)
	}
}
