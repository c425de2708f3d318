package mgmt_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

type endpointList struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Items      []v1alpha1.Endpoint `json:"items"`
}

type apiKeyList struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []v1alpha1.APIKey `json:"items"`
}

func TestListAndGet(t *testing.T) {
	files := baseFiles()
	files["endpoints/broken.yaml"] = strings.Replace(endpointYAML("broken", "", "m", ""), "apiKeyRef: mock", "apiKeyRef: nope", 1)
	e := newEnv(t, files)

	eps := decodeJSON[endpointList](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints", ""), 200))
	if eps.APIVersion != "gateway/v1alpha1" || eps.Kind != "EndpointList" {
		t.Errorf("list header = %s %s", eps.APIVersion, eps.Kind)
	}
	var names []string
	for _, ep := range eps.Items {
		names = append(names, ep.Metadata.Name)
		if ep.Metadata.ResourceVersion == "" || ep.Metadata.Generation != 1 {
			t.Errorf("%s: resourceVersion %q generation %d", ep.Metadata.Name, ep.Metadata.ResourceVersion, ep.Metadata.Generation)
		}
		want := map[string]string{"broken": "APIKeyNotFound", "chat": "Reconciled", "emb": "Reconciled"}[ep.Metadata.Name]
		if c := ready(t, &ep); c.Reason != want {
			t.Errorf("%s: Ready reason %q, want %q (%s)", ep.Metadata.Name, c.Reason, want, c.Message)
		}
		if ep.Status.ObservedGeneration != 1 {
			t.Errorf("%s: observedGeneration %d", ep.Metadata.Name, ep.Status.ObservedGeneration)
		}
	}
	if got := strings.Join(names, ","); got != "broken,chat,emb" {
		t.Errorf("endpoints = %s, want broken,chat,emb (sorted)", got)
	}

	keys := decodeJSON[apiKeyList](t, expect(t, e.do("GET", "/api/v1alpha1/apikeys", ""), 200))
	if keys.Kind != "APIKeyList" || len(keys.Items) != 1 || keys.Items[0].Metadata.Name != "mock" {
		t.Fatalf("apikeys = %+v", keys)
	}
	if c := ready(t, &keys.Items[0]); c.Status != "True" {
		t.Errorf("mock APIKey not ready: %+v", c)
	}

	ep := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 200))
	if ep.Kind != "Endpoint" || ep.Metadata.Name != "chat" || ep.Spec.Targets[0].Model != "mock-1" || ep.Metadata.Labels["team"] != "a" {
		t.Errorf("GET chat = %+v", ep)
	}
	if c := ready(t, &ep); c.Status != "True" || c.Reason != "Reconciled" {
		t.Errorf("chat Ready = %+v", c)
	}
	key := decodeJSON[v1alpha1.APIKey](t, expect(t, e.do("GET", "/api/v1alpha1/apikeys/mock", ""), 200))
	if key.Spec.Provider != "mock" || len(key.Status.Conditions) == 0 {
		t.Errorf("GET mock = %+v", key)
	}

	expectError(t, e.do("GET", "/api/v1alpha1/endpoints/nope", ""), 404, "not_found", `"nope"`)
	expectError(t, e.do("GET", "/api/v1alpha1/apikeys/chat", ""), 404, "not_found")

	// Empty lists are [], not null.
	empty := newEnv(t, nil)
	if body := expect(t, empty.do("GET", "/api/v1alpha1/apikeys", ""), 200); !strings.Contains(body, `"items": []`) {
		t.Errorf("empty list body:\n%s", body)
	}
}

func TestCreate(t *testing.T) {
	e := newEnv(t, baseFiles())
	body := endpointYAML("new-chat", "{team: b}", "mock-2", "")

	w := e.do("POST", "/api/v1alpha1/endpoints?dryRun=true", body)
	if got := decodeJSON[v1alpha1.Endpoint](t, expect(t, w, 201)); got.Metadata.Name != "new-chat" {
		t.Errorf("dry-run create = %+v", got)
	}
	if e.exists("endpoints/new-chat.yaml") {
		t.Fatal("dry-run create wrote a file")
	}

	ep := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("POST", "/api/v1alpha1/endpoints", body), 201))
	if ep.Metadata.Name != "new-chat" || ep.Metadata.Generation != 1 || ep.Metadata.ResourceVersion == "" {
		t.Errorf("created = %+v", ep.Metadata)
	}
	if c := ready(t, &ep); c.Status != "True" {
		t.Errorf("created endpoint not ready: %+v", c)
	}
	// Stable YAML: sorted keys, defaults filled in, no status or server fields.
	want := `apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  labels:
    team: b
  name: new-chat
spec:
  targets:
  - apiKeyRef: mock
    model: mock-2
  task: chat
`
	if got := e.file("endpoints/new-chat.yaml"); got != want {
		t.Errorf("written file:\n%s\nwant:\n%s", got, want)
	}
	if snap := e.index.Snapshot(); snap.Route("new-chat") == nil {
		t.Error("created endpoint is not served: Apply must reconcile before answering")
	}

	expectError(t, e.do("POST", "/api/v1alpha1/endpoints", body), 409, "conflict", "already exists")
	expectError(t, e.do("POST", "/api/v1alpha1/apikeys", mockKey), 409, "conflict", "already exists")

	// An APIKey.
	key := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: local}\nspec:\n  provider: openai-compatible\n  config: {baseURL: 'http://127.0.0.1:9/v1'}\n"
	got := decodeJSON[v1alpha1.APIKey](t, expect(t, e.do("POST", "/api/v1alpha1/apikeys", key), 201))
	if got.Spec.Provider != "openai-compatible" || !e.exists("apikeys/local.yaml") {
		t.Errorf("created APIKey = %+v, files %v", got, e.files())
	}

	// JSON bodies are accepted as well.
	js := `{"apiVersion":"gateway/v1alpha1","kind":"Endpoint","metadata":{"name":"from-json"},"spec":{"targets":[{"model":"m","apiKeyRef":"mock"}]}}`
	expect(t, e.do("POST", "/api/v1alpha1/endpoints", js), 201)
}

// A resource created where a hand-written file already sits at its default
// path must not overwrite that file.
func TestCreateKeepsHandWrittenFileAtDefaultPath(t *testing.T) {
	files := baseFiles()
	handWritten := "# hand-written: holds other endpoints\n" + endpointYAML("other", "", "mock-9", "")
	files["endpoints/late.yaml"] = handWritten
	e := newEnv(t, files)

	expect(t, e.do("POST", "/api/v1alpha1/endpoints", endpointYAML("late", "", "mock-1", "")), 201)
	if got := e.file("endpoints/late.yaml"); got != handWritten {
		t.Errorf("endpoints/late.yaml was overwritten:\n%s", got)
	}
	if !strings.Contains(e.file("endpoints/late-2.yaml"), "name: late") {
		t.Errorf("late was not written beside it: %v", e.files())
	}
	for _, name := range []string{"late", "other"} {
		ep := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/"+name, ""), 200))
		if c := ready(t, &ep); c.Status != "True" {
			t.Errorf("%s: %+v", name, c)
		}
	}
}

func TestReplace(t *testing.T) {
	e := newEnv(t, baseFiles())
	cur := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 200))
	rv := cur.Metadata.ResourceVersion

	changed := strings.Replace(chatEndpoint, "  labels: {team: a}\n", "  labels: {team: a}\n  resourceVersion: \""+rv+"\"\n", 1)
	changed = strings.Replace(changed, "mock-1", "mock-2", 1)

	// A name that differs from the URL's.
	expectError(t, e.do("PUT", "/api/v1alpha1/endpoints/emb", changed), 400, "invalid", "metadata.name", `"chat"`, `"emb"`)

	// dryRun changes nothing.
	before := e.files()
	expect(t, e.do("PUT", "/api/v1alpha1/endpoints/chat?dryRun=true", changed), 200)
	if after := e.files(); !equalMaps(before, after) {
		t.Fatal("dry-run replace changed the folder")
	}

	ep := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("PUT", "/api/v1alpha1/endpoints/chat", changed), 200))
	if ep.Spec.Targets[0].Model != "mock-2" || ep.Metadata.Generation != 2 || ep.Status.ObservedGeneration != 2 {
		t.Errorf("replaced = spec %+v generation %d observed %d", ep.Spec.Targets, ep.Metadata.Generation, ep.Status.ObservedGeneration)
	}
	if ep.Metadata.ResourceVersion == rv || ep.Metadata.ResourceVersion == "" {
		t.Errorf("resourceVersion %q after replace (was %q)", ep.Metadata.ResourceVersion, rv)
	}
	if !strings.Contains(e.file("endpoints/chat.yaml"), "model: mock-2") {
		t.Errorf("file not rewritten:\n%s", e.file("endpoints/chat.yaml"))
	}
	if got := e.index.Snapshot().Route("chat").Pick().Model; got != "mock-2" {
		t.Errorf("served model %q, want mock-2", got)
	}

	// The same body again carries a resourceVersion that is now stale.
	expectError(t, e.do("PUT", "/api/v1alpha1/endpoints/chat", changed), 409, "conflict", "resourceVersion "+rv)

	// A label-only change keeps the generation.
	labelled := strings.Replace(strings.Replace(changed, rv, ep.Metadata.ResourceVersion, 1), "{team: a}", "{team: a, tier: gold}", 1)
	ep2 := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("PUT", "/api/v1alpha1/endpoints/chat", labelled), 200))
	if ep2.Metadata.Generation != 2 || ep2.Metadata.Labels["tier"] != "gold" {
		t.Errorf("after label change: generation %d labels %v", ep2.Metadata.Generation, ep2.Metadata.Labels)
	}

	// Without a resourceVersion the write is unconditional; a PUT of an
	// unknown name creates it.
	expect(t, e.do("PUT", "/api/v1alpha1/endpoints/chat", chatEndpoint), 200)
	expect(t, e.do("PUT", "/api/v1alpha1/endpoints/brand-new", endpointYAML("brand-new", "", "m", "")), 201)
	// A resourceVersion for something that does not exist is a conflict.
	expectError(t, e.do("PUT", "/api/v1alpha1/endpoints/ghost",
		strings.Replace(endpointYAML("ghost", "", "m", ""), "  name: ghost\n", "  name: ghost\n  resourceVersion: abc\n", 1)), 409, "conflict")
}

// A resource defined in a hand-written multi-document file moves to a file of
// its own on replace; the other documents stay byte for byte, comments included.
func TestReplaceMovesOutOfMultiDocumentFile(t *testing.T) {
	head := `# Team A's gateway configuration.
apiVersion: gateway/v1alpha1
kind: APIKey
metadata:
  name: mock
spec:
  provider: mock   # no credential needed
`
	middle := `---
# the chat endpoint (this comment leaves with it)
apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: chat
spec:
  targets:
  - model: mock-1
    apiKeyRef: mock
`
	tail := `---
# embeddings: keep this comment
apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: emb
spec:
  task: embeddings
  targets:
  - {model: mock-embed, apiKeyRef: mock}   # flow style stays too
`
	e := newEnv(t, map[string]string{"team.yaml": head + middle + tail})
	cur := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 200))

	body := strings.Replace(middle, "  name: chat\n", "  name: chat\n  resourceVersion: "+cur.Metadata.ResourceVersion+"\n", 1)
	body = strings.Replace(body, "mock-1", "mock-2", 1)
	ep := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("PUT", "/api/v1alpha1/endpoints/chat", body), 200))
	if ep.Metadata.Generation != 2 {
		t.Errorf("generation %d, want 2", ep.Metadata.Generation)
	}
	if got := e.file("team.yaml"); got != head+tail {
		t.Errorf("team.yaml after the move:\n%s\nwant:\n%s", got, head+tail)
	}
	if got := e.file("endpoints/chat.yaml"); !strings.Contains(got, "model: mock-2") || strings.Contains(got, "#") {
		t.Errorf("endpoints/chat.yaml:\n%s", got)
	}
	if n := len(e.files()); n != 2 {
		t.Errorf("files: %v", e.files())
	}
	for _, name := range []string{"chat", "emb"} {
		got := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/"+name, ""), 200))
		if c := ready(t, &got); c.Status != "True" {
			t.Errorf("%s: %+v", name, c)
		}
	}

	// Deleting a resource from a multi-document file removes just its document.
	expect(t, e.do("DELETE", "/api/v1alpha1/endpoints/emb", ""), 200)
	if got := e.file("team.yaml"); got != head {
		t.Errorf("team.yaml after deleting emb:\n%s\nwant:\n%s", got, head)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, baseFiles())
	cur := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 200))

	expectError(t, e.do("DELETE", "/api/v1alpha1/endpoints/chat?resourceVersion=stale", ""), 409, "conflict", "stale")
	expectError(t, e.do("DELETE", "/api/v1alpha1/endpoints/chat?resourceVersion=stale&dryRun=true", ""), 409, "conflict", "stale")
	expectError(t, e.do("DELETE", "/api/v1alpha1/endpoints/nope?dryRun=true", ""), 404, "not_found")
	expect(t, e.do("DELETE", "/api/v1alpha1/endpoints/chat?dryRun=true", ""), 200)
	if !e.exists("endpoints/chat.yaml") {
		t.Fatal("a stale delete removed the file")
	}
	res := decodeJSON[map[string]any](t, expect(t, e.do("DELETE", "/api/v1alpha1/endpoints/chat?resourceVersion="+cur.Metadata.ResourceVersion, ""), 200))
	if res["kind"] != "Endpoint" || res["name"] != "chat" || res["action"] != "deleted" {
		t.Errorf("delete answer = %v", res)
	}
	if e.exists("endpoints/chat.yaml") {
		t.Error("file still there")
	}
	if e.index.Snapshot().Route("chat") != nil {
		t.Error("deleted endpoint still served")
	}
	expectError(t, e.do("GET", "/api/v1alpha1/endpoints/chat", ""), 404, "not_found")
	expectError(t, e.do("DELETE", "/api/v1alpha1/endpoints/chat", ""), 404, "not_found")
	expectError(t, e.do("DELETE", "/api/v1alpha1/apikeys/nope", ""), 404, "not_found")

	// Deleting an APIKey that an Endpoint uses: allowed; the Endpoint reports it.
	expect(t, e.do("DELETE", "/api/v1alpha1/apikeys/mock", ""), 200)
	emb := decodeJSON[v1alpha1.Endpoint](t, expect(t, e.do("GET", "/api/v1alpha1/endpoints/emb", ""), 200))
	if c := ready(t, &emb); c.Reason != "APIKeyNotFound" {
		t.Errorf("emb after its APIKey was deleted: %+v", c)
	}
}

func TestInvalidBodies(t *testing.T) {
	e := newEnv(t, baseFiles())
	before := e.files()
	twoEndpoints := endpointYAML("one", "", "m", "") + "---\n" + endpointYAML("two", "", "m", "")
	for _, tc := range []struct {
		name, method, path, body string
		want                     []string
	}{
		{"unknown field", "POST", "/api/v1alpha1/endpoints",
			strings.Replace(endpointYAML("x", "", "m", ""), "apiKeyRef: mock", "apiKeyRef: mock\n    wieght: 3", 1),
			[]string{"Endpoint/x", "spec.targets[0].wieght: unknown field"}},
		{"unknown field on replace", "PUT", "/api/v1alpha1/endpoints/chat",
			chatEndpoint + "  retries: 2\n", []string{"spec.retries: unknown field"}},
		{"wrong kind for the route", "POST", "/api/v1alpha1/endpoints", mockKey,
			[]string{"kind", "takes Endpoint", "got APIKey"}},
		{"wrong kind on replace", "PUT", "/api/v1alpha1/apikeys/chat", chatEndpoint,
			[]string{"takes APIKey", "got Endpoint"}},
		{"two objects", "POST", "/api/v1alpha1/endpoints", twoEndpoints,
			[]string{"exactly one Endpoint", "got 2"}},
		{"malformed YAML", "POST", "/api/v1alpha1/endpoints", "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: [x\n",
			[]string{"document 1", "line"}},
		{"empty body", "POST", "/api/v1alpha1/apikeys", "", []string{"got 0"}},
		{"validation", "POST", "/api/v1alpha1/endpoints", endpointYAML("Bad_Name", "", "m", ""),
			[]string{"metadata.name"}},
		{"wrong type", "POST", "/api/v1alpha1/endpoints", endpointYAML("x", "", "m", "  retry: {attempts: many}\n"),
			[]string{"spec.retry.attempts"}},
		{"two credential sources", "POST", "/api/v1alpha1/apikeys",
			"apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: k}\nspec: {provider: openai, env: A, secretRef: {scope: s, key: k}}\n",
			[]string{"spec: only one credential source"}},
		{"apply: no documents", "POST", "/api/v1alpha1/apply", "# nothing\n", []string{"no Endpoint or APIKey"}},
		{"diff: no documents", "POST", "/api/v1alpha1/diff", "", []string{"no Endpoint or APIKey"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, e.do(tc.method, tc.path, tc.body), 400, "invalid", tc.want...)
		})
	}
	if after := e.files(); !equalMaps(before, after) {
		t.Error("an invalid body changed the folder")
	}
}

// Invalid objects name their wrong fields as data too, for a form to mark.
func TestInvalidFields(t *testing.T) {
	e := newEnv(t, baseFiles())
	for _, tc := range []struct {
		name, method, path, body string
		want                     v1alpha1.FieldErrors
	}{
		{"unknown field", "POST", "/api/v1alpha1/endpoints",
			strings.Replace(endpointYAML("x", "", "m", ""), "apiKeyRef: mock", "apiKeyRef: mock\n    wieght: 3", 1),
			v1alpha1.FieldErrors{{Field: "spec.targets[0].wieght", Detail: "unknown field"}}},
		{"two problems", "POST", "/api/v1alpha1/endpoints", endpointYAML("Bad_Name", "", "", ""),
			v1alpha1.FieldErrors{{Field: "metadata.name"}, {Field: "spec.targets[0].model"}}},
		{"wrong kind", "POST", "/api/v1alpha1/endpoints", mockKey, v1alpha1.FieldErrors{{Field: "kind"}}},
		{"name differs from the URL", "PUT", "/api/v1alpha1/endpoints/other", chatEndpoint, v1alpha1.FieldErrors{{Field: "metadata.name"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := expectError(t, e.do(tc.method, tc.path, tc.body), 400, "invalid").Error.Fields
			if len(got) != len(tc.want) {
				t.Fatalf("fields %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				if got[i].Field != w.Field || got[i].Detail == "" || (w.Detail != "" && got[i].Detail != w.Detail) {
					t.Errorf("field %d: %+v, want %+v", i, got[i], w)
				}
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	big := strings.Repeat("#", mgmt.MaxBodySize+1)
	expectError(t, e.do("POST", "/api/v1alpha1/apply", big), 413, "too_large")
	expectError(t, e.do("POST", "/api/v1alpha1/endpoints", big), 413, "too_large")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t, nil)
	expectError(t, e.do("GET", "/api/v1alpha1/widgets", ""), 404, "not_found", "GET /api/v1alpha1/widgets")
	w := e.do("PATCH", "/api/v1alpha1/endpoints/chat", "")
	expectError(t, w, 405, "method_not_allowed")
	if got := w.Header().Get("Allow"); got != "GET, PUT, DELETE" {
		t.Errorf("Allow = %q", got)
	}
	w = e.do("GET", "/api/v1alpha1/apply", "")
	expectError(t, w, 405, "method_not_allowed")
	if got := w.Header().Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q", got)
	}
	if got := e.do("GET", "/api/v1alpha1/status", "").Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
}

// TestRoutes checks that Routes lists what the server serves: each route
// answers something other than the catch-all 404 or 405, and nothing is listed twice.
func TestRoutes(t *testing.T) {
	e := newEnv(t, baseFiles())
	seen := map[string]bool{}
	routes := mgmt.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		key := r.Method + " " + r.Pattern
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		if !strings.HasPrefix(r.Pattern, mgmt.Prefix+"/") {
			t.Errorf("%s: not under %s", key, mgmt.Prefix)
		}
		path := strings.ReplaceAll(r.Pattern, "{name}", "ghost")
		body := ""
		switch r.Method {
		case http.MethodPost, http.MethodPut:
			body = "{}" // invalid for every route: 400, or 200 with an invalid result
		}
		w := e.do(r.Method, path+"?dryRun=true", body)
		if w.Code == 405 || strings.Contains(w.Body.String(), "no management route") {
			t.Errorf("%s: %d %s", key, w.Code, w.Body.String())
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A resource inside a List is not edited by the server: the answer says so
// with 409, not a 500, and the file is left alone.
func TestDeleteFromListIsRefused(t *testing.T) {
	files := baseFiles()
	files["list.yaml"] = "apiVersion: v1\nkind: List\nitems:\n" +
		"- {apiVersion: gateway/v1alpha1, kind: Endpoint, metadata: {name: a}, spec: {targets: [{model: m, apiKeyRef: mock}]}}\n" +
		"- {apiVersion: gateway/v1alpha1, kind: Endpoint, metadata: {name: b}, spec: {targets: [{model: m, apiKeyRef: mock}]}}\n"
	e := newEnv(t, files)
	before := e.file("list.yaml")
	expectError(t, e.do("DELETE", "/api/v1alpha1/endpoints/a", ""), 409, "not_editable", "file of its own")
	if e.file("list.yaml") != before {
		t.Fatal("the List file was changed")
	}
}
