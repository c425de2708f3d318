package daemon_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
	"github.com/ai-gateway/gateway/dataplane/providers/azure/azuretest"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock/bedrocktest"
	"github.com/ai-gateway/gateway/dataplane/providers/cohere/coheretest"
	"github.com/ai-gateway/gateway/dataplane/providers/databricks"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini/geminitest"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

// providerCase is one provider behind one gatewayd: an APIKey named after the
// provider id, and the Endpoints <id>-chat, <id>-tools and (when the provider
// offers embeddings) <id>-embed, each backed by the fake's model for that
// behaviour.
type providerCase struct {
	id string
	// apiKey is the APIKey's spec, below "spec:".
	apiKey string
	// chatModel answers plainly; toolsModel calls a tool on the first turn
	// (the fake's tool-call model name); embedModel is "" when the provider
	// offers no embeddings.
	chatModel, toolsModel, embedModel string
	// calls counts the requests the provider's fake received.
	calls func() int64
}

var (
	weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current weather in a city"),
		Parameters: shared.FunctionParameters{"type": "object", "additionalProperties": false,
			"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	})
	timeTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_time",
		Description: openai.String("Current time in a time zone"),
		Parameters: shared.FunctionParameters{"type": "object",
			"properties": map[string]any{"tz": map[string]any{"type": "string"}}},
	})
	toolNames = []string{"get_weather", "get_time"}
)

// toolResult is what the test's "tools" answer; every fake echoes tool
// results in its final answer.
const toolResult = "18C and sunny"

// startProviders starts a fake upstream per provider and one gatewayd whose
// manifest folder holds an APIKey and Endpoints for each. Credentials reach
// gatewayd through `env:` (Options.Getenv); each fake refuses any other.
func startProviders(t *testing.T) (*gatewayd, []providerCase, map[string]string) {
	t.Helper()
	const (
		openaiKey     = "sk-openai-fake-1d2c"
		anthropicKey  = "sk-ant-fake-9e8f"
		geminiKey     = "AIza-fake-gemini-77aa"
		azureKey      = "azure-fake-key-5b5b"
		cohereKey     = "cohere-fake-key-3c3c"
		databricksPAT = "dapi-fake-token-4d4d"
		groqKey       = "gsk_fake_groq_6e6e"
	)
	oai := openaitest.NewWithToolsAndEmbeddings(openaiKey)
	ant := anthropictest.New(anthropicKey)
	gem := geminitest.New(geminiKey)
	vtx := geminitest.New("")
	// Claude on Vertex AI accepts the tokens vtx's fake Google token endpoint mints.
	vac := anthropictest.NewVertex("fake-project", "us-east5", vtx.ValidToken)
	brk := bedrocktest.New()
	azr := azuretest.New(azureKey)
	coh := coheretest.New(cohereKey)
	dbx := openaitest.NewWithToolsAndEmbeddings(databricksPAT)
	dbx.PathPrefix = databricks.ServingPath // before the first request
	grq := openaitest.NewWithTools(groqKey)
	oll := openaitest.NewWithToolsAndEmbeddings("") // Ollama takes no key
	for _, c := range []interface{ Close() }{oai, ant, gem, vtx, vac, brk, azr, coh, dbx, grq, oll} {
		t.Cleanup(c.Close)
	}
	env := map[string]string{
		"OPENAI_API_KEY":    openaiKey,
		"ANTHROPIC_API_KEY": anthropicKey,
		"GEMINI_API_KEY":    geminiKey,
		"VERTEX_SA_JSON":    string(vtx.ServiceAccountKey("gateway@fake-project.iam.gserviceaccount.com")),
		"AWS_BEDROCK_CREDS": fmt.Sprintf(`{"accessKeyId":%q,"secretAccessKey":%q}`, bedrocktest.AccessKeyID, bedrocktest.SecretAccessKey),
		"AZURE_OPENAI_KEY":  azureKey,
		"COHERE_API_KEY":    cohereKey,
		"DATABRICKS_TOKEN":  databricksPAT,
		"GROQ_API_KEY":      groqKey,
	}
	spec := func(provider, envVar, baseURL, extra string) string {
		s := "  provider: " + provider + "\n"
		if envVar != "" {
			s += "  env: " + envVar + "\n"
		}
		return s + "  config:\n    baseURL: " + baseURL + "\n" + extra
	}
	cases := []providerCase{
		{id: "openai", apiKey: spec("openai", "OPENAI_API_KEY", oai.BaseURL(), ""),
			chatModel: "gpt-4o-mini", toolsModel: openaitest.ToolsModel, embedModel: "text-embedding-3-small", calls: oai.Calls},
		{id: "anthropic", apiKey: spec("anthropic", "ANTHROPIC_API_KEY", ant.BaseURL(), ""),
			chatModel: "claude-sonnet-4-5", toolsModel: "claude-tool-call", calls: ant.Calls},
		{id: "gemini", apiKey: spec("gemini", "GEMINI_API_KEY", gem.BaseURL(), ""),
			chatModel: "gemini-2.5-flash", toolsModel: "gemini-tool", embedModel: "text-embedding-004", calls: gem.Calls},
		{id: "vertex-ai", apiKey: spec("vertex-ai", "VERTEX_SA_JSON", vtx.BaseURL(), "    vertex: {project: fake-project, location: us-central1}\n"),
			chatModel: "gemini-2.5-flash", toolsModel: "gemini-tool", embedModel: "text-embedding-005", calls: vtx.Calls},
		{id: "vertex-anthropic", apiKey: spec("vertex-anthropic", "VERTEX_SA_JSON", vac.BaseURL(), "    vertex: {project: fake-project, location: us-east5}\n"),
			chatModel: "claude-sonnet-4-5@20250929", toolsModel: "claude-tool-call@20250929", calls: vac.Calls},
		{id: "bedrock", apiKey: spec("bedrock", "AWS_BEDROCK_CREDS", brk.BaseURL(), "    aws: {region: "+bedrocktest.Region+"}\n"),
			chatModel: "anthropic.claude-3-5-sonnet-20240620-v1:0", toolsModel: "tool-call", embedModel: "amazon.titan-embed-text-v2:0", calls: brk.Calls},
		{id: "azure-openai", apiKey: spec("azure-openai", "AZURE_OPENAI_KEY", azr.BaseURL(), "    azure: {apiVersion: 2024-10-21}\n"),
			chatModel: "gpt-4o", toolsModel: "tools", embedModel: "text-embedding-3-small", calls: azr.Calls},
		{id: "cohere", apiKey: spec("cohere", "COHERE_API_KEY", coh.BaseURL(), ""),
			chatModel: "command-r-plus", toolsModel: "tools", embedModel: "embed-english-v3.0", calls: coh.Calls},
		{id: "databricks", apiKey: spec("databricks", "DATABRICKS_TOKEN", dbx.URL, ""), // the workspace URL
			chatModel: "databricks-claude-sonnet-4", toolsModel: openaitest.ToolsModel, embedModel: "databricks-gte-large-en", calls: dbx.Calls},
		{id: "groq", apiKey: spec("groq", "GROQ_API_KEY", grq.BaseURL(), ""),
			chatModel: "llama-3.3-70b-versatile", toolsModel: openaitest.ToolsModel, calls: grq.Calls},
		{id: "ollama", apiKey: spec("ollama", "", oll.BaseURL(), ""),
			chatModel: "llama3.2", toolsModel: openaitest.ToolsModel, embedModel: "nomic-embed-text", calls: oll.Calls},
	}
	files := map[string]string{}
	for _, c := range cases {
		m := apiKey(c.id, c.apiKey) +
			endpoint(c.id+"-chat", "chat", c.chatModel, c.id, "") +
			endpoint(c.id+"-tools", "chat", c.toolsModel, c.id, "")
		if c.embedModel != "" {
			m += endpoint(c.id+"-embed", "embeddings", c.embedModel, c.id, "")
		}
		files[c.id+".yaml"] = m
	}
	// Anthropic offers no embeddings API: the controller must refuse this one.
	files["unsupported.yaml"] = endpoint("anthropic-embed", "embeddings", "claude-sonnet-4-5", "anthropic", "")
	d := startGateway(t, files, env)
	// /ready means the first reconcile is done; every Endpoint but the
	// unsupported one must then be Ready.
	for _, c := range cases {
		names := []string{c.id + "-chat", c.id + "-tools"}
		if c.embedModel != "" {
			names = append(names, c.id+"-embed")
		}
		for _, n := range names {
			if st, reason, msg := d.readyCondition(t, n); st != "True" {
				t.Fatalf("Endpoint %s is not ready: %s %s: %s", n, st, reason, msg)
			}
		}
	}
	return d, cases, env
}

// readyCondition reads an Endpoint's Ready condition through the management
// API, as gatewayctl and the UI do.
func (d *gatewayd) readyCondition(t *testing.T, name string) (status, reason, message string) {
	t.Helper()
	resp, err := d.client.Get(d.base + "/api/v1alpha1/endpoints/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET endpoint %s: status %d", name, resp.StatusCode)
	}
	var ep struct {
		Status struct {
			Conditions []struct {
				Type, Status, Reason, Message string
			} `json:"conditions"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ep); err != nil {
		t.Fatal(err)
	}
	for _, c := range ep.Status.Conditions {
		if c.Type == controller.ConditionReady {
			return c.Status, c.Reason, c.Message
		}
	}
	return "", "", ""
}

func checkUsage(t *testing.T, what string, u openai.CompletionUsage) {
	t.Helper()
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("%s: usage %d prompt + %d completion = %d total", what, u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}
}

// checkToolCalls vets the first turn of a tool conversation and returns the
// tool messages answering it.
func checkToolCalls(t *testing.T, finish string, calls []openai.ChatCompletionMessageToolCallUnion) []openai.ChatCompletionMessageParamUnion {
	t.Helper()
	if finish != "tool_calls" || len(calls) == 0 {
		t.Fatalf("first turn: finish_reason %q with %d tool calls, want tool_calls", finish, len(calls))
	}
	var results []openai.ChatCompletionMessageParamUnion
	ids := map[string]bool{}
	for i, c := range calls {
		var args map[string]any
		if c.ID == "" || ids[c.ID] || !slices.Contains(toolNames, c.Function.Name) || json.Unmarshal([]byte(c.Function.Arguments), &args) != nil {
			t.Fatalf("tool call %d: id %q, name %q, arguments %q", i, c.ID, c.Function.Name, c.Function.Arguments)
		}
		ids[c.ID] = true
		results = append(results, openai.ToolMessage(toolResult, c.ID))
	}
	return results
}

// TestProviderConformance drives an Endpoint backed by each native provider,
// and two catalog providers, through one real gatewayd with the official
// OpenAI SDK, changing only the model: plain chat, streaming with usage,
// tools over two turns (plain and streamed), and embeddings where offered.
func TestProviderConformance(t *testing.T) {
	d, cases, env := startProviders(t)
	client := d.sdk()
	ctx := t.Context()

	stream := func(t *testing.T, params openai.ChatCompletionNewParams) openai.ChatCompletionAccumulator {
		t.Helper()
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		s := client.Chat.Completions.NewStreaming(ctx, params)
		defer s.Close()
		var acc openai.ChatCompletionAccumulator
		chunks, usageChunks := 0, 0
		for s.Next() {
			ch := s.Current()
			if !acc.AddChunk(ch) {
				t.Fatalf("the accumulator rejected chunk %s", ch.RawJSON())
			}
			if ch.Usage.TotalTokens > 0 {
				usageChunks++
				if len(ch.Choices) != 0 {
					t.Errorf("usage on a chunk with choices: %s", ch.RawJSON())
				}
			}
			chunks++
		}
		if err := s.Err(); err != nil {
			t.Fatalf("stream error after %d chunks: %v", chunks, err)
		}
		if len(acc.Choices) != 1 {
			t.Fatalf("%d choices accumulated from %d chunks", len(acc.Choices), chunks)
		}
		if usageChunks != 1 {
			t.Errorf("%d chunks carry usage, want exactly the last one", usageChunks)
		}
		return acc
	}

	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			// Each cell must reach this provider's fake, not some other.
			reached := func(t *testing.T, before int64) {
				t.Helper()
				if c.calls() <= before {
					t.Errorf("the %s fake received no request", c.id)
				}
			}
			t.Run("chat", func(t *testing.T) {
				before := c.calls()
				text := "hello from " + c.id
				resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: c.id + "-chat",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage(text)}})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 || !strings.Contains(resp.Choices[0].Message.Content, text) || resp.Choices[0].FinishReason != "stop" {
					t.Fatalf("response %s", resp.RawJSON())
				}
				if resp.Object != "chat.completion" || resp.ID == "" || resp.Choices[0].Message.Role != "assistant" {
					t.Errorf("not shaped like OpenAI's: %s", resp.RawJSON())
				}
				checkUsage(t, "chat", resp.Usage)
				reached(t, before)
			})
			t.Run("stream", func(t *testing.T) {
				before := c.calls()
				text := "stream from " + c.id + " please"
				acc := stream(t, openai.ChatCompletionNewParams{Model: c.id + "-chat",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage(text)}})
				if !strings.Contains(acc.Choices[0].Message.Content, text) || acc.Choices[0].FinishReason != "stop" {
					t.Fatalf("accumulated content %q, finish_reason %q", acc.Choices[0].Message.Content, acc.Choices[0].FinishReason)
				}
				checkUsage(t, "stream", acc.Usage)
				reached(t, before)
			})
			t.Run("tools", func(t *testing.T) {
				before := c.calls()
				params := openai.ChatCompletionNewParams{Model: c.id + "-tools",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
					Tools:    []openai.ChatCompletionToolUnionParam{weatherTool, timeTool}}
				first, err := client.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				if len(first.Choices) != 1 {
					t.Fatalf("first turn: %s", first.RawJSON())
				}
				msg := first.Choices[0].Message
				results := checkToolCalls(t, string(first.Choices[0].FinishReason), msg.ToolCalls)
				checkUsage(t, "first turn", first.Usage)
				params.Messages = append(append(params.Messages, msg.ToParam()), results...)
				second, err := client.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatalf("second turn: %v", err)
				}
				if len(second.Choices) != 1 || !strings.Contains(second.Choices[0].Message.Content, toolResult) ||
					second.Choices[0].FinishReason != "stop" || len(second.Choices[0].Message.ToolCalls) != 0 {
					t.Fatalf("second turn: %s", second.RawJSON())
				}
				checkUsage(t, "second turn", second.Usage)
				reached(t, before)
			})
			t.Run("stream tools", func(t *testing.T) {
				params := openai.ChatCompletionNewParams{Model: c.id + "-tools",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
					Tools:    []openai.ChatCompletionToolUnionParam{weatherTool, timeTool}}
				first := stream(t, params)
				msg := first.Choices[0].Message
				results := checkToolCalls(t, first.Choices[0].FinishReason, msg.ToolCalls)
				checkUsage(t, "first turn", first.Usage)
				params.Messages = append(append(params.Messages, msg.ToParam()), results...)
				second := stream(t, params)
				if !strings.Contains(second.Choices[0].Message.Content, toolResult) || second.Choices[0].FinishReason != "stop" {
					t.Fatalf("second turn: content %q, finish_reason %q", second.Choices[0].Message.Content, second.Choices[0].FinishReason)
				}
				checkUsage(t, "second turn", second.Usage)
			})
			t.Run("embeddings", func(t *testing.T) {
				if c.embedModel == "" {
					t.Skipf("%s offers no embeddings", c.id)
				}
				before := c.calls()
				resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: c.id + "-embed",
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first text", "the second text"}}})
				if err != nil {
					t.Fatal(err)
				}
				if resp.Object != "list" || len(resp.Data) != 2 {
					t.Fatalf("embeddings %s", resp.RawJSON())
				}
				for i, e := range resp.Data {
					if e.Index != int64(i) || len(e.Embedding) == 0 || e.Object != "embedding" {
						t.Errorf("embedding %d: index %d, %d values", i, e.Index, len(e.Embedding))
					}
				}
				if resp.Usage.PromptTokens <= 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens {
					t.Errorf("usage %+v", resp.Usage)
				}
				reached(t, before)
			})
		})
	}

	t.Run("embeddings on anthropic", func(t *testing.T) {
		st, reason, msg := d.readyCondition(t, "anthropic-embed")
		const want = `spec.targets[0]: provider "anthropic" (APIKey "anthropic") cannot serve embeddings`
		if st != "False" || reason != controller.ReasonTaskNotSupported || msg != want {
			t.Fatalf("Ready = %s, reason %q, message %q; want False, %s, %q", st, reason, msg, controller.ReasonTaskNotSupported, want)
		}
		// Never served: it is as unknown to clients as a missing Endpoint.
		_, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "anthropic-embed",
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
			t.Errorf("embeddings on the refused Endpoint: %v, want a 404 model_not_found", err)
		}
		// A served Endpoint asked for the wrong task is a bad request.
		_, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "anthropic-chat",
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
			t.Errorf("embeddings on a chat Endpoint: %v, want a 400", err)
		}
		_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "openai-embed",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
			t.Errorf("chat on an embeddings Endpoint: %v, want a 400", err)
		}
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Data {
			if m.ID == "anthropic-embed" {
				t.Errorf("the refused Endpoint is listed in /models")
			}
		}
	})

	logs := d.logs.String()
	for name, secret := range env {
		if strings.Contains(logs, secret) {
			t.Errorf("the credential in %s appears in gatewayd's log", name)
		}
	}
}
