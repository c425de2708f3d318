package builtin

import (
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestRegistryHasEveryProvider(t *testing.T) {
	r := Registry()
	for _, id := range []string{"mock", "openai", "openai-compatible", "anthropic", "gemini", "vertex-ai", "vertex-anthropic", "azure-openai",
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
	if va, _ := r.Info("vertex-anthropic"); !va.Supports(providers.TaskChat) || va.Supports(providers.TaskEmbeddings) || !va.NeedsCredential {
		t.Errorf("vertex-anthropic info = %+v, want chat only with a credential", va)
	}
}
