package builtin

import (
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestRegistryHasEveryProvider(t *testing.T) {
	r := Registry()
	for _, id := range []string{"mock", "openai", "openai-compatible", "anthropic", "gemini", "vertex-ai", "azure-openai",
		"cohere", "databricks", "bedrock", "groq", "mistral", "together", "ollama", "vllm"} {
		if _, ok := r.Adapter(id); !ok {
			t.Errorf("provider %q is not registered", id)
		}
	}
	if n := len(r.List()); n < 100 {
		t.Errorf("only %d providers registered, want at least 100", n)
	}
	anth, _ := r.Info("anthropic")
	if anth.Supports(providers.TaskEmbeddings) {
		t.Error("anthropic claims embeddings")
	}
}
