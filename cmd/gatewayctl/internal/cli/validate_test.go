package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
)

func keyDoc(name, provider string) string {
	return "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: " + name + "}\nspec:\n  provider: " + provider + "\n  env: SOME_KEY\n" +
		"  config: {baseURL: 'https://example.com/v1'}\n---\n"
}

func endpointDoc(name, task string, targets, fallbacks []string) string {
	s := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: " + name + "}\nspec:\n"
	if task != "" {
		s += "  task: " + task + "\n"
	}
	s += "  targets:\n"
	for _, k := range targets {
		s += "  - {model: m, apiKeyRef: " + k + "}\n"
	}
	if len(fallbacks) > 0 {
		s += "  fallbacks:\n"
		for _, k := range fallbacks {
			s += "  - {model: m, apiKeyRef: " + k + "}\n"
		}
	}
	return s + "---\n"
}

// TestValidateProviders: offline validation checks providers against the
// built-in catalog, as the controller does (ProviderNotFound,
// TaskNotSupported), with the controller's wording.
func TestValidateProviders(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		code     int
		out      string
		errLines []string // stderr, line by line
	}{
		{
			name: "every provider serving its task",
			manifest: keyDoc("oai", "openai") + keyDoc("claude", "anthropic") + keyDoc("groq", "groq") + keyDoc("local", "ollama") +
				endpointDoc("chat", "", []string{"claude", "groq"}, []string{"oai", "local"}) +
				endpointDoc("emb", "embeddings", []string{"oai", "local"}, nil) +
				endpointDoc("legacy", "completions", []string{"oai"}, nil),
			code: 0, out: "7 documents valid\n",
		},
		{
			name:     "embeddings on anthropic",
			manifest: keyDoc("claude", "anthropic") + endpointDoc("emb", "embeddings", []string{"claude"}, nil),
			code:     1, out: "1 document valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 2: Endpoint/emb: spec.targets[0]: provider "anthropic" (APIKey "claude") cannot serve embeddings (TaskNotSupported)`},
		},
		{
			name: "every failing target and fallback of a document, on one line",
			manifest: keyDoc("oai", "openai") + keyDoc("claude", "anthropic") + keyDoc("groq", "groq") +
				endpointDoc("emb", "embeddings", []string{"oai", "claude"}, []string{"oai", "groq"}),
			code: 1, out: "3 documents valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 4: Endpoint/emb: spec.targets[1]: provider "anthropic" (APIKey "claude") cannot serve embeddings (TaskNotSupported); ` +
				`spec.fallbacks[1]: provider "groq" (APIKey "groq") cannot serve embeddings (TaskNotSupported)`},
		},
		{
			name:     "completions on gemini",
			manifest: keyDoc("g", "gemini") + endpointDoc("legacy", "completions", []string{"g"}, nil),
			code:     1, out: "1 document valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 2: Endpoint/legacy: spec.targets[0]: provider "gemini" (APIKey "g") cannot serve completions (TaskNotSupported)`},
		},
		{
			name:     "misspelt provider",
			manifest: keyDoc("claude", "anthropc"),
			code:     1, out: "0 documents valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 1: APIKey/claude: spec.provider: unknown provider "anthropc" (did you mean "anthropic"?)`},
		},
		{
			name:     "provider id cut short",
			manifest: keyDoc("v", "vertex"),
			code:     1, out: "0 documents valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 1: APIKey/v: spec.provider: unknown provider "vertex" (did you mean one of "vertex-ai", "vertex-anthropic"?)`},
		},
		{
			name:     "no provider alike",
			manifest: keyDoc("k", "no-such-provider"),
			code:     1, out: "0 documents valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 1: APIKey/k: spec.provider: unknown provider "no-such-provider"`},
		},
		{
			name:     "defunct provider",
			manifest: keyDoc("k", "octoai"),
			code:     1, out: "0 documents valid, 1 invalid\n",
			errLines: []string{`error: stdin: document 1: APIKey/k: spec.provider: unknown provider "octoai" (OctoAI shut down; the provider catalog keeps it only to say so)`},
		},
		{
			name: "an Endpoint is not blamed for a broken APIKey",
			manifest: keyDoc("k", "anthropicc") + endpointDoc("emb", "embeddings", []string{"k"}, nil) +
				keyDoc("dup", "anthropic") + keyDoc("dup", "openai") + endpointDoc("emb2", "embeddings", []string{"dup"}, nil),
			code: 1, out: "3 documents valid, 2 invalid\n", // the first of two same-named documents counts as valid, as before
			errLines: []string{
				`error: stdin: document 4: APIKey/dup: metadata.name: defined twice, also at stdin: document 3 (gatewayd rejects both)`,
				`error: stdin: document 1: APIKey/k: spec.provider: unknown provider "anthropicc" (did you mean "anthropic"?)`,
			},
		},
		{
			name:     "an APIKey outside the files is only a warning",
			manifest: endpointDoc("emb", "embeddings", []string{"on-server"}, nil),
			code:     0, out: "1 document valid\n",
			errLines: []string{`warning: stdin: document 1: Endpoint/emb: spec.targets[0].apiKeyRef: APIKey "on-server" is not in the given files (fine if it exists on the gateway)`},
		},
	}
	var none *gatewayd
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := none.run(nil, tt.manifest, "validate", "-f", "-")
			if r.code != tt.code || r.out != tt.out {
				t.Errorf("want exit %d and stdout %q\n%s", tt.code, tt.out, r)
			}
			var got []string
			if s := strings.TrimSuffix(r.err, "\n"); s != "" {
				got = strings.Split(s, "\n")
			}
			if diff := cmp.Diff(tt.errLines, got); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCloseProviders(t *testing.T) {
	list := builtin.Registry().List()
	tests := []struct {
		id   string
		want []string
	}{
		{"openia", []string{"openai"}},
		{"azure", []string{"azure-openai"}},
		{"Anthropic", []string{"anthropic"}},
		{"bedrok", []string{"bedrock"}},
		{"zzzzzzzz", nil},
	}
	for _, tt := range tests {
		if got := closeProviders(list, tt.id); !cmp.Equal(got, tt.want) {
			t.Errorf("closeProviders(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}
