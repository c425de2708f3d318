// Package builtin assembles the registry of every provider this build knows.
package builtin

import (
	"fmt"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers/azure"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock"
	"github.com/ai-gateway/gateway/dataplane/providers/catalog"
	"github.com/ai-gateway/gateway/dataplane/providers/cohere"
	"github.com/ai-gateway/gateway/dataplane/providers/databricks"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini"
	"github.com/ai-gateway/gateway/dataplane/providers/mock"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

var allTasks = []providers.Task{providers.TaskChat, providers.TaskCompletions, providers.TaskEmbeddings}

// Registry returns a registry with the built-in providers: the native
// adapters and every entry of the OpenAI-compatible catalog. Adapters share
// one pooled HTTP client.
func Registry() *providers.Registry {
	r := providers.NewRegistry()
	client := openai.NewClient()
	r.Register(mock.Info, mock.New())
	openAI := providers.Info{ID: "openai", DisplayName: "OpenAI", Tasks: allTasks, NeedsCredential: true,
		DefaultBaseURL: "https://api.openai.com/v1"}
	r.Register(openAI, openai.New(openai.Options{Info: openAI, StreamUsage: true, Client: client}))
	// Any server that speaks OpenAI's API: vLLM, LM Studio, llama.cpp, a
	// company proxy. The base URL is required; the key is optional.
	compat := providers.Info{ID: "openai-compatible", DisplayName: "OpenAI-compatible server", Tasks: allTasks, NeedsBaseURL: true}
	r.Register(compat, openai.New(openai.Options{Info: compat, Client: client}))
	r.Register(anthropic.Info, anthropic.New(anthropic.Options{Client: client}))
	r.Register(gemini.Info, gemini.New(gemini.Options{Client: client}))
	r.Register(gemini.VertexInfo, gemini.NewVertex(gemini.Options{Client: client}))
	r.Register(anthropic.VertexInfo, anthropic.NewVertex(anthropic.Options{Client: client}))
	r.Register(azure.Info, azure.New(azure.Options{Client: client}))
	r.Register(bedrock.Info, bedrock.New(bedrock.Options{Client: client}))
	r.Register(cohere.Info, cohere.New(cohere.Options{Client: client}))
	r.Register(databricks.Info, databricks.New(databricks.Options{Client: client}))
	if err := catalog.Register(r, client); err != nil {
		// The catalog is embedded and tested; failing here is a build defect.
		panic(fmt.Sprintf("provider catalog: %v", err))
	}
	return r
}
