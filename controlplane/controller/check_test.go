package controller_test

import (
	"errors"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
)

func TestCheckProviderAndTask(t *testing.T) {
	reg := builtin.Registry()
	if _, err := controller.CheckProvider(reg, "no-such-provider"); err == nil || err.Error() != `unknown provider "no-such-provider"` {
		t.Errorf("unknown provider: %v", err)
	}
	tests := []struct {
		provider string
		task     providers.Task
		want     string // "" when served
	}{
		{"openai", providers.TaskEmbeddings, ""},
		{"anthropic", providers.TaskChat, ""},
		{"anthropic", providers.TaskEmbeddings, `spec.targets[1]: provider "anthropic" (APIKey "k") cannot serve embeddings`},
		{"gemini", providers.TaskCompletions, `spec.targets[1]: provider "gemini" (APIKey "k") cannot serve completions`},
		{"groq", providers.TaskEmbeddings, `spec.targets[1]: provider "groq" (APIKey "k") cannot serve embeddings`},
		{"ollama", providers.TaskEmbeddings, ""},
	}
	for _, tt := range tests {
		info, err := controller.CheckProvider(reg, tt.provider)
		if err != nil {
			t.Fatal(err)
		}
		err = controller.CheckTask("spec.targets[1]", info, "k", tt.task)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s %s: %v", tt.provider, tt.task, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s %s: got %v, want %s", tt.provider, tt.task, err, tt.want)
		case err != nil:
			var te *controller.TaskError
			if !errors.As(err, &te) || te.Reason() != controller.ReasonTaskNotSupported || te.Field != "spec.targets[1]" {
				t.Errorf("%s %s: %#v", tt.provider, tt.task, err)
			}
		}
	}
}
