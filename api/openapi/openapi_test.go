package openapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/api/openapi"
	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/ui/swagger"
)

// route is a method and an OpenAPI path template.
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

// dataPlaneRoutes are the routes dataplane/gateway serves itself (DESIGN §3).
// dataplane/gateway has no route table to walk, so the list lives here;
// TestDataPlaneRoutesAnswer proves each one is served by a real gateway.Server.
// A new data-plane route goes here and into openapi.yaml.
var dataPlaneRoutes = []struct {
	route
	body string // a request that succeeds against the test configuration
}{
	{route{"POST", "/gateway/mlflow/v1/chat/completions"}, `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`},
	{route{"POST", "/gateway/mlflow/v1/completions"}, `{"model":"compl","prompt":"once upon a time","max_tokens":8}`},
	{route{"POST", "/gateway/mlflow/v1/embeddings"}, `{"model":"emb","input":["a","b"]}`},
	{route{"GET", "/gateway/mlflow/v1/models"}, ""},
	{route{"POST", "/gateway/{endpoint}/mlflow/invocations"}, `{"messages":[{"role":"user","content":"hello"}]}`},
	{route{"GET", "/health"}, ""},
	{route{"GET", "/ready"}, ""},
	{route{"GET", "/metrics"}, ""},
}

// realRoutes is every route gatewayd serves: the data plane's, the
// management API's (from its own table) and the documentation's.
func realRoutes() []route {
	var out []route
	for _, r := range dataPlaneRoutes {
		out = append(out, r.route)
	}
	for _, r := range mgmt.Routes() {
		out = append(out, route{r.Method, r.Pattern})
	}
	out = append(out, route{"GET", swagger.OpenAPIPath}, route{"GET", swagger.DocsPath})
	return out
}

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

type document map[string]any

func load(t *testing.T) document {
	t.Helper()
	raw := openapi.Document()
	if !json.Valid(raw) {
		t.Fatal("Document is not valid JSON")
	}
	var d document
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// operations calls f for every operation of the document.
func (d document) operations(f func(r route, op map[string]any, pathItem map[string]any)) {
	paths := obj(d["paths"])
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		item := obj(paths[p])
		for _, m := range methods {
			if op := obj(item[m]); op != nil {
				f(route{strings.ToUpper(m), p}, op, item)
			}
		}
	}
}

func TestDocument(t *testing.T) {
	d := load(t)
	if d["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v", d["openapi"])
	}
	info := obj(d["info"])
	if info["title"] == "" || info["version"] != "v1alpha1" {
		t.Errorf("info = %v", info)
	}
	bearer := obj(obj(obj(d["components"])["securitySchemes"])["bearerAuth"])
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("bearerAuth = %v", bearer)
	}
	// Document returns a copy.
	a := openapi.Document()
	a[0] = 'x'
	if openapi.Document()[0] != '{' {
		t.Error("Document shares its buffer")
	}
}

func TestOperations(t *testing.T) {
	d := load(t)
	ids := map[string]string{}
	tags := map[string]bool{}
	for _, tg := range d["tags"].([]any) {
		tags[obj(tg)["name"].(string)] = true
	}
	d.operations(func(r route, op, item map[string]any) {
		id, _ := op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", r)
		case ids[id] != "":
			t.Errorf("operationId %q used by %s and %s", id, ids[id], r)
		}
		ids[id] = r.String()
		if op["summary"] == nil {
			t.Errorf("%s: no summary", r)
		}
		opTags, _ := op["tags"].([]any)
		if len(opTags) == 0 {
			t.Errorf("%s: no tag", r)
		}
		for _, tg := range opTags {
			if !tags[tg.(string)] {
				t.Errorf("%s: tag %v is not declared", r, tg)
			}
		}
		resp := obj(op["responses"])
		if len(resp) == 0 {
			t.Errorf("%s: no responses", r)
		}
		ok := false
		for code := range resp {
			ok = ok || strings.HasPrefix(code, "2")
		}
		if !ok {
			t.Errorf("%s: no 2xx response", r)
		}
		// Management operations need the bearer token; the others do not.
		sec, _ := op["security"].([]any)
		mgmtOp := strings.HasPrefix(r.path, mgmt.Prefix+"/")
		if mgmtOp != (len(sec) == 1 && obj(sec[0])["bearerAuth"] != nil) {
			t.Errorf("%s: security = %v", r, op["security"])
		}
		if mgmtOp {
			if _, ok := resp["401"]; !ok {
				t.Errorf("%s: no 401 response", r)
			}
		}
		// Every {param} of the path is declared, in the path item or the operation.
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(r.path, -1) {
			if !declaresPathParam(d, item["parameters"], m[1]) && !declaresPathParam(d, op["parameters"], m[1]) {
				t.Errorf("%s: path parameter %q is not declared", r, m[1])
			}
		}
	})
	if len(ids) < 25 {
		t.Errorf("only %d operations", len(ids))
	}
}

func declaresPathParam(d document, params any, name string) bool {
	list, _ := params.([]any)
	for _, p := range list {
		pm := obj(p)
		if ref, ok := pm["$ref"].(string); ok {
			pm = obj(resolve(d, ref))
		}
		if pm["in"] == "path" && pm["name"] == name && pm["required"] == true {
			return true
		}
	}
	return false
}

// resolve follows a local JSON pointer ("#/components/schemas/X").
func resolve(d document, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m := obj(cur)
		if m == nil {
			return nil
		}
		v, ok := m[part]
		if !ok {
			return nil
		}
		cur = v
	}
	return cur
}

// TestReferences checks that every $ref resolves, that no $ref has siblings
// (OpenAPI 3.0 ignores them), that required fields are declared properties,
// and that every component schema is used.
func TestReferences(t *testing.T) {
	d := load(t)
	used := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case nil:
			// Nothing in the document is null; a null is a YAML slip, such as
			// a comma in an unquoted flow-mapping value ({description: a, b}).
			t.Errorf("%s is null", path)
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if resolve(d, ref) == nil {
					t.Errorf("%s: $ref %q does not resolve", path, ref)
				}
				if len(x) != 1 {
					t.Errorf("%s: $ref with siblings (ignored by OpenAPI 3.0): %v", path, x)
				}
				used[ref] = true
			}
			if req, ok := x["required"].([]any); ok && x["type"] == "object" {
				props := obj(x["properties"])
				for _, r := range req {
					if _, ok := props[r.(string)]; !ok {
						t.Errorf("%s: required %q is not a property", path, r)
					}
				}
			}
			for k, c := range x {
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range x {
				walk(path+"/"+string(rune('0'+i%10)), c)
			}
		}
	}
	walk("#", map[string]any(d))
	for _, section := range []string{"schemas", "responses", "parameters"} {
		for name := range obj(obj(d["components"])[section]) {
			if ref := "#/components/" + section + "/" + name; !used[ref] {
				t.Errorf("%s is never used", ref)
			}
		}
	}
}

// TestRoutesDocumented keeps the document and the server in step: every real
// route is documented with its method, and every documented operation is a
// real route.
func TestRoutesDocumented(t *testing.T) {
	d := load(t)
	documented := map[route]bool{}
	d.operations(func(r route, _, _ map[string]any) { documented[r] = true })
	real := map[route]bool{}
	for _, r := range realRoutes() {
		if real[r] {
			t.Errorf("%s listed twice", r)
		}
		real[r] = true
		if !documented[r] {
			t.Errorf("%s is served but not documented in openapi.yaml", r)
		}
	}
	for r := range documented {
		if !real[r] {
			t.Errorf("%s is documented but not served", r)
		}
	}
	if len(mgmt.Routes()) < 15 {
		t.Errorf("mgmt.Routes() = %v", mgmt.Routes())
	}
}

// newGateway returns a real data-plane server with three mock Endpoints, one
// per task. Its fallback answers 418, so a test can tell a route the data
// plane serves from one it hands on.
func newGateway(t *testing.T) *gateway.Server {
	t.Helper()
	reg := builtin.Registry()
	idx, err := state.New(reg.Adapter)
	if err != nil {
		t.Fatal(err)
	}
	ep := func(name string, task providers.Task) *state.Endpoint {
		return &state.Endpoint{Name: name, Task: task, Targets: []state.Target{{Model: "mock-1", Credential: "mock", Weight: 1}}}
	}
	if _, err := idx.Replace([]*state.Endpoint{ep("chat", providers.TaskChat), ep("compl", providers.TaskCompletions), ep("emb", providers.TaskEmbeddings)},
		[]*providers.Credential{{Name: "mock", Provider: "mock"}}); err != nil {
		t.Fatal(err)
	}
	return gateway.New(gateway.Options{Index: idx, Metrics: metrics.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fallback: func(rc *fasthttp.RequestCtx) { rc.SetStatusCode(fasthttp.StatusTeapot) }})
}

func serveFast(h fasthttp.RequestHandler, method, path, body string) *fasthttp.Response {
	var rc fasthttp.RequestCtx
	rc.Request.Header.SetMethod(method)
	rc.Request.SetRequestURI(path)
	if body != "" {
		rc.Request.Header.SetContentType("application/json")
		rc.Request.SetBodyString(body)
	}
	h(&rc)
	resp := &fasthttp.Response{}
	rc.Response.CopyTo(resp)
	return resp
}

// TestDataPlaneRoutesAnswer proves the list above against a real
// gateway.Server: each route is served by the data plane (not its fallback,
// not its "no route" 404) and answers 200, and each JSON answer carries the
// required fields of its documented schema.
func TestDataPlaneRoutesAnswer(t *testing.T) {
	d := load(t)
	srv := newGateway(t)
	for _, r := range dataPlaneRoutes {
		t.Run(r.String(), func(t *testing.T) {
			path := strings.ReplaceAll(r.path, "{endpoint}", "chat")
			resp := serveFast(srv.Handle, r.method, path, r.body)
			body := string(resp.Body())
			if resp.StatusCode() == fasthttp.StatusTeapot {
				t.Fatalf("%s went to the fallback: the data plane does not serve it", r)
			}
			if resp.StatusCode() != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode(), body)
			}
			op := obj(obj(obj(d["paths"])[r.path])[strings.ToLower(r.method)])
			content := obj(obj(obj(op["responses"])["200"])["content"])
			ct := string(resp.Header.ContentType())
			media, _, _ := strings.Cut(ct, ";")
			if _, ok := content[media]; !ok {
				t.Errorf("answered %s; documented: %v", ct, keys(content))
			}
			schema := obj(obj(content["application/json"])["schema"])
			if ref, ok := schema["$ref"].(string); ok && media == "application/json" {
				schema = obj(resolve(d, ref))
				var got map[string]any
				if err := json.Unmarshal(resp.Body(), &got); err != nil {
					t.Fatalf("not JSON: %s", body)
				}
				for _, f := range schema["required"].([]any) {
					if _, ok := got[f.(string)]; !ok {
						t.Errorf("answer lacks required %q: %s", f, body)
					}
				}
				for f := range got {
					if _, ok := obj(schema["properties"])[f]; !ok {
						t.Errorf("answer has undocumented field %q", f)
					}
				}
			}
		})
	}
	// The check can fail: an unknown data-plane path is the "no route" 404,
	// anything else goes to the fallback.
	if resp := serveFast(srv.Handle, "POST", "/gateway/mlflow/v1/nothing", "{}"); resp.StatusCode() != 404 || !strings.Contains(string(resp.Body()), "no route") {
		t.Errorf("unknown gateway path: %d %s", resp.StatusCode(), resp.Body())
	}
	if resp := serveFast(srv.Handle, "GET", "/not-a-route", ""); resp.StatusCode() != fasthttp.StatusTeapot {
		t.Errorf("unknown path: %d", resp.StatusCode())
	}
}

// TestErrorSchemas compares the documented error bodies with real ones.
func TestErrorSchemas(t *testing.T) {
	d := load(t)
	fields := func(schema string) []string {
		props := obj(obj(obj(resolve(d, "#/components/schemas/"+schema))["properties"])["error"])
		return keys(obj(props["properties"]))
	}
	// The data plane: a 404 for an unknown Endpoint.
	resp := serveFast(newGateway(t).Handle, "POST", "/gateway/mlflow/v1/chat/completions", `{"model":"nope","messages":[]}`)
	var dp map[string]map[string]any
	if err := json.Unmarshal(resp.Body(), &dp); err != nil || resp.StatusCode() != 404 {
		t.Fatalf("%d %s", resp.StatusCode(), resp.Body())
	}
	if got, want := keys(dp["error"]), fields("Error"); !slices.Equal(got, want) {
		t.Errorf("data-plane error fields %v, documented %v", got, want)
	}
	// The management API: a 401.
	api := mgmt.New(mgmt.Options{AdminToken: "t", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := httptest.NewRecorder()
	api.ServeHTTP(w, httptest.NewRequest("GET", mgmt.Prefix+"/endpoints", nil))
	var me map[string]map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || w.Code != 401 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	documented := fields("ManagementError")
	for _, f := range keys(me["error"]) {
		if !slices.Contains(documented, f) {
			t.Errorf("management error field %q is not documented (%v)", f, documented)
		}
	}
}

// TestSchemasMatchGoTypes checks that the resource and response schemas list
// exactly the JSON fields of the Go types the server marshals.
func TestSchemasMatchGoTypes(t *testing.T) {
	d := load(t)
	schemas := obj(obj(d["components"])["schemas"])
	for name, v := range map[string]any{
		"Endpoint":       v1alpha1.Endpoint{},
		"EndpointSpec":   v1alpha1.EndpointSpec{},
		"Target":         v1alpha1.Target{},
		"RetryPolicy":    v1alpha1.RetryPolicy{},
		"RateLimit":      v1alpha1.RateLimit{},
		"APIKey":         v1alpha1.APIKey{},
		"APIKeySpec":     v1alpha1.APIKeySpec{},
		"SecretRef":      v1alpha1.SecretRef{},
		"ProviderConfig": v1alpha1.ProviderConfig{},
		"AzureConfig":    v1alpha1.AzureConfig{},
		"AWSConfig":      v1alpha1.AWSConfig{},
		"VertexConfig":   v1alpha1.VertexConfig{},
		"ObjectMeta":     v1alpha1.ObjectMeta{},
		"Condition":      v1alpha1.Condition{},
		"Status":         v1alpha1.Status{},
		"EndpointList":   mgmt.List{},
		"APIKeyList":     mgmt.List{},
		"ApplyResult":    controller.Result{},
		"ApplyResponse":  mgmt.ApplyResponse{},
		"DiffResponse":   mgmt.DiffResponse{},
		"DiffEntry":      mgmt.DiffEntry{},
		"Routing":        mgmt.Route{},
		"RouteTarget":    mgmt.RouteTarget{},
		"ProviderInfo":   mgmt.ProviderInfo{},
	} {
		s := obj(schemas[name])
		if s == nil {
			t.Errorf("schema %s is missing", name)
			continue
		}
		got := keys(obj(s["properties"]))
		want := jsonFields(reflect.TypeOf(v))
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("schema %s has properties %v; %T has JSON fields %v", name, got, v, want)
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, inlined structs included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestHandler(t *testing.T) {
	h := openapi.Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", openapi.Path, nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != string(openapi.Document()) {
		t.Fatalf("GET: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	etag := w.Header().Get("ETag")
	r := httptest.NewRequest("GET", openapi.Path, nil)
	r.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", openapi.Path, nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}
