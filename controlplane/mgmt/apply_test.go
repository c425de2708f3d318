package mgmt_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

func TestApplyMultiDocument(t *testing.T) {
	e := newEnv(t, baseFiles())
	body := strings.Join([]string{
		// configured
		strings.Replace(chatEndpoint, "mock-1", "mock-2", 1),
		// unchanged
		embeddingsEndpoint,
		// created
		endpointYAML("fresh", "{team: a}", "mock-3", ""),
		// invalid
		strings.Replace(endpointYAML("typo", "", "m", ""), "apiKeyRef: mock", "apiKeyRef: mock\n    wieght: 3", 1),
		// unchanged
		mockKey,
		// invalid, and no object: an unknown kind
		"apiVersion: gateway/v1alpha1\nkind: Widget\nmetadata: {name: w}\n",
	}, "---\n")
	resp := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/apply?filename=team.yaml", body), 200))
	want := "Endpoint/chat=configured\nEndpoint/emb=unchanged\nEndpoint/fresh=created\nEndpoint/typo=invalid\nAPIKey/mock=unchanged\n/=invalid"
	if got := resp.actions(); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
	if resp.DryRun {
		t.Error("dryRun = true")
	}
	if got := resp.Results[3].Error; !strings.Contains(got, "team.yaml: document 4: Endpoint/typo: spec.targets[0].wieght: unknown field") {
		t.Errorf("invalid result error = %q", got)
	}
	if got := resp.Results[3].Fields; len(got) != 1 || got[0].Field != "spec.targets[0].wieght" || got[0].Detail != "unknown field" {
		t.Errorf("invalid result fields = %+v", got)
	}
	if got := resp.Results[5].Error; !strings.Contains(got, "document 6") || !strings.Contains(got, "Widget") {
		t.Errorf("unknown kind error = %q", got)
	}
	// Written objects come back with their status.
	var chat v1alpha1.Endpoint
	if err := json.Unmarshal(resp.Results[0].Object, &chat); err != nil {
		t.Fatal(err)
	}
	if chat.Metadata.Generation != 2 || ready(t, &chat).Status != "True" || chat.Spec.Targets[0].Model != "mock-2" {
		t.Errorf("configured object = %+v", chat)
	}
	var fresh v1alpha1.Endpoint
	if err := json.Unmarshal(resp.Results[2].Object, &fresh); err != nil {
		t.Fatal(err)
	}
	if ready(t, &fresh).Status != "True" {
		t.Errorf("created object = %+v", fresh)
	}
	if !e.exists("endpoints/fresh.yaml") || e.exists("endpoints/typo.yaml") {
		t.Errorf("files: %v", e.files())
	}

	// Applying the same set again changes nothing.
	before := e.files()
	again := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/apply", strings.Join([]string{
		strings.Replace(chatEndpoint, "mock-1", "mock-2", 1), embeddingsEndpoint, endpointYAML("fresh", "{team: a}", "mock-3", ""), mockKey,
	}, "---\n")), 200))
	if got := again.actions(); got != "Endpoint/chat=unchanged\nEndpoint/emb=unchanged\nEndpoint/fresh=unchanged\nAPIKey/mock=unchanged" {
		t.Errorf("second apply:\n%s", got)
	}
	if !equalMaps(before, e.files()) {
		t.Error("an unchanged apply rewrote files")
	}

	// A stale resourceVersion in an applied object is a conflict for that object only.
	stale := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/apply",
		strings.Replace(chatEndpoint, "  name: chat\n", "  name: chat\n  resourceVersion: old\n", 1)+"---\n"+endpointYAML("other", "", "m", "")), 200))
	if got := stale.actions(); got != "Endpoint/chat=conflict\nEndpoint/other=created" {
		t.Errorf("stale apply:\n%s", got)
	}
}

func TestApplyDryRunWritesNothing(t *testing.T) {
	files := baseFiles()
	files["endpoints/owned.yaml"] = endpointYAML("owned", "{team: a}", "m", "")
	e := newEnv(t, files)
	before := e.files()
	body := strings.Join([]string{
		strings.Replace(chatEndpoint, "mock-1", "mock-2", 1),
		embeddingsEndpoint,
		endpointYAML("fresh", "{team: a}", "mock-3", ""),
		"apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: secret-key}\nspec: {provider: openai, value: sk-dry-run-value}\n",
	}, "---\n")
	resp := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/apply?dryRun=true&prune=true&selector=team%3Da", body), 200))
	if !resp.DryRun {
		t.Error("dryRun = false")
	}
	want := "Endpoint/chat=configured\nEndpoint/emb=unchanged\nEndpoint/fresh=created\nAPIKey/secret-key=created\nEndpoint/owned=pruned"
	if got := resp.actions(); got != want {
		t.Errorf("actions:\n%s\nwant:\n%s", got, want)
	}
	if !equalMaps(before, e.files()) {
		t.Errorf("dry run changed the folder:\nbefore %v\nafter %v", before, e.files())
	}
	if _, err := e.secrets.Get(t.Context(), "ai-gateway", "secret-key"); err == nil {
		t.Error("dry run stored the secret")
	}
	// The dry-run object shows what would be stored: a secretRef, never the value.
	var key v1alpha1.APIKey
	if err := json.Unmarshal(resp.Results[3].Object, &key); err != nil {
		t.Fatal(err)
	}
	if key.Spec.SecretRef == nil || key.Spec.SecretRef.Key != "secret-key" || key.Spec.Value != "" {
		t.Errorf("dry-run APIKey = %+v", key.Spec)
	}
	if strings.Contains(string(resp.Results[3].Object), "sk-dry-run-value") {
		t.Error("dry-run answer holds the credential")
	}
	if e.index.Snapshot().Route("fresh") != nil {
		t.Error("dry run changed what is served")
	}
}

func TestApplyPrune(t *testing.T) {
	files := baseFiles()
	files["endpoints/a-old.yaml"] = endpointYAML("a-old", "{team: a}", "m", "")
	files["endpoints/b-owned.yaml"] = endpointYAML("b-owned", "{team: b}", "m", "")
	files["endpoints/unlabelled.yaml"] = endpointYAML("unlabelled", "", "m", "")
	e := newEnv(t, files)

	expectError(t, e.do("POST", "/api/v1alpha1/apply?prune=true", chatEndpoint), 400, "invalid", "selector")
	expectError(t, e.do("POST", "/api/v1alpha1/apply?prune=true&selector=", chatEndpoint), 400, "invalid", "selector")
	expectError(t, e.do("POST", "/api/v1alpha1/apply?prune=true&selector=team", chatEndpoint), 400, "invalid", "key=value")
	if n := len(e.files()); n != 6 {
		t.Fatalf("a refused prune touched files: %v", e.files())
	}

	// team=a owns chat, emb and a-old; the applied set keeps chat and emb.
	resp := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/apply?prune=true&selector=team%3Da",
		chatEndpoint+"---\n"+embeddingsEndpoint), 200))
	if got := resp.actions(); got != "Endpoint/chat=unchanged\nEndpoint/emb=unchanged\nEndpoint/a-old=pruned" {
		t.Errorf("actions:\n%s", got)
	}
	got := e.files()
	for _, f := range []string{"apikeys/mock.yaml", "endpoints/chat.yaml", "endpoints/emb.yaml", "endpoints/b-owned.yaml", "endpoints/unlabelled.yaml"} {
		if _, ok := got[f]; !ok {
			t.Errorf("%s was removed", f)
		}
	}
	if _, ok := got["endpoints/a-old.yaml"]; ok {
		t.Error("a-old was not pruned")
	}
	if e.index.Snapshot().Route("a-old") != nil {
		t.Error("pruned endpoint still served")
	}
	expectError(t, e.do("GET", "/api/v1alpha1/endpoints/a-old", ""), 404, "not_found")
}

type diffResponse struct {
	Changed bool             `json:"changed"`
	Entries []mgmt.DiffEntry `json:"entries"`
}

func TestDiff(t *testing.T) {
	e := newEnv(t, baseFiles())
	before := e.files()

	same := decodeJSON[diffResponse](t, expect(t, e.do("POST", "/api/v1alpha1/diff", chatEndpoint+"---\n"+mockKey), 200))
	if same.Changed || len(same.Entries) != 2 || same.Entries[0].Action != "unchanged" || same.Entries[0].Diff != "" {
		t.Errorf("unchanged diff = %+v", same)
	}
	// The server-side fields of `get -o yaml` output do not count as changes.
	got := expect(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 200)
	if d := decodeJSON[diffResponse](t, expect(t, e.do("POST", "/api/v1alpha1/diff", got), 200)); d.Changed {
		t.Errorf("diff of a GET answer = %+v", d)
	}

	split := strings.Replace(chatEndpoint, "  - model: mock-1\n    apiKeyRef: mock\n",
		"  - model: mock-1\n    apiKeyRef: mock\n    weight: 2\n  - model: mock-2\n    apiKeyRef: mock\n  fallbacks:\n  - {model: mock-3, apiKeyRef: mock}\n", 1)
	d := decodeJSON[diffResponse](t, expect(t, e.do("POST", "/api/v1alpha1/diff", split), 200))
	if !d.Changed || len(d.Entries) != 1 {
		t.Fatalf("diff = %+v", d)
	}
	en := d.Entries[0]
	if en.Kind != "Endpoint" || en.Name != "chat" || en.Action != "update" {
		t.Errorf("entry = %+v", en)
	}
	for _, s := range []string{"--- live/Endpoint/chat", "+++ desired/Endpoint/chat", "+  - apiKeyRef: mock\n+    model: mock-2", "+    weight: 2", "+  fallbacks:"} {
		if !strings.Contains(en.Diff, s) {
			t.Errorf("diff text lacks %q:\n%s", s, en.Diff)
		}
	}
	if en.RoutingBefore == nil || len(en.RoutingBefore.Targets) != 1 || en.RoutingBefore.Targets[0].Percent != 100 {
		t.Errorf("routingBefore = %+v", en.RoutingBefore)
	}
	ra := en.RoutingAfter
	if ra == nil || ra.Task != "chat" || len(ra.Targets) != 2 || len(ra.Fallbacks) != 1 {
		t.Fatalf("routingAfter = %+v", ra)
	}
	// Weight 2 and an unset weight (the mean of the set ones: 2): 50/50.
	if ra.Targets[0].Percent != 50 || ra.Targets[1].Percent != 50 || ra.Targets[0].Provider != "mock" || ra.Targets[1].APIKey != "mock" {
		t.Errorf("routingAfter targets = %+v", ra.Targets)
	}
	if ra.Fallbacks[0].Model != "mock-3" || ra.Fallbacks[0].Percent != 0 {
		t.Errorf("fallbacks = %+v", ra.Fallbacks)
	}

	// Thirds are rounded to two decimals.
	thirds := strings.Replace(chatEndpoint, "  - model: mock-1\n    apiKeyRef: mock\n",
		"  - {model: a, apiKeyRef: mock, weight: 1}\n  - {model: b, apiKeyRef: mock, weight: 2}\n", 1)
	d = decodeJSON[diffResponse](t, expect(t, e.do("POST", "/api/v1alpha1/diff", thirds), 200))
	if ts := d.Entries[0].RoutingAfter.Targets; ts[0].Percent != 33.33 || ts[1].Percent != 66.67 {
		t.Errorf("percents = %v, %v", ts[0].Percent, ts[1].Percent)
	}

	// New, invalid, and an APIKey with a write-only value.
	d = decodeJSON[diffResponse](t, expect(t, e.do("POST", "/api/v1alpha1/diff", endpointYAML("new", "", "m", "")+"---\n"+
		endpointYAML("Bad_Name", "", "m", "")+"---\n"+
		"apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: mock}\nspec: {provider: mock, value: sk-diff-canary}\n"), 200))
	if len(d.Entries) != 3 {
		t.Fatalf("entries = %+v", d.Entries)
	}
	if en := d.Entries[0]; en.Action != "create" || !strings.Contains(en.Diff, "+  name: new") || en.RoutingBefore != nil || en.RoutingAfter == nil {
		t.Errorf("create entry = %+v", en)
	}
	if en := d.Entries[1]; en.Action != "invalid" || !strings.Contains(en.Error, "metadata.name") {
		t.Errorf("invalid entry = %+v", en)
	}
	if en := d.Entries[2]; en.Action != "update" || !strings.Contains(en.Diff, "secretRef") || !strings.Contains(en.Diff, "value not shown") {
		t.Errorf("secret entry = %+v", en)
	}
	if !equalMaps(before, e.files()) {
		t.Error("diff changed the folder")
	}
}

func TestValidate(t *testing.T) {
	e := newEnv(t, baseFiles())
	before := e.files()
	resp := decodeJSON[applyResponse](t, expect(t, e.do("POST", "/api/v1alpha1/validate?filename=x.yaml",
		endpointYAML("fine", "", "m", "")+"---\n"+endpointYAML("x", "", "m", "  timeout: soon\n")+"---\n"+mockKey), 200))
	if got := resp.actions(); got != "Endpoint/fine=valid\nEndpoint/x=invalid\nAPIKey/mock=valid" {
		t.Errorf("actions:\n%s", got)
	}
	if !resp.DryRun {
		t.Error("validate answers with dryRun=true")
	}
	if got := resp.Results[1].Error; !strings.Contains(got, "x.yaml: document 2: Endpoint/x: spec.timeout") {
		t.Errorf("error = %q", got)
	}
	if !equalMaps(before, e.files()) {
		t.Error("validate changed the folder")
	}
}

func TestProviders(t *testing.T) {
	e := newEnv(t, nil)
	resp := decodeJSON[struct {
		Providers []mgmt.ProviderInfo `json:"providers"`
	}](t, expect(t, e.do("GET", "/api/v1alpha1/providers", ""), 200))
	byID := map[string]mgmt.ProviderInfo{}
	for _, p := range resp.Providers {
		byID[p.ID] = p
	}
	if p, ok := byID["mock"]; !ok || p.NeedsCredential || len(p.Tasks) == 0 || p.DisplayName == "" {
		t.Errorf("mock = %+v", p)
	}
	if p := byID["openai"]; !p.NeedsCredential || p.DefaultBaseURL != "https://api.openai.com/v1" || !strings.Contains(strings.Join(p.Tasks, ","), "embeddings") {
		t.Errorf("openai = %+v", p)
	}
	if p := byID["openai-compatible"]; !p.NeedsBaseURL {
		t.Errorf("openai-compatible = %+v", p)
	}
}

func TestStatus(t *testing.T) {
	files := baseFiles()
	files["broken.yaml"] = "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: [oops\n"
	e := newEnv(t, files)
	st := decodeJSON[struct {
		Endpoints  int      `json:"endpoints"`
		APIKeys    int      `json:"apikeys"`
		FileErrors []string `json:"fileErrors"`
	}](t, expect(t, e.do("GET", "/api/v1alpha1/status", ""), 200))
	if st.Endpoints != 2 || st.APIKeys != 1 {
		t.Errorf("status = %+v", st)
	}
	if len(st.FileErrors) != 1 || !strings.HasPrefix(st.FileErrors[0], "broken.yaml: document 1") {
		t.Errorf("fileErrors = %q", st.FileErrors)
	}

	clean := newEnv(t, baseFiles())
	if body := expect(t, clean.do("GET", "/api/v1alpha1/status", ""), 200); !strings.Contains(body, `"fileErrors": []`) {
		t.Errorf("status without errors:\n%s", body)
	}
}

func TestParseSelector(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{"team=a", map[string]string{"team": "a"}, false},
		{" team = a , env=prod ", map[string]string{"team": "a", "env": "prod"}, false},
		{"example.com/owner=x", map[string]string{"example.com/owner": "x"}, false},
		{"", map[string]string{}, false},
		{"team", nil, true},
		{"=a", nil, true},
		{"team=a b", nil, true},
	} {
		got, err := mgmt.ParseSelector(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if !tc.err && !equalMaps(got, tc.want) {
			t.Errorf("%q = %v, want %v", tc.in, got, tc.want)
		}
	}
}
