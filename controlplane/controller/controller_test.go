package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/secrets/localfile"
	"github.com/ai-gateway/gateway/controlplane/store/localdir"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// testSecretKey is a fixed AES-256 key (base64 of 32 bytes) for the local secret store.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// harness is a controller over a real manifest folder, a real encrypted secret
// store and a real read model.
type harness struct {
	t       *testing.T
	dir     string
	store   *localdir.Store
	secrets *localfile.Store
	index   *state.Index
	ctrl    *controller.Controller
	logs    *logbuf.Buffer
	swaps   atomic.Int64
}

func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), logs: &logbuf.Buffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if h.store, err = localdir.New(h.dir, localdir.Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	if h.secrets, err = localfile.Open(t.TempDir(), localfile.Options{Key: testSecretKey, Logger: log}); err != nil {
		t.Fatal(err)
	}
	reg := builtin.Registry()
	if h.index, err = state.New(reg.Adapter); err != nil {
		t.Fatal(err)
	}
	h.ctrl = controller.New(controller.Options{
		Store: h.store, Secrets: h.secrets, Writer: h.index, Providers: reg, Logger: log,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Quiet:  20 * time.Millisecond,
		OnSwap: func(uint64) { h.swaps.Add(1) },
	})
	return h
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	full := filepath.Join(h.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) remove(name string) {
	h.t.Helper()
	if err := os.Remove(filepath.Join(h.dir, filepath.FromSlash(name))); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) reconcile() {
	h.t.Helper()
	if err := h.ctrl.Reconcile(h.t.Context()); err != nil {
		h.t.Fatalf("Reconcile: %v", err)
	}
}

// resource returns the controller's view of a resource, failing if it has none.
func (h *harness) resource(kind, name string) controller.Resource {
	h.t.Helper()
	r, ok := h.ctrl.Get(kind, name)
	if !ok {
		h.t.Fatalf("%s/%s: not known to the controller", kind, name)
	}
	return r
}

// ready returns the Ready condition of a resource, failing if it has none.
func (h *harness) ready(kind, name string) v1alpha1.Condition {
	h.t.Helper()
	r := h.resource(kind, name)
	for _, c := range r.Object.GetStatus().Conditions {
		if c.Type == controller.ConditionReady {
			return c
		}
	}
	h.t.Fatalf("%s/%s: no Ready condition: %+v", kind, name, r.Object.GetStatus())
	return v1alpha1.Condition{}
}

// expectReady checks the Ready condition's status and reason.
func (h *harness) expectReady(kind, name, status, reason string) v1alpha1.Condition {
	h.t.Helper()
	c := h.ready(kind, name)
	if c.Status != status || c.Reason != reason {
		h.t.Fatalf("%s/%s: Ready=%s reason %s (%q), want Ready=%s reason %s", kind, name, c.Status, c.Reason, c.Message, status, reason)
	}
	return c
}

// route returns the served route of an Endpoint, or nil.
func (h *harness) route(name string) *state.Route {
	h.t.Helper()
	snap := h.index.Snapshot()
	if snap == nil {
		return nil
	}
	return snap.Route(name)
}

// servedModel returns the model of the Endpoint's first target as served.
func (h *harness) servedModel(name string) string {
	h.t.Helper()
	r := h.route(name)
	if r == nil {
		h.t.Fatalf("Endpoint %s is not served", name)
	}
	return r.Targets[0].Model
}

func apiKeyYAML(name, spec string) string {
	return fmt.Sprintf("apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata:\n  name: %s\nspec:\n%s", name, indent(spec))
}

func mockKeyYAML(name string) string { return apiKeyYAML(name, "provider: mock\n") }

func endpointYAML(name, model, apiKey string) string {
	return fmt.Sprintf(`apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: %s
spec:
  task: chat
  targets:
  - model: %s
    apiKeyRef: %s
`, name, model, apiKey)
}

func indent(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("  " + l)
	}
	return b.String()
}

func TestResolution(t *testing.T) {
	type want struct {
		kind, name, status, reason, message string
	}
	tests := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		secrets map[[2]string]string
		served  bool
		secret  string // the credential the served Endpoint carries
		want    []want
	}{
		{
			name:   "valid mock key and endpoint",
			files:  map[string]string{"key.yaml": mockKeyYAML("mock"), "ep.yaml": endpointYAML("chat", "m1", "mock")},
			served: true,
			want: []want{
				{v1alpha1.KindAPIKey, "mock", "True", controller.ReasonReconciled, ""},
				{v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled, ""},
			},
		},
		{
			name:  "missing APIKey",
			files: map[string]string{"ep.yaml": endpointYAML("chat", "m1", "nope")},
			want: []want{{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotFound,
				`spec.targets[0]: APIKey "nope" does not exist`}},
		},
		{
			name: "env not set",
			files: map[string]string{
				"key.yaml": apiKeyYAML("oa", "provider: openai\nenv: OPENAI_API_KEY\n"),
				"ep.yaml":  endpointYAML("chat", "gpt", "oa"),
			},
			want: []want{
				{v1alpha1.KindAPIKey, "oa", "False", controller.ReasonEnvNotSet, "OPENAI_API_KEY"},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, `APIKey "oa" is not ready (environment variable OPENAI_API_KEY is not set`},
			},
		},
		{
			name: "env set",
			files: map[string]string{
				"key.yaml": apiKeyYAML("oa", "provider: openai\nenv: OPENAI_API_KEY\n"),
				"ep.yaml":  endpointYAML("chat", "gpt", "oa"),
			},
			env:    map[string]string{"OPENAI_API_KEY": "sk-from-env"},
			served: true,
			secret: "sk-from-env",
			want: []want{
				{v1alpha1.KindAPIKey, "oa", "True", controller.ReasonReconciled, ""},
				{v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled, ""},
			},
		},
		{
			name: "secretRef found",
			files: map[string]string{
				"key.yaml": apiKeyYAML("oa", "provider: openai\nsecretRef: {scope: ai-gateway, key: oa}\n"),
				"ep.yaml":  endpointYAML("chat", "gpt", "oa"),
			},
			secrets: map[[2]string]string{{"ai-gateway", "oa"}: "sk-from-store"},
			served:  true,
			secret:  "sk-from-store",
			want:    []want{{v1alpha1.KindAPIKey, "oa", "True", controller.ReasonReconciled, ""}},
		},
		{
			name: "secretRef not found",
			files: map[string]string{
				"key.yaml": apiKeyYAML("oa", "provider: openai\nsecretRef: {scope: ai-gateway, key: missing}\n"),
				"ep.yaml":  endpointYAML("chat", "gpt", "oa"),
			},
			secrets: map[[2]string]string{{"ai-gateway", "oa"}: "sk-from-store"},
			want: []want{
				{v1alpha1.KindAPIKey, "oa", "False", controller.ReasonSecretNotFound, "ai-gateway/missing"},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, "secret ai-gateway/missing is not in the secret store"},
			},
		},
		{
			name: "unknown provider",
			files: map[string]string{
				"key.yaml": apiKeyYAML("k", "provider: no-such-provider\n"),
				"ep.yaml":  endpointYAML("chat", "m", "k"),
			},
			want: []want{
				{v1alpha1.KindAPIKey, "k", "False", controller.ReasonProviderNotFound, `"no-such-provider"`},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, `unknown provider "no-such-provider"`},
			},
		},
		{
			name: "openai-compatible without baseURL",
			files: map[string]string{
				"key.yaml": apiKeyYAML("vllm", "provider: openai-compatible\n"),
				"ep.yaml":  endpointYAML("chat", "llama", "vllm"),
			},
			want: []want{
				{v1alpha1.KindAPIKey, "vllm", "False", controller.ReasonInvalidConfig, "spec.config.baseURL"},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, "needs spec.config.baseURL"},
			},
		},
		{
			name: "openai-compatible with baseURL and no credential",
			files: map[string]string{
				"key.yaml": apiKeyYAML("vllm", "provider: openai-compatible\nconfig: {baseURL: 'http://127.0.0.1:1/v1'}\n"),
				"ep.yaml":  endpointYAML("chat", "llama", "vllm"),
			},
			served: true,
			want:   []want{{v1alpha1.KindAPIKey, "vllm", "True", controller.ReasonReconciled, ""}},
		},
		{
			name: "openai without credential",
			files: map[string]string{
				"key.yaml": apiKeyYAML("oa", "provider: openai\n"),
				"ep.yaml":  endpointYAML("chat", "gpt", "oa"),
			},
			want: []want{
				{v1alpha1.KindAPIKey, "oa", "False", controller.ReasonCredentialNeeded, "needs a credential"},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, "needs a credential"},
			},
		},
		{
			name: "invalid APIKey",
			files: map[string]string{
				"key.yaml": apiKeyYAML("k", "provider: mock\nregion: x\n"),
				"ep.yaml":  endpointYAML("chat", "m", "k"),
			},
			want: []want{
				{v1alpha1.KindAPIKey, "k", "False", controller.ReasonInvalid, "key.yaml: document 1: APIKey/k: spec.region: unknown field"},
				{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotReady, `APIKey "k" is not ready (Invalid: `},
			},
		},
		{
			name: "fallback with a missing APIKey",
			files: map[string]string{
				"key.yaml": mockKeyYAML("mock"),
				"ep.yaml":  endpointYAML("chat", "m", "mock") + "  fallbacks:\n  - {model: x, apiKeyRef: gone}\n",
			},
			want: []want{{v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotFound, `spec.fallbacks[0]: APIKey "gone"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.env)
			for k, v := range tt.secrets {
				if err := h.secrets.Put(t.Context(), k[0], k[1], v); err != nil {
					t.Fatal(err)
				}
			}
			for name, content := range tt.files {
				h.write(name, content)
			}
			h.reconcile()
			for _, w := range tt.want {
				c := h.expectReady(w.kind, w.name, w.status, w.reason)
				if !strings.Contains(c.Message, w.message) {
					t.Errorf("%s/%s: message %q does not contain %q", w.kind, w.name, c.Message, w.message)
				}
				if w.status == "True" && c.Message != "" {
					t.Errorf("%s/%s: Ready with a message %q", w.kind, w.name, c.Message)
				}
			}
			r := h.route("chat")
			if (r != nil) != tt.served {
				t.Fatalf("served = %v, want %v", r != nil, tt.served)
			}
			if got := h.resource(v1alpha1.KindEndpoint, "chat").Serving; got != tt.served {
				t.Errorf("Resource.Serving = %v, want %v", got, tt.served)
			}
			if tt.secret != "" {
				if got := r.Pick().Credential.Secret.Reveal(); got != tt.secret {
					t.Errorf("served credential %q, want %q", got, tt.secret)
				}
			}
			if len(h.ctrl.FileErrors()) != 0 {
				t.Errorf("unexpected file errors: %q", h.ctrl.FileErrors())
			}
		})
	}
}

func TestDuplicateNameKeepsServingPreviousVersion(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("a.yaml", endpointYAML("chat", "m1", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)

	h.write("b.yaml", endpointYAML("unrelated", "u", "mock")+"---\n"+endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	c := h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonDuplicate)
	r := h.resource(v1alpha1.KindEndpoint, "chat")
	wantSources := []string{"a.yaml (document 1)", "b.yaml (document 2)"}
	if strings.Join(r.Sources, "|") != strings.Join(wantSources, "|") {
		t.Errorf("sources %q, want %q", r.Sources, wantSources)
	}
	for _, s := range wantSources {
		if !strings.Contains(c.Message, s) {
			t.Errorf("message %q does not name %q", c.Message, s)
		}
	}
	if got := h.servedModel("chat"); got != "m1" {
		t.Errorf("served model %q during the duplicate, want the previous m1", got)
	}
	if !r.Serving {
		t.Error("Resource.Serving = false while the last good version serves")
	}

	h.remove("a.yaml")
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	if got := h.servedModel("chat"); got != "m2" {
		t.Errorf("served model %q once the duplicate is gone, want m2", got)
	}
}

func TestDuplicateNeverServedIsNotServed(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("a.yaml", endpointYAML("chat", "m1", "mock"))
	h.write("b.yaml", endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonDuplicate)
	if h.route("chat") != nil {
		t.Fatal("a duplicate that never was valid is served")
	}
}

func TestInvalidEditKeepsLastGoodVersion(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	other := endpointYAML("other", "o", "mock")
	h.write("eps.yaml", other+"---\n"+endpointYAML("chat", "m1", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	swaps := h.swaps.Load()

	// An unknown field in the second document: the resource turns Invalid and
	// its last good version keeps serving.
	broken := strings.Replace(endpointYAML("chat", "m2", "mock"), "    apiKeyRef: mock\n", "    apiKeyRef: mock\n    wieght: 5\n", 1)
	h.write("eps.yaml", other+"---\n"+broken)
	h.reconcile()
	c := h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonInvalid)
	for _, part := range []string{"eps.yaml", "document 2", "Endpoint/chat", "spec.targets[0].wieght", "unknown field"} {
		if !strings.Contains(c.Message, part) {
			t.Errorf("message %q does not contain %q", c.Message, part)
		}
	}
	if got := h.servedModel("chat"); got != "m1" {
		t.Fatalf("served model %q after a broken edit, want the last good m1", got)
	}
	if !h.resource(v1alpha1.KindEndpoint, "chat").Serving {
		t.Error("Resource.Serving = false while the last good version serves")
	}
	h.expectReady(v1alpha1.KindEndpoint, "other", "True", controller.ReasonReconciled)
	if h.swaps.Load() != swaps {
		t.Error("a broken edit swapped the configuration")
	}
	if !strings.Contains(h.logs.String(), "spec.targets[0].wieght") {
		t.Errorf("the problem was not logged:\n%s", h.logs)
	}

	h.write("eps.yaml", other+"---\n"+endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	if got := h.servedModel("chat"); got != "m2" {
		t.Fatalf("served model %q after the fix, want m2", got)
	}
}

func TestSyntaxErrorDoesNotBlockOtherFiles(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("good.yaml", endpointYAML("chat", "m1", "mock"))
	h.write("bad.yaml", "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: [oops\nspec: {}\n")
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	if h.route("chat") == nil {
		t.Fatal("a syntax error in another file blocked a good one")
	}
	errs := h.ctrl.FileErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "bad.yaml: document 1") || !strings.Contains(errs[0], "yaml") {
		t.Fatalf("FileErrors() = %q, want one error naming bad.yaml", errs)
	}
	if !strings.Contains(h.logs.String(), "bad.yaml") {
		t.Errorf("the syntax error was not logged:\n%s", h.logs)
	}

	h.remove("bad.yaml")
	h.reconcile()
	if errs := h.ctrl.FileErrors(); len(errs) != 0 {
		t.Fatalf("FileErrors() = %q after the file was removed", errs)
	}
}

func TestGeneration(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	withLabels := func(model, label string) string {
		return strings.Replace(endpointYAML("chat", model, "mock"), "  name: chat\n", "  name: chat\n  labels: {team: "+label+"}\n", 1)
	}
	steps := []struct {
		name, manifest string
		gen            int64
	}{
		{"created", withLabels("m1", "a"), 1},
		{"labels only", withLabels("m1", "b"), 1},
		{"unchanged", withLabels("m1", "b"), 1},
		{"target changed", withLabels("m2", "b"), 2},
		{"target changed back", withLabels("m1", "b"), 3},
		{"comment only", "# a comment\n" + withLabels("m1", "b"), 3},
	}
	for _, s := range steps {
		h.write("ep.yaml", s.manifest)
		h.reconcile()
		r := h.resource(v1alpha1.KindEndpoint, "chat")
		meta, st := r.Object.GetMetadata(), r.Object.GetStatus()
		c := h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
		if meta.Generation != s.gen || st.ObservedGeneration != s.gen || c.ObservedGeneration != s.gen {
			t.Fatalf("%s: generation %d, observedGeneration %d, condition observedGeneration %d; want %d",
				s.name, meta.Generation, st.ObservedGeneration, c.ObservedGeneration, s.gen)
		}
		if meta.ResourceVersion == "" {
			t.Errorf("%s: no resourceVersion", s.name)
		}
		if got := h.route("chat").Generation; got != s.gen {
			t.Errorf("%s: served Endpoint compiled from generation %d, want %d", s.name, got, s.gen)
		}
	}
	// An invalid edit does not move the generation; the status says which
	// generation it describes.
	h.write("ep.yaml", withLabels("m9", "b")+"  bogus: 1\n")
	h.reconcile()
	r := h.resource(v1alpha1.KindEndpoint, "chat")
	h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonInvalid)
	if r.Object.GetMetadata().Generation != 3 || r.Object.GetStatus().ObservedGeneration != 3 {
		t.Errorf("invalid edit: generation %d observed %d, want 3", r.Object.GetMetadata().Generation, r.Object.GetStatus().ObservedGeneration)
	}
}

func TestIdenticalReconcileDoesNotSwap(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("ep.yaml", endpointYAML("chat", "m1", "mock"))
	h.reconcile()
	snap := h.index.Snapshot()
	if snap == nil || h.swaps.Load() != 1 {
		t.Fatalf("first reconcile: snapshot %v, swaps %d", snap, h.swaps.Load())
	}
	before := h.ready(v1alpha1.KindEndpoint, "chat")
	for range 3 {
		h.reconcile()
	}
	if got := h.index.Snapshot(); got != snap || got.Generation != snap.Generation {
		t.Fatalf("identical reconciles swapped: generation %d -> %d", snap.Generation, got.Generation)
	}
	if h.swaps.Load() != 1 {
		t.Fatalf("OnSwap called %d times, want 1", h.swaps.Load())
	}
	if after := h.ready(v1alpha1.KindEndpoint, "chat"); !after.LastTransitionTime.Equal(before.LastTransitionTime) {
		t.Errorf("lastTransitionTime moved without a transition: %v -> %v", before.LastTransitionTime, after.LastTransitionTime)
	}
	// A real change swaps once.
	h.write("ep.yaml", endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	if got := h.index.Snapshot().Generation; got != snap.Generation+1 || h.swaps.Load() != 2 {
		t.Fatalf("after a change: generation %d (was %d), swaps %d", got, snap.Generation, h.swaps.Load())
	}
}

func TestDeletingEndpointFileStopsServing(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("sub/ep.yaml", endpointYAML("chat", "m1", "mock"))
	h.write("keep.yaml", endpointYAML("keep", "k", "mock"))
	h.reconcile()
	if h.route("chat") == nil {
		t.Fatal("not served")
	}
	h.remove("sub/ep.yaml")
	h.reconcile()
	if h.route("chat") != nil {
		t.Fatal("still served after its file was deleted")
	}
	if _, ok := h.ctrl.Get(v1alpha1.KindEndpoint, "chat"); ok {
		t.Fatal("the controller still lists a deleted Endpoint")
	}
	if h.route("keep") == nil {
		t.Fatal("deleting one file stopped another Endpoint")
	}
	if names := h.ctrl.List(v1alpha1.KindEndpoint); len(names) != 1 || names[0].Object.GetMetadata().Name != "keep" {
		t.Fatalf("List = %v", names)
	}
	// Re-creating it starts again at generation 1.
	h.write("sub/ep.yaml", endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	if g := h.resource(v1alpha1.KindEndpoint, "chat").Object.GetMetadata().Generation; g != 1 || h.servedModel("chat") != "m2" {
		t.Fatalf("re-created: generation %d, model %q", g, h.servedModel("chat"))
	}
}

func TestDeletedAPIKeyKeepsEndpointOnLastGood(t *testing.T) {
	up := openaitest.New("sk-upstream")
	t.Cleanup(up.Close)
	h := newHarness(t, map[string]string{"UP_KEY": "sk-upstream"})
	h.write("key.yaml", apiKeyYAML("up", "provider: openai\nenv: UP_KEY\nconfig: {baseURL: '"+up.BaseURL()+"'}\n"))
	h.write("ep.yaml", endpointYAML("chat", "gpt", "up"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)

	h.remove("key.yaml")
	h.reconcile()
	c := h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonAPIKeyNotFound)
	if !strings.Contains(c.Message, `APIKey "up" does not exist`) || !strings.Contains(c.Message, "last good") {
		t.Errorf("message %q", c.Message)
	}
	if _, ok := h.ctrl.Get(v1alpha1.KindAPIKey, "up"); ok {
		t.Error("deleted APIKey still listed")
	}
	r := h.route("chat")
	if r == nil || !h.resource(v1alpha1.KindEndpoint, "chat").Serving {
		t.Fatal("the Endpoint stopped serving when its APIKey was deleted")
	}
	// The last good credential still works against the upstream.
	if body := send(t, r, "still here"); !strings.Contains(body, "fake: still here") {
		t.Fatalf("upstream answer %s", body)
	}

	// Once the Endpoint itself changes to something valid, the old credential goes.
	h.write("key2.yaml", mockKeyYAML("mock"))
	h.write("ep.yaml", endpointYAML("chat", "m", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	if got := h.route("chat").Pick().Credential.Name; got != "mock" {
		t.Fatalf("served credential %q", got)
	}
}

// send makes one chat call through a served route's adapter, as the data plane would.
func send(t *testing.T, r *state.Route, text string) string {
	t.Helper()
	target := r.Pick()
	body, _ := json.Marshal(map[string]any{"model": r.Name, "messages": []any{map[string]string{"role": "user", "content": text}}})
	res, err := target.Adapter.Send(t.Context(), target.Credential, &providers.Call{Task: providers.TaskChat, Model: target.Model, Body: body})
	if err != nil {
		t.Fatalf("upstream call failed: %v", err)
	}
	defer res.Release()
	return string(res.Body)
}

func TestRunPicksUpNewFiles(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- h.ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-runErr:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	select {
	case <-h.ctrl.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("Ready() did not close")
	}
	if h.index.Snapshot() == nil {
		t.Fatal("Ready before the first configuration was committed")
	}
	h.expectReady(v1alpha1.KindAPIKey, "mock", "True", controller.ReasonReconciled)

	// Written with an atomic rename, the way editors and gatewayctl write.
	tmp := filepath.Join(h.dir, ".late.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(endpointYAML("late", "m1", "mock")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(h.dir, "late.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new Endpoint to be served", func() bool { return h.route("late") != nil })

	// Trigger reconciles without a file event too.
	h.ctrl.Trigger()
	h.write("late.yaml", endpointYAML("late", "m2", "mock"))
	waitFor(t, "the edit to be served", func() bool { r := h.route("late"); return r != nil && r.Targets[0].Model == "m2" })
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSecretCanaryNeverLeaks(t *testing.T) {
	const canary = "sk-canary-7f3a9c1e5b2d4860a1c3e5f7"
	up := openaitest.New(canary)
	t.Cleanup(up.Close)
	h := newHarness(t, nil)
	h.write("key.yaml", apiKeyYAML("canary", "provider: openai\nvalue: "+canary+"\nconfig: {baseURL: '"+up.BaseURL()+"'}\n"))
	h.write("ep.yaml", endpointYAML("canary-chat", "gpt", "canary"))
	// Broken documents that hold the canary in various places.
	h.write("broken.yaml", strings.Join([]string{
		// value plus an unknown field holding the canary
		apiKeyYAML("bad-unknown", "provider: openai\nvalue: "+canary+"\nextra: "+canary+"\n"),
		// two credential sources
		apiKeyYAML("bad-two", "provider: openai\nvalue: "+canary+"\nenv: SOME_VAR\n"),
		// the canary where an object is expected
		apiKeyYAML("bad-type", "provider: openai\nconfig: "+canary+"\n"),
		// the canary as a header value next to a credential header
		apiKeyYAML("bad-header", "provider: openai\nconfig:\n  headers: {Authorization: "+canary+"}\n"),
	}, "---\n"))
	// Syntax errors around the canary.
	h.write("syntax.yaml", "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: s}\nspec: {provider: openai, value: \""+canary+"\n---\n"+
		"? [\""+canary+"\"]\n: x\n---\n"+
		"kind: APIKey\nmetadata: {name: s2}\nspec:\n  value: "+canary+"\n bad-indent: "+canary+"\n")
	h.reconcile()
	// A second pass exercises the transition logging paths again.
	h.reconcile()

	h.expectReady(v1alpha1.KindAPIKey, "canary", "True", controller.ReasonReconciled)
	h.expectReady(v1alpha1.KindEndpoint, "canary-chat", "True", controller.ReasonReconciled)
	r := h.route("canary-chat")
	if r == nil {
		t.Fatal("not served")
	}
	if body := send(t, r, "hello"); !strings.Contains(body, "fake: hello") {
		t.Fatalf("upstream answer %s", body)
	}
	if _, hdr := up.LastRequest(); hdr.Get("Authorization") != "Bearer "+canary {
		t.Fatal("the credential did not reach the upstream")
	}

	var seen []string
	for _, kind := range []string{v1alpha1.KindAPIKey, v1alpha1.KindEndpoint} {
		for _, res := range h.ctrl.List(kind) {
			for _, c := range res.Object.GetStatus().Conditions {
				seen = append(seen, c.Message)
				if strings.Contains(c.Message, canary) {
					t.Errorf("%s/%s condition message leaks the canary: %q", kind, res.Object.GetMetadata().Name, c.Message)
				}
			}
			if res.Object.GetMetadata().Name == "bad-header" {
				continue // the canary sits in a plain header value the user wrote; only messages must hide it
			}
			b, err := json.Marshal(res.Object)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), canary) {
				t.Errorf("%s/%s marshals the canary: %s", kind, res.Object.GetMetadata().Name, b)
			}
			if s := fmt.Sprintf("%v %+v", res.Object, res.Object); strings.Contains(s, canary) {
				t.Errorf("%s/%s prints the canary", kind, res.Object.GetMetadata().Name)
			}
		}
	}
	for _, e := range h.ctrl.FileErrors() {
		if strings.Contains(e, canary) {
			t.Errorf("file error leaks the canary: %q", e)
		}
	}
	// Make sure the broken documents were actually rejected, or the checks above prove little.
	for _, name := range []string{"bad-unknown", "bad-two", "bad-type", "bad-header"} {
		h.expectReady(v1alpha1.KindAPIKey, name, "False", controller.ReasonInvalid)
	}
	if len(h.ctrl.FileErrors()) == 0 {
		t.Error("the syntax errors were not reported")
	}
	logs := h.logs.String()
	if strings.Contains(logs, canary) {
		t.Errorf("logs leak the canary:\n%s", logs)
	}
	if !strings.Contains(logs, "plain text") {
		t.Errorf("no warning about a credential in a manifest file:\n%s", logs)
	}
	if t.Failed() {
		t.Logf("messages: %q\nfile errors: %q", seen, h.ctrl.FileErrors())
	}
}

// A YAML syntax error makes a file's resources unreadable, not deleted: they
// keep their last good version until the file is fixed or removed.
func TestSyntaxErrorKeepsLastGoodVersion(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("eps.yaml", endpointYAML("chat", "m1", "mock")+"---\n"+endpointYAML("other", "o1", "mock"))
	h.write("keep.yaml", endpointYAML("keep", "k1", "mock"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)

	// A typo while editing: the second document no longer parses.
	h.write("eps.yaml", endpointYAML("chat", "m2", "mock")+"---\n"+endpointYAML("other", "o2", "mock")+"  bad: [\n")
	h.reconcile()
	if errs := h.ctrl.FileErrors(); len(errs) != 1 || !strings.Contains(errs[0], "eps.yaml: document 2") {
		t.Fatalf("FileErrors() = %q", errs)
	}
	// The readable document is applied; the unreadable one keeps serving.
	h.expectReady(v1alpha1.KindEndpoint, "chat", "True", controller.ReasonReconciled)
	if got := h.servedModel("chat"); got != "m2" {
		t.Errorf("chat serves %q, want m2", got)
	}
	c := h.expectReady(v1alpha1.KindEndpoint, "other", "False", controller.ReasonInvalid)
	for _, part := range []string{"eps.yaml: document 2", "yaml", "last good"} {
		if !strings.Contains(c.Message, part) {
			t.Errorf("message %q does not contain %q", c.Message, part)
		}
	}
	if got := h.servedModel("other"); got != "o1" {
		t.Errorf("other serves %q, want its last good o1", got)
	}
	r := h.resource(v1alpha1.KindEndpoint, "other")
	if !r.Serving || r.Object.GetMetadata().Generation != 1 {
		t.Errorf("held resource: serving %v generation %d", r.Serving, r.Object.GetMetadata().Generation)
	}

	// The APIKey's file breaks too: the Endpoints keep their last good versions.
	h.write("key.yaml", mockKeyYAML("mock")+"spec: [\n")
	h.reconcile()
	h.expectReady(v1alpha1.KindAPIKey, "mock", "False", controller.ReasonInvalid)
	c = h.expectReady(v1alpha1.KindEndpoint, "keep", "False", controller.ReasonAPIKeyNotReady)
	if !strings.Contains(c.Message, "key.yaml") {
		t.Errorf("message %q does not point at key.yaml", c.Message)
	}
	for name, model := range map[string]string{"chat": "m2", "other": "o1", "keep": "k1"} {
		if got := h.servedModel(name); got != model {
			t.Errorf("%s serves %q, want %q", name, got, model)
		}
	}

	// Fixed: everything is current again.
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("eps.yaml", endpointYAML("chat", "m2", "mock")+"---\n"+endpointYAML("other", "o2", "mock"))
	h.reconcile()
	for _, name := range []string{"chat", "other", "keep"} {
		h.expectReady(v1alpha1.KindEndpoint, name, "True", controller.ReasonReconciled)
	}
	if got := h.servedModel("other"); got != "o2" {
		t.Errorf("other serves %q after the fix, want o2", got)
	}

	// A file that parses again but no longer holds a resource deletes it.
	h.write("eps.yaml", endpointYAML("chat", "m2", "mock")+"  bad: [\n")
	h.reconcile()
	h.write("eps.yaml", endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	if h.route("other") != nil {
		t.Error("other still served after its document was removed")
	}
	// Deleting a broken file deletes what it held.
	h.write("eps.yaml", endpointYAML("chat", "m2", "mock")+"  bad: [\n")
	h.reconcile()
	if h.route("chat") == nil {
		t.Fatal("chat not held while its file is broken")
	}
	h.remove("eps.yaml")
	h.reconcile()
	if h.route("chat") != nil {
		t.Error("chat still served after its broken file was deleted")
	}
	if _, ok := h.ctrl.Get(v1alpha1.KindEndpoint, "chat"); ok {
		t.Error("chat still listed after its broken file was deleted")
	}
}

func TestNilGetenvReadsTheProcessEnvironment(t *testing.T) {
	t.Setenv("CONTROLLER_TEST_UPSTREAM_KEY", "sk-process-env")
	dir := t.TempDir()
	st, err := localdir.New(dir, localdir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := localfile.Open(t.TempDir(), localfile.Options{Key: testSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	reg := builtin.Registry()
	idx, err := state.New(reg.Adapter)
	if err != nil {
		t.Fatal(err)
	}
	ctrl := controller.New(controller.Options{Store: st, Secrets: sec, Writer: idx, Providers: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	manifest := apiKeyYAML("oa", "provider: openai\nenv: CONTROLLER_TEST_UPSTREAM_KEY\n") + "---\n" + endpointYAML("chat", "gpt", "oa")
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ctrl.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := idx.Snapshot().Route("chat")
	if r == nil || r.Pick().Credential.Secret.Reveal() != "sk-process-env" {
		t.Fatal("the credential was not read from the process environment")
	}
}

// An editor that truncates a file and then writes it leaves it empty for a
// moment: the resources in it must keep serving, not be deleted.
func TestEmptiedFileKeepsServing(t *testing.T) {
	h := newHarness(t, nil)
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("chat.yaml", endpointYAML("chat", "m1", "mock"))
	h.reconcile()
	h.write("chat.yaml", "")
	h.reconcile()
	if got := h.servedModel("chat"); got != "m1" {
		t.Fatalf("an emptied file took its Endpoint offline (serving %q)", got)
	}
	c := h.expectReady(v1alpha1.KindEndpoint, "chat", "False", controller.ReasonInvalid)
	if !strings.Contains(c.Message, "file is empty") {
		t.Errorf("status does not explain the empty file: %q", c.Message)
	}
	h.write("chat.yaml", endpointYAML("chat", "m2", "mock"))
	h.reconcile()
	if got := h.servedModel("chat"); got != "m2" {
		t.Fatalf("model after rewrite = %q", got)
	}
	h.remove("chat.yaml")
	h.reconcile()
	if h.route("chat") != nil {
		t.Fatal("deleting the file did not delete the Endpoint")
	}
}

// When an APIKey changes so that an Endpoint using it no longer reconciles
// (here: to a provider without embeddings), the Endpoint keeps serving its
// last good version with the credential it was good with, not the new one.
func TestHeldEndpointKeepsItsCredential(t *testing.T) {
	h := newHarness(t, map[string]string{"ANTHROPIC_KEY": "sk-ant-test"})
	h.write("key.yaml", mockKeyYAML("k"))
	h.write("emb.yaml", `apiVersion: gateway/v1alpha1
kind: Endpoint
metadata: {name: emb}
spec:
  task: embeddings
  targets: [{model: e1, apiKeyRef: k}]
`)
	h.write("chat.yaml", endpointYAML("chat", "m1", "k"))
	h.reconcile()
	h.expectReady(v1alpha1.KindEndpoint, "emb", "True", controller.ReasonReconciled)

	h.write("key.yaml", apiKeyYAML("k", "provider: anthropic\nenv: ANTHROPIC_KEY\n"))
	h.reconcile()
	c := h.expectReady(v1alpha1.KindEndpoint, "emb", "False", controller.ReasonTaskNotSupported)
	if !strings.Contains(c.Message, "serving the last good version") {
		t.Errorf("message %q", c.Message)
	}
	r := h.route("emb")
	if r == nil {
		t.Fatal("emb stopped serving")
	}
	if got := r.Pick().Credential.Provider; got != "mock" {
		t.Fatalf("held Endpoint is served through provider %q, want its last good mock", got)
	}
	// The chat Endpoint reconciles with the new key and uses it.
	if got := h.route("chat").Pick().Credential.Provider; got != "anthropic" {
		t.Fatalf("chat is served through %q, want anthropic", got)
	}
	if res := h.resource(v1alpha1.KindAPIKey, "k"); !res.Serving {
		t.Error("APIKey k is not reported as serving")
	}
}

// flakyStore's first Watch fails at once; later ones behave.
type flakyStore struct {
	*localdir.Store
	calls atomic.Int32
}

func (s *flakyStore) Watch(ctx context.Context, changed chan<- struct{}) error {
	if s.calls.Add(1) == 1 {
		return fmt.Errorf("watch backend unavailable")
	}
	return s.Store.Watch(ctx, changed)
}

// A watch that fails is restarted: a later change is still picked up.
func TestRunRestartsAFailedWatch(t *testing.T) {
	h := newHarness(t, nil)
	fs := &flakyStore{Store: h.store}
	ctrl := controller.New(controller.Options{Store: fs, Secrets: h.secrets, Writer: h.index,
		Providers: builtin.Registry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Quiet: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-ctrl.Ready()
	h.write("key.yaml", mockKeyYAML("mock"))
	h.write("chat.yaml", endpointYAML("chat", "m1", "mock"))
	deadline := time.Now().Add(10 * time.Second)
	for h.index.Snapshot() == nil || h.index.Snapshot().Route("chat") == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the change was never picked up after the watch failed (watch calls: %d)", fs.calls.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if fs.calls.Load() < 2 {
		t.Fatalf("watch was not restarted (calls: %d)", fs.calls.Load())
	}
}
