// Package builtin assembles the registry of every provider this build knows.
package builtin

import (
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini"
	"github.com/ai-gateway/gateway/dataplane/providers/mock"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

var allTasks = []providers.Task{providers.TaskChat, providers.TaskCompletions, providers.TaskEmbeddings}

// Registry returns a registry with the built-in providers. Adapters share one
// pooled HTTP client.
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
	return r
}
