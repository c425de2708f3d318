package controller_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
)

// A write refused for a conflict must leave everything as it was: the
// credential of the APIKey it would have replaced included. Otherwise a 409
// still rotates the key the live resource uses.
func TestConflictingApplyDoesNotChangeTheSecret(t *testing.T) {
	for _, tt := range []struct {
		name  string
		file  string // where the APIKey lives
		edit  func(h *harness)
		other string // another document in the same file, if any
	}{
		{
			name: "own file changed since it was read",
			file: "apikeys/k.yaml",
			edit: func(h *harness) {
				h.write("apikeys/k.yaml", apiKeyYAML("k", "provider: openai\nsecretRef: {scope: ai-gateway, key: k}\nconfig: {baseURL: https://example.test/v1}\n"))
			},
		},
		{
			name:  "multi-document file changed since it was read",
			file:  "all.yaml",
			other: "---\n" + mockKeyYAML("m"),
			edit: func(h *harness) {
				h.write("all.yaml", apiKeyYAML("k", "provider: openai\nsecretRef: {scope: ai-gateway, key: k}\n")+"---\n"+mockKeyYAML("m2"))
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := t.Context()
			if err := h.secrets.Put(ctx, "ai-gateway", "k", "sk-old"); err != nil {
				t.Fatal(err)
			}
			h.write(tt.file, apiKeyYAML("k", "provider: openai\nsecretRef: {scope: ai-gateway, key: k}\n")+tt.other)
			h.reconcile()
			h.expectReady(v1alpha1.KindAPIKey, "k", "True", controller.ReasonReconciled)

			tt.edit(h) // someone else edits the file; not reconciled yet

			objs := v1alpha1.Load("request body", []byte(apiKeyYAML("k", "provider: openai\nvalue: sk-new\n")))
			results, err := h.ctrl.Apply(ctx, objs, controller.ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 1 || results[0].Action != controller.ActionConflict {
				t.Fatalf("results = %+v, want one conflict", results)
			}
			got, err := h.secrets.Get(ctx, "ai-gateway", "k")
			if err != nil {
				t.Fatal(err)
			}
			if got != "sk-old" {
				t.Fatalf("after a refused write the secret is %q, want it unchanged", got)
			}
		})
	}
}

// A new value for an APIKey whose secretRef other APIKeys also read goes to
// an entry of its own: the others keep their credential.
func TestApplyValueDoesNotOverwriteASharedSecret(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	if err := h.secrets.Put(ctx, "team", "shared", "sk-shared"); err != nil {
		t.Fatal(err)
	}
	ref := "provider: openai\nsecretRef: {scope: team, key: shared}\n"
	h.write("apikeys/a.yaml", apiKeyYAML("a", ref))
	h.write("apikeys/b.yaml", apiKeyYAML("b", ref))
	h.reconcile()

	objs := v1alpha1.Load("request body", []byte(apiKeyYAML("a", "provider: openai\nvalue: sk-a-only\n")))
	results, err := h.ctrl.Apply(ctx, objs, controller.ApplyOptions{})
	if err != nil || len(results) != 1 || results[0].Action != controller.ActionConfigured {
		t.Fatalf("apply: %+v %v", results, err)
	}
	if got, _ := h.secrets.Get(ctx, "team", "shared"); got != "sk-shared" {
		t.Fatalf("the shared secret was overwritten: %q", got)
	}
	a := results[0].Object.(*v1alpha1.APIKey)
	if a.Spec.SecretRef == nil || *a.Spec.SecretRef == (v1alpha1.SecretRef{Scope: "team", Key: "shared"}) {
		t.Fatalf("a still points at the shared entry: %+v", a.Spec.SecretRef)
	}
	if got, _ := h.secrets.Get(ctx, a.Spec.SecretRef.Scope, a.Spec.SecretRef.Key); got != "sk-a-only" {
		t.Fatalf("a's new credential is not stored under its ref: %q", got)
	}
	// Unshared, the existing ref is reused as before.
	objs = v1alpha1.Load("request body", []byte(apiKeyYAML("a", "provider: openai\nvalue: sk-a-2\n")))
	if _, err := h.ctrl.Apply(ctx, objs, controller.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.secrets.Get(ctx, a.Spec.SecretRef.Scope, a.Spec.SecretRef.Key); got != "sk-a-2" {
		t.Fatalf("a's own entry was not updated: %q", got)
	}
}

// A create racing a hand-written file of the same resource that is not yet
// reconciled is a conflict: the gateway must not write NAME-2.yaml and end up
// with two definitions.
func TestCreateRacingAnUnreconciledFileConflicts(t *testing.T) {
	h := newHarness(t, nil)
	h.write("apikeys/mock.yaml", mockKeyYAML("mock"))
	h.reconcile()
	h.write("endpoints/late.yaml", endpointYAML("late", "mock-1", "mock")) // not reconciled yet

	objs := v1alpha1.Load("request body", []byte(endpointYAML("late", "mock-2", "mock")))
	results, err := h.ctrl.Apply(t.Context(), objs, controller.ApplyOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Action != controller.ActionConflict {
		t.Fatalf("results = %+v, want one conflict", results)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "endpoints/late-2.yaml")); !os.IsNotExist(err) {
		t.Fatalf("a second definition was written (stat: %v)", err)
	}
	h.reconcile()
	if got := h.servedModel("late"); got != "mock-1" {
		t.Fatalf("late serves %q, want the hand-written mock-1", got)
	}
}
