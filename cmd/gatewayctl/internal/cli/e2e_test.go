package cli

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

const mockKey = `apiVersion: gateway/v1alpha1
kind: APIKey
metadata:
  name: mock
spec:
  provider: mock
`

// endpointYAML is an Endpoint on the mock key, labelled with team when set.
func endpointYAML(name, team, model string) string {
	labels := ""
	if team != "" {
		labels = "  labels: {team: " + team + "}\n"
	}
	return "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata:\n  name: " + name + "\n" + labels +
		"spec:\n  task: chat\n  targets:\n  - model: " + model + "\n    apiKeyRef: mock\n"
}

// fields returns the whitespace-separated cells of the table row for name.
func tableRow(t *testing.T, table, name string) []string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == name {
			return f
		}
	}
	t.Fatalf("no row %q in:\n%s", name, table)
	return nil
}

// TestLifecycle: apply a folder → get → diff (0) → change → diff (1) →
// apply → get shows the new generation → delete → get fails.
func TestLifecycle(t *testing.T) {
	g := startGatewayd(t, nil)
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"keys.yaml": mockKey,
		"chat.yaml": endpointYAML("chat-a", "x", "mock-1"),
		"embed.json": `{"apiVersion":"gateway/v1alpha1","kind":"Endpoint","metadata":{"name":"embed-a"},
			"spec":{"task":"embeddings","targets":[{"model":"mock-embed","apiKeyRef":"mock"}]}}`,
		"README.md":       "not a manifest",
		".chat.yaml.swp":  "garbage",
		"commented.yaml":  "# nothing here yet\n",
		"sub/other.yaml":  endpointYAML("in-sub", "", "mock-1"),
		"sub/.hidden.yml": "garbage",
	})

	r := g.mustCtl(0, "apply", "-f", repo)
	for _, want := range []string{"apikey/mock created", "endpoint/chat-a created", "endpoint/embed-a created"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r.out, "in-sub") || !strings.Contains(r.err, "use -R") {
		t.Errorf("without -R the sub-folder must be skipped with a note:\n%s", r)
	}

	r = g.mustCtl(0, "get", "endpoints")
	if row := tableRow(t, r.out, "chat-a"); strings.Join(row, " ") != "chat-a chat 1 True Reconciled" {
		t.Errorf("get endpoints row = %q\n%s", row, r.out)
	}
	r = g.mustCtl(0, "get", "apikeys")
	if row := tableRow(t, r.out, "mock"); strings.Join(row, " ") != "mock mock True Reconciled" {
		t.Errorf("get apikeys row = %q", row)
	}

	r = g.mustCtl(0, "diff", "-f", repo)
	if r.out != "" {
		t.Errorf("diff of the applied folder printed:\n%s", r)
	}

	writeFiles(t, repo, map[string]string{"chat.yaml": endpointYAML("chat-a", "x", "mock-2")})
	r = g.mustCtl(1, "diff", "-f", repo)
	for _, want := range []string{"--- live/Endpoint/chat-a", "+++ desired/Endpoint/chat-a", "-    model: mock-1", "+    model: mock-2",
		"routing endpoint/chat-a:", "after:  chat: mock-2@mock 100% [mock]"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, r)
		}
	}

	// $GATEWAYCTL_EXTERNAL_DIFF gets two folders; its exit 1 means "different",
	// anything above is an error.
	if _, err := exec.LookPath("diff"); err == nil {
		r = g.run(map[string]string{externalDiffEnv: "diff -u -N"}, "", "diff", "-f", repo)
		if r.code != 1 || !strings.Contains(r.out, "/live/endpoint.chat-a.yaml") || !strings.Contains(r.out, "+    model: mock-2") {
			t.Errorf("external diff:\n%s", r)
		}
	}
	failing := filepath.Join(t.TempDir(), "failing-diff")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r = g.run(map[string]string{externalDiffEnv: failing}, "", "diff", "-f", repo); r.code != ExitDiffError {
		t.Errorf("a failing external diff must exit %d:\n%s", ExitDiffError, r)
	}

	r = g.mustCtl(0, "apply", "-f", repo)
	for _, want := range []string{"apikey/mock unchanged", "endpoint/chat-a configured", "endpoint/embed-a unchanged"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r)
		}
	}
	r = g.mustCtl(0, "get", "endpoint", "chat-a", "-o", "wide")
	row := tableRow(t, r.out, "chat-a")
	if got := row[len(row)-1]; got != "2" {
		t.Errorf("GENERATION = %s, want 2:\n%s", got, r.out)
	}
	if row[2] != "mock-2@mock(100%)" {
		t.Errorf("TARGETS = %s:\n%s", row[2], r.out)
	}
	r = g.mustCtl(0, "get", "ep/chat-a", "-o", "json")
	var obj struct {
		Metadata struct{ Generation int64 } `json:"metadata"`
		Status   struct{ ObservedGeneration int64 }
	}
	if err := json.Unmarshal([]byte(r.out), &obj); err != nil || obj.Metadata.Generation != 2 || obj.Status.ObservedGeneration != 2 {
		t.Errorf("get -o json: %v %+v\n%s", err, obj, r.out)
	}
	r = g.mustCtl(0, "get", "ep", "chat-a", "-o", "yaml")
	if !strings.Contains(r.out, "kind: Endpoint") || !strings.Contains(r.out, "status:") || !strings.Contains(r.out, "reason: Reconciled") {
		t.Errorf("get -o yaml lacks the object or its status:\n%s", r.out)
	}

	r = g.mustCtl(0, "describe", "endpoint", "chat-a")
	for _, want := range []string{"Name:         chat-a", "Routing:", "mock-2", "100%", "Conditions:", "Reconciled"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("describe lacks %q:\n%s", want, r.out)
		}
	}

	r = g.mustCtl(0, "chat", "chat-a", "hello there")
	if strings.TrimSpace(r.out) == "" || !strings.HasSuffix(r.out, "\n") {
		t.Errorf("chat printed %q", r.out)
	}

	r = g.mustCtl(0, "delete", "endpoint", "chat-a")
	if r.out != "endpoint/chat-a deleted\n" {
		t.Errorf("delete printed %q", r.out)
	}
	r = g.mustCtl(1, "get", "endpoint", "chat-a")
	if !strings.Contains(r.err, "not found") {
		t.Errorf("get of a deleted endpoint: %s", r)
	}
	g.mustCtl(1, "delete", "endpoint", "chat-a")
	g.mustCtl(0, "delete", "endpoint", "chat-a", "--ignore-not-found")

	// -R takes the sub-folder; delete -f removes what the files name.
	r = g.mustCtl(0, "apply", "-f", repo, "-R")
	if !strings.Contains(r.out, "endpoint/in-sub created") {
		t.Errorf("apply -R: %s", r)
	}
	r = g.mustCtl(0, "delete", "-f", filepath.Join(repo, "sub"))
	if r.out != "endpoint/in-sub deleted\n" {
		t.Errorf("delete -f: %s", r)
	}
}

// TestDryRunWritesNothing: apply --dry-run (with a new object, a changed one
// and a prune) leaves the manifest folder byte for byte as it was.
func TestDryRunWritesNothing(t *testing.T) {
	g := startGatewayd(t, nil)
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{"keys.yaml": mockKey, "a.yaml": endpointYAML("a", "x", "mock-1"),
		"b.yaml": endpointYAML("b", "x", "mock-1")})
	g.mustCtl(0, "apply", "-f", repo)
	before := snapshot(t, g.manifest)

	writeFiles(t, repo, map[string]string{"a.yaml": endpointYAML("a", "x", "mock-2"), "c.yaml": endpointYAML("c", "x", "mock-1")})
	if err := os.Remove(filepath.Join(repo, "b.yaml")); err != nil {
		t.Fatal(err)
	}
	r := g.mustCtl(0, "apply", "-f", repo, "--dry-run", "--prune", "-l", "team=x")
	for _, want := range []string{"endpoint/a configured (dry run)", "endpoint/c created (dry run)", "endpoint/b pruned (dry run)", "apikey/mock unchanged (dry run)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, r)
		}
	}
	if after := snapshot(t, g.manifest); !maps.Equal(before, after) {
		t.Errorf("--dry-run changed the manifest folder:\nbefore %v\nafter  %v", before, after)
	}
	g.mustCtl(1, "get", "endpoint", "c")
	g.mustCtl(0, "get", "endpoint", "b")
}

// TestPrune: --prune -l team=x deletes only objects labelled team=x that the
// applied set lacks; unlabelled and other teams' objects stay.
func TestPrune(t *testing.T) {
	g := startGatewayd(t, nil)
	all := t.TempDir()
	writeFiles(t, all, map[string]string{
		"keys.yaml": mockKey,
		"x.yaml":    endpointYAML("x-keep", "x", "mock-1") + "---\n" + endpointYAML("x-old", "x", "mock-1"),
		"y.yaml":    endpointYAML("y-other", "other", "mock-1"),
		"none.json": `{"apiVersion":"gateway/v1alpha1","kind":"Endpoint","metadata":{"name":"unlabelled"},"spec":{"targets":[{"model":"m","apiKeyRef":"mock"}]}}`,
	})
	g.mustCtl(0, "apply", "-f", all)

	team := t.TempDir()
	writeFiles(t, team, map[string]string{
		"a.yaml": endpointYAML("x-keep", "x", "mock-2"),
		"b.json": `[{"apiVersion":"gateway/v1alpha1","kind":"Endpoint","metadata":{"name":"x-new","labels":{"team":"x"}},"spec":{"targets":[{"model":"m","apiKeyRef":"mock"}]}}]`,
	})
	// A broken document stops the whole prune before anything is sent.
	writeFiles(t, team, map[string]string{"c.yaml": endpointYAML("x-broken", "x", "mock-1") + "  wieght: 3\n"})
	r := g.mustCtl(1, "apply", "-f", team, "--prune", "-l", "team=x")
	if !strings.Contains(r.err, "c.yaml: document 1: Endpoint/x-broken: spec.wieght: unknown field") || !strings.Contains(r.err, "nothing applied") {
		t.Errorf("broken prune set: %s", r)
	}
	g.mustCtl(0, "get", "endpoint", "x-old")
	g.mustCtl(1, "get", "endpoint", "x-new")
	if err := os.Remove(filepath.Join(team, "c.yaml")); err != nil {
		t.Fatal(err)
	}

	r = g.mustCtl(0, "apply", "-f", team, "--prune", "-l", "team=x")
	for _, want := range []string{"endpoint/x-keep configured", "endpoint/x-new created", "endpoint/x-old pruned"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("prune output lacks %q:\n%s", want, r)
		}
	}
	if strings.Count(r.out, "pruned") != 1 {
		t.Errorf("prune removed more than x-old:\n%s", r)
	}
	r = g.mustCtl(0, "get", "endpoints", "-o", "name")
	if want := "endpoint/unlabelled\nendpoint/x-keep\nendpoint/x-new\nendpoint/y-other\n"; r.out != want {
		t.Errorf("after prune: got\n%s\nwant\n%s", r.out, want)
	}
	g.mustCtl(0, "get", "apikey", "mock")
}

// TestValidateOffline: errors name file, document, resource and field; a
// reference outside the set is a warning; no server is involved.
func TestValidateOffline(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.yaml": mockKey + "---\n" + endpointYAML("ok", "", "mock-1"),
		"bad.yaml": endpointYAML("fine", "", "mock-1") + "---\n" +
			"apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata:\n  name: broken\nspec:\n  targets:\n  - model: m\n    apiKeyRef: elsewhere\n    wieght: 3\n",
		"ref.yaml": "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata:\n  name: remote\nspec:\n  targets:\n  - {model: m, apiKeyRef: on-server}\n",
	})
	var none *gatewayd
	r := none.run(map[string]string{"GATEWAY_URL": "http://127.0.0.1:1"}, "", "validate", "-f", dir)
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	wantErr := filepath.Join(dir, "bad.yaml") + ": document 2: Endpoint/broken: spec.targets[0].wieght: unknown field"
	if !strings.Contains(r.err, wantErr) {
		t.Errorf("stderr lacks %q:\n%s", wantErr, r)
	}
	if !strings.Contains(r.err, `warning: `+filepath.Join(dir, "ref.yaml")+`: document 1: Endpoint/remote: spec.targets[0].apiKeyRef: APIKey "on-server" is not in the given files`) {
		t.Errorf("no warning for the reference outside the set:\n%s", r)
	}
	if r.out != "4 documents valid, 1 invalid\n" {
		t.Errorf("summary = %q", r.out)
	}
	r = none.run(nil, mockKey, "validate", "-f", "-")
	if r.code != 0 || r.out != "1 document valid\n" {
		t.Errorf("validate stdin:\n%s", r)
	}
}

// TestCreateAPIKeyAndChat: create apikey --from-env against an
// OpenAI-compatible fake upstream, then chat through an Endpoint using it.
func TestCreateAPIKeyAndChat(t *testing.T) {
	const upstreamKey = "sk-upstream-test-91c2"
	fake := openaitest.New(upstreamKey)
	defer fake.Close()
	g := startGatewayd(t, nil)

	r := g.run(map[string]string{"UP_KEY": upstreamKey}, "", "create", "apikey", "up", "--provider", "openai-compatible",
		"--from-env", "UP_KEY", "--base-url", fake.BaseURL(), "-l", "team=x")
	if r.code != 0 || r.out != "apikey/up created\n" {
		t.Fatalf("create apikey:\n%s", r)
	}
	ep := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: up-chat}\nspec:\n  targets:\n  - {model: gpt-fake, apiKeyRef: up}\n"
	if r := g.run(nil, ep, "apply", "-f", "-"); r.code != 0 || r.out != "endpoint/up-chat created\n" {
		t.Fatalf("apply -f -:\n%s", r)
	}
	r = g.mustCtl(0, "chat", "up-chat", "hello there")
	if r.out != "fake: hello there\n" {
		t.Errorf("chat printed %q", r.out)
	}
	_, h := fake.LastRequest()
	if got := h.Get("Authorization"); got != "Bearer "+upstreamKey {
		t.Errorf("upstream saw Authorization %q", got)
	}
	r = g.run(nil, "", "chat", "up-chat", "--no-stream", "--system", "be brief", "hi")
	if r.code != 0 || r.out != "fake: hi\n" {
		t.Errorf("chat --no-stream:\n%s", r)
	}
	r = g.mustCtl(1, "chat", "no-such-endpoint", "hi")
	if !strings.Contains(r.err, "error: ") || !strings.Contains(r.err, "no-such-endpoint") {
		t.Errorf("chat to an unknown endpoint:\n%s", r)
	}
	r = g.mustCtl(0, "get", "apikey", "up", "-o", "wide")
	if row := tableRow(t, r.out, "up"); row[2] != "secret:ai-gateway/up" || row[4] != "True" {
		t.Errorf("get apikey -o wide row %q", row)
	}
	// No credential given and none on stdin: the provider needs one.
	r = g.run(nil, "", "create", "apikey", "other", "--provider", "openai")
	if r.code != 1 || !strings.Contains(r.err, "no credential") {
		t.Errorf("create without a credential:\n%s", r)
	}
	r = g.run(nil, "", "create", "apikey", "other", "--provider", "no-such-provider", "--from-env", "X")
	if r.code != 1 || !strings.Contains(r.err, `unknown provider "no-such-provider"`) {
		t.Errorf("create with an unknown provider:\n%s", r)
	}
}

// TestVersion prints the client version and the server's generation.
func TestVersion(t *testing.T) {
	g := startGatewayd(t, nil)
	r := g.mustCtl(0, "version")
	if !strings.HasPrefix(r.out, "gatewayctl test\nserver "+g.base+": ready, configuration generation ") {
		t.Errorf("version:\n%s", r)
	}
}
