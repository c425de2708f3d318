package openapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/api/openapi"
	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
	"github.com/ai-gateway/gateway/dataplane/dialect/anthropic"
	"github.com/ai-gateway/gateway/dataplane/dialect/gemini"
	"github.com/ai-gateway/gateway/dataplane/dialect/responses"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/ui/swagger"
	"github.com/ai-gateway/gateway/ui/web"
)

// route is a method and an OpenAPI path template.
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

// sample is a request to a data-plane route.
type sample struct {
	route
	endpoint string            // the Endpoint named by the path's {endpoint}; "chat" when empty
	query    string            // the query string, if any
	header   map[string]string // request headers
	body     string
}

// url is the sample's request URI.
func (s sample) url() string {
	ep := s.endpoint
	if ep == "" {
		ep = "chat"
	}
	u := strings.ReplaceAll(s.path, "{endpoint}", ep)
	if s.query != "" {
		u += "?" + s.query
	}
	return u
}

// The credentials SDKs send; the data plane ignores them, so samples
// carrying them still succeed.
var (
	openAISDK    = map[string]string{"Authorization": "Bearer sk-client-key"}
	anthropicSDK = map[string]string{"x-api-key": "sk-ant-client-key", "anthropic-version": "2023-06-01"}
	geminiSDK    = map[string]string{"x-goog-api-key": "client-key"}
)

// dataPlaneRoutes are the routes dataplane/gateway serves itself (DESIGN §3
// and dataplane/gateway/native.go), each with a request that succeeds against
// the test configuration. dataplane/gateway has no route table to walk, so
// the list lives here; TestDataPlaneRoutesAnswer proves each one is served by
// a real gateway.Server. A new data-plane route goes here and into
// openapi.yaml. Gemini's {endpoint}:{method} route is one documented path per
// method.
var dataPlaneRoutes = []sample{
	{route: route{"POST", "/gateway/mlflow/v1/chat/completions"}, body: `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`},
	{route: route{"POST", "/gateway/mlflow/v1/completions"}, body: `{"model":"compl","prompt":"once upon a time","max_tokens":8}`},
	{route: route{"POST", "/gateway/mlflow/v1/embeddings"}, body: `{"model":"emb","input":["a","b"]}`},
	{route: route{"GET", "/gateway/mlflow/v1/models"}},
	{route: route{"POST", "/gateway/{endpoint}/mlflow/invocations"}, body: `{"messages":[{"role":"user","content":"hello"}]}`},

	{route: route{"POST", "/gateway/openai/v1/chat/completions"}, header: openAISDK, body: `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`},
	{route: route{"POST", "/gateway/openai/v1/completions"}, header: openAISDK, body: `{"model":"compl","prompt":"once upon a time","max_tokens":8}`},
	{route: route{"POST", "/gateway/openai/v1/embeddings"}, header: openAISDK, body: `{"model":"emb","input":["a","b"]}`},
	{route: route{"GET", "/gateway/openai/v1/models"}, header: openAISDK},
	{route: route{"POST", "/gateway/openai/v1/responses"}, header: openAISDK, body: `{"model":"chat","instructions":"Be brief.","input":"hello","max_output_tokens":64}`},

	{route: route{"POST", "/gateway/anthropic/v1/messages"}, header: anthropicSDK,
		body: `{"model":"chat","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"hello"}]}]}`},
	{route: route{"POST", "/gateway/anthropic/v1/messages/count_tokens"}, header: anthropicSDK,
		body: `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`},

	{route: route{"GET", "/gateway/gemini/v1beta/models"}, header: geminiSDK},
	{route: route{"GET", "/gateway/gemini/v1beta/models/{endpoint}"}, header: geminiSDK},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:generateContent"}, header: geminiSDK, query: "key=client-key",
		body: `{"systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"hello"}]}],"generationConfig":{"maxOutputTokens":64}}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:streamGenerateContent"}, header: geminiSDK,
		body: `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:countTokens"}, header: geminiSDK,
		body: `{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:embedContent"}, endpoint: "emb", header: geminiSDK,
		body: `{"content":{"parts":[{"text":"hello"}]}}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:batchEmbedContents"}, endpoint: "emb", header: geminiSDK,
		body: `{"requests":[{"model":"models/emb","content":{"parts":[{"text":"a"}]}},{"model":"models/emb","content":{"parts":[{"text":"b"}]}}]}`},

	{route: route{"GET", "/health"}},
	{route: route{"GET", "/ready"}},
	{route: route{"GET", "/metrics"}},
}

// streamSamples are streamed answers of data-plane routes, checked by
// TestDataPlaneStreams against the documented media types, event names and
// event data.
var streamSamples = []sample{
	{route: route{"POST", "/gateway/mlflow/v1/chat/completions"}, body: `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello there"}]}`},
	{route: route{"POST", "/gateway/openai/v1/completions"}, body: `{"model":"compl","stream":true,"prompt":"hello there"}`},
	{route: route{"POST", "/gateway/openai/v1/responses"}, body: `{"model":"chat","stream":true,"input":"hello there"}`},
	{route: route{"POST", "/gateway/anthropic/v1/messages"}, header: anthropicSDK,
		body: `{"model":"chat","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:streamGenerateContent"}, query: "alt=sse", header: geminiSDK,
		body: `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}`},
	{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:streamGenerateContent"}, header: geminiSDK,
		body: `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}`},
}

// realRoutes is every route gatewayd serves: the data plane's, the
// management API's (from its own table), the documentation's and the web UI's page.
func realRoutes() []route {
	var out []route
	for _, r := range dataPlaneRoutes {
		out = append(out, r.route)
	}
	for _, r := range mgmt.Routes() {
		out = append(out, route{r.Method, r.Pattern})
	}
	out = append(out, route{"GET", swagger.OpenAPIPath}, route{"GET", swagger.DocsPath}, route{"GET", web.IndexPath})
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
		// Management operations need the bearer token; no other operation
		// requires a credential (the native routes ignore the SDKs').
		sec, _ := op["security"].([]any)
		mgmtOp := strings.HasPrefix(r.path, mgmt.Prefix+"/")
		if mgmtOp && (len(sec) != 1 || obj(sec[0])["bearerAuth"] == nil) {
			t.Errorf("%s: security = %v", r, op["security"])
		}
		for _, req := range sec {
			if !mgmtOp && len(obj(req)) > 0 {
				t.Errorf("%s: the data plane requires no credential; security = %v", r, op["security"])
			}
		}
		// A native dialect's operations carry its tag and document the
		// credential its SDK sends, which the gateway ignores.
		for prefix, want := range nativeDialects {
			if !strings.HasPrefix(r.path, prefix) {
				continue
			}
			if !slices.Contains(opTags, any(want.tag)) {
				t.Errorf("%s: tags %v lack %q", r, opTags, want.tag)
			}
			for _, p := range want.credentials {
				ref := "#/components/parameters/" + p
				if !refersTo(item["parameters"], ref) && !refersTo(op["parameters"], ref) {
					t.Errorf("%s: the SDK credential parameter %s is not documented", r, ref)
				}
			}
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

// nativeDialects are the data-plane path prefixes of the native dialects,
// with their tag and the parameters documenting their SDK's credentials
// (OpenAI's, an Authorization header, cannot be an OpenAPI 3.0 parameter).
var nativeDialects = map[string]struct {
	tag         string
	credentials []string
}{
	"/gateway/openai/":    {"OpenAI native", nil},
	"/gateway/anthropic/": {"Anthropic", []string{"anthropicApiKey"}},
	"/gateway/gemini/":    {"Gemini", []string{"googApiKey", "googKey"}},
}

func refersTo(params any, ref string) bool {
	list, _ := params.([]any)
	for _, p := range list {
		if obj(p)["$ref"] == ref {
			return true
		}
	}
	return false
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
	for _, section := range []string{"schemas", "responses", "parameters", "requestBodies"} {
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
// per task, and the native dialects gatewayd wires in
// (controlplane/daemon). Its fallback answers 418, so a test can tell a route
// the data plane serves from one it hands on.
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
		Fallback: func(rc *fasthttp.RequestCtx) { rc.SetStatusCode(fasthttp.StatusTeapot) },
		Dialects: gateway.Dialects{Anthropic: anthropic.New(), Gemini: gemini.New(), Responses: responses.New()}})
}

// serve sends s to h and returns the whole answer, a stream read to its end.
func serve(h fasthttp.RequestHandler, s sample) *fasthttp.Response {
	var rc fasthttp.RequestCtx
	rc.Request.Header.SetMethod(s.method)
	rc.Request.SetRequestURI(s.url())
	for k, v := range s.header {
		rc.Request.Header.Set(k, v)
	}
	if s.body != "" {
		rc.Request.Header.SetContentType("application/json")
		rc.Request.SetBodyString(s.body)
	}
	h(&rc)
	rc.Response.Body() // drains a body stream
	resp := &fasthttp.Response{}
	rc.Response.CopyTo(resp)
	return resp
}

func serveFast(h fasthttp.RequestHandler, method, path, body string) *fasthttp.Response {
	return serve(h, sample{route: route{method, path}, body: body})
}

// operation returns the documented operation of r.
func (d document) operation(r route) map[string]any {
	return obj(obj(obj(d["paths"])[r.path])[strings.ToLower(r.method)])
}

// deref follows v's $ref, if it has one.
func (d document) deref(v any) map[string]any {
	m := obj(v)
	if ref, ok := m["$ref"].(string); ok {
		return obj(resolve(d, ref))
	}
	return m
}

// response returns r's documented response for status, $ref followed.
func (d document) response(r route, status int) map[string]any {
	return d.deref(obj(d.operation(r)["responses"])[strconv.Itoa(status)])
}

// requestSchema returns r's documented JSON request body schema, or nil.
func (d document) requestSchema(r route) map[string]any {
	rb := d.deref(d.operation(r)["requestBody"])
	return d.deref(obj(obj(rb["content"])["application/json"])["schema"])
}

// mediaType returns a content type without its parameters.
func mediaType(ct []byte) string {
	m, _, _ := strings.Cut(string(ct), ";")
	return strings.TrimSpace(m)
}

// TestDataPlaneRoutesAnswer proves the list above against a real
// gateway.Server: each route is served by the data plane (not its fallback,
// not its "no route" 404) and answers 200, SDK credential headers and all;
// the sample request conforms to the documented request schema, and a JSON
// answer to the documented response schema (required and declared fields,
// types, enums, nested objects included).
func TestDataPlaneRoutesAnswer(t *testing.T) {
	d := load(t)
	srv := newGateway(t)
	for _, r := range dataPlaneRoutes {
		t.Run(r.String(), func(t *testing.T) {
			if d.operation(r.route) == nil {
				t.Fatalf("%s is not documented", r)
			}
			if r.body != "" {
				var req any
				if err := json.Unmarshal([]byte(r.body), &req); err != nil {
					t.Fatalf("sample body: %v", err)
				}
				schema := d.requestSchema(r.route)
				if schema == nil {
					t.Fatalf("%s documents no JSON request body", r)
				}
				for _, e := range conform(d, "request", schema, req) {
					t.Errorf("sample request: %s", e)
				}
			}
			resp := serve(srv.Handle, r)
			body := string(resp.Body())
			if resp.StatusCode() == fasthttp.StatusTeapot {
				t.Fatalf("%s went to the fallback: the data plane does not serve it", r)
			}
			if resp.StatusCode() != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode(), body)
			}
			content := obj(d.response(r.route, 200)["content"])
			media := mediaType(resp.Header.ContentType())
			if _, ok := content[media]; !ok {
				t.Fatalf("answered %s; documented: %v", media, keys(content))
			}
			if media != "application/json" {
				return
			}
			var got any
			if err := json.Unmarshal(resp.Body(), &got); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			for _, e := range conform(d, "answer", obj(obj(content[media])["schema"]), got) {
				t.Errorf("%s in %.300s", e, body)
			}
		})
	}
	// The check can fail: an unknown data-plane path is a 404 (in the
	// dialect's format under a native prefix), anything else goes to the
	// fallback.
	for _, p := range []string{"/gateway/mlflow/v1/nothing", "/gateway/openai/v1/nothing", "/gateway/anthropic/v1/nothing",
		"/gateway/gemini/v1/models", "/gateway/gemini/v1beta/models/chat:nothing"} {
		if resp := serveFast(srv.Handle, "POST", p, "{}"); resp.StatusCode() != 404 {
			t.Errorf("unknown gateway path %s: %d %s", p, resp.StatusCode(), resp.Body())
		}
	}
	if resp := serveFast(srv.Handle, "POST", "/gateway/mlflow/v1/nothing", "{}"); !strings.Contains(string(resp.Body()), "no route") {
		t.Errorf("unknown gateway path: %s", resp.Body())
	}
	if resp := serveFast(srv.Handle, "GET", "/not-a-route", ""); resp.StatusCode() != fasthttp.StatusTeapot {
		t.Errorf("unknown path: %d", resp.StatusCode())
	}
}

// TestRequiredRequestFields checks the documented required request fields of
// the native dialects, which the gateway parses itself: a sample without
// one of them is refused with a 400. (The OpenAI-format routes pass bodies
// on, so their required fields are the provider's to enforce.)
func TestRequiredRequestFields(t *testing.T) {
	d := load(t)
	srv := newGateway(t)
	checked := 0
	for _, r := range dataPlaneRoutes {
		native := strings.HasPrefix(r.path, "/gateway/anthropic/") || strings.HasPrefix(r.path, "/gateway/gemini/") ||
			r.path == "/gateway/openai/v1/responses"
		if !native || r.body == "" {
			continue
		}
		required, _ := d.requestSchema(r.route)["required"].([]any)
		for _, f := range required {
			var m map[string]any
			if err := json.Unmarshal([]byte(r.body), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, f.(string))
			b, _ := json.Marshal(m)
			s := r
			s.body = string(b)
			if resp := serve(srv.Handle, s); resp.StatusCode() != 400 {
				t.Errorf("%s without required %q: %d %s", r, f, resp.StatusCode(), resp.Body())
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("only %d required fields checked", checked)
	}
}

// TestRequestExamples checks that every JSON request example conforms to its
// schema, so Swagger UI's "Try it out" starts from a valid body.
func TestRequestExamples(t *testing.T) {
	d := load(t)
	n := 0
	d.operations(func(r route, op, _ map[string]any) {
		mt := obj(obj(d.deref(op["requestBody"])["content"])["application/json"])
		ex, ok := mt["example"]
		if !ok {
			return
		}
		n++
		for _, e := range conform(d, r.String()+" example", obj(mt["schema"]), ex) {
			t.Error(e)
		}
	})
	if n < 15 {
		t.Errorf("only %d request examples", n)
	}
}

// sseEvent is one server-sent event.
type sseEvent struct{ name, data string }

func parseSSE(body string) []sseEvent {
	var out []sseEvent
	for _, block := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		var ev sseEvent
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event:"); ok {
				ev.name = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				ev.data += strings.TrimSpace(v)
			}
		}
		if ev.name != "" || ev.data != "" {
			out = append(out, ev)
		}
	}
	return out
}

// TestDataPlaneStreams checks streamed answers against the document: the
// media type is documented, every event name is named (in backquotes) in the
// stream's description and matches the data's "type", and every event's data
// conforms to the schema x-sse-data names. Gemini's default stream, a JSON
// array, conforms to its array schema.
func TestDataPlaneStreams(t *testing.T) {
	d := load(t)
	srv := newGateway(t)
	for _, s := range streamSamples {
		t.Run(s.String()+"?"+s.query, func(t *testing.T) {
			resp := serve(srv.Handle, s)
			body := string(resp.Body())
			if resp.StatusCode() != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode(), body)
			}
			media := mediaType(resp.Header.ContentType())
			mt := obj(obj(d.response(s.route, 200)["content"])[media])
			if mt == nil {
				t.Fatalf("answered %s, which is not documented", media)
			}
			schema := obj(mt["schema"])
			if media == "application/json" {
				var got any
				if err := json.Unmarshal(resp.Body(), &got); err != nil {
					t.Fatalf("not JSON: %s", body)
				}
				if _, ok := got.([]any); !ok {
					t.Fatalf("a stream as JSON is an array: %.300s", body)
				}
				for _, e := range conform(d, "stream", schema, got) {
					t.Error(e)
				}
				return
			}
			if media != "text/event-stream" {
				t.Fatalf("answered %s", media)
			}
			desc, _ := schema["description"].(string)
			events := parseSSE(body)
			if len(events) < 2 {
				t.Fatalf("not a stream: %s", body)
			}
			for i, ev := range events {
				if ev.name != "" && !strings.Contains(desc, "`"+ev.name+"`") {
					t.Errorf("event %q is not named in the documented description %q", ev.name, desc)
				}
				if ev.data == "[DONE]" {
					if !strings.Contains(desc, "[DONE]") {
						t.Errorf("[DONE] is not documented: %q", desc)
					}
					continue
				}
				var got any
				if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
					t.Fatalf("event %d data is not JSON: %s", i, ev.data)
				}
				if typ, ok := obj(got)["type"]; ok && ev.name != "" && typ != ev.name {
					t.Errorf("event %q has data of type %v", ev.name, typ)
				}
				if ds := mt["x-sse-data"]; ds != nil {
					for _, e := range conform(d, fmt.Sprintf("event %d (%s)", i, ev.name), obj(ds), got) {
						t.Error(e)
					}
				}
			}
		})
	}
}

// TestErrorSchemas compares the documented error bodies with real ones: the
// data plane's in each dialect, and the management API's.
func TestErrorSchemas(t *testing.T) {
	d := load(t)
	fields := func(schema string) []string {
		props := obj(obj(obj(resolve(d, "#/components/schemas/"+schema))["properties"])["error"])
		return keys(obj(props["properties"]))
	}
	srv := newGateway(t)
	// The data plane: a 404 for an unknown Endpoint.
	resp := serveFast(srv.Handle, "POST", "/gateway/mlflow/v1/chat/completions", `{"model":"nope","messages":[]}`)
	var dp map[string]map[string]any
	if err := json.Unmarshal(resp.Body(), &dp); err != nil || resp.StatusCode() != 404 {
		t.Fatalf("%d %s", resp.StatusCode(), resp.Body())
	}
	if got, want := keys(dp["error"]), fields("Error"); !slices.Equal(got, want) {
		t.Errorf("data-plane error fields %v, documented %v", got, want)
	}
	// Each dialect's errors, in its own format, under the status the
	// operation documents them with.
	chat := `{"contents":[{"parts":[{"text":"hi"}]}]}`
	for _, c := range []struct {
		s      sample
		status int
		schema string
	}{
		{sample{route: route{"POST", "/gateway/anthropic/v1/messages"}, body: `{"model":"nope","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`}, 404, "AnthropicError"},
		{sample{route: route{"POST", "/gateway/anthropic/v1/messages"}, body: `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`}, 400, "AnthropicError"},
		{sample{route: route{"GET", "/gateway/anthropic/v1/messages/count_tokens"}}, 405, "AnthropicError"},
		{sample{route: route{"POST", "/gateway/anthropic/v1/messages"}, body: `{"model":"emb","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`}, 400, "AnthropicError"},
		{sample{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:generateContent"}, endpoint: "nope", body: chat}, 404, "GeminiError"},
		{sample{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:generateContent"}, body: `{"contents":[{"role":"robot","parts":[{"text":"hi"}]}]}`}, 400, "GeminiError"},
		{sample{route: route{"GET", "/gateway/gemini/v1beta/models/{endpoint}:countTokens"}}, 405, "GeminiError"},
		{sample{route: route{"POST", "/gateway/gemini/v1beta/models/{endpoint}:embedContent"}, body: `{"content":{"parts":[{"text":"hi"}]}}`}, 400, "GeminiError"},
		{sample{route: route{"GET", "/gateway/gemini/v1beta/models/{endpoint}"}, endpoint: "nope"}, 404, "GeminiError"},
		{sample{route: route{"POST", "/gateway/openai/v1/responses"}, body: `{"model":"nope","input":"hi"}`}, 404, "Error"},
		{sample{route: route{"POST", "/gateway/openai/v1/responses"}, body: `{"model":"chat","input":"hi","tools":[{"type":"web_search"}]}`}, 400, "Error"},
	} {
		resp := serve(srv.Handle, c.s)
		if resp.StatusCode() != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.s.method, c.s.url(), resp.StatusCode(), resp.Body(), c.status)
			continue
		}
		op := c.s.route
		if c.status == 405 {
			op.method = "POST" // the wrong method's answer is documented on the right one
		}
		documented := d.response(op, c.status)
		schema := obj(obj(obj(documented["content"])["application/json"])["schema"])
		if schema["$ref"] != "#/components/schemas/"+c.schema {
			t.Errorf("%s: %d is documented with %v, want %s", op, c.status, schema, c.schema)
		}
		var got any
		if err := json.Unmarshal(resp.Body(), &got); err != nil {
			t.Fatalf("%s: not JSON: %s", c.s.route, resp.Body())
		}
		for _, e := range conform(d, c.s.String(), schema, got) {
			t.Errorf("%s in %s", e, resp.Body())
		}
		if c.status == 405 && resp.Header.Peek("Allow") == nil {
			t.Errorf("%s: 405 without Allow", c.s.route)
		}
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

// conform reports where v departs from schema, a subset of OpenAPI 3.0's
// schema object: a missing required property, an undeclared one (where the
// schema declares properties and additionalProperties does not allow more),
// a wrong JSON type, a value outside an enum, null where the schema is not
// nullable. It follows $ref, allOf, oneOf and anyOf (some variant must
// match), array items and object properties.
func conform(d document, at string, schema map[string]any, v any) []string {
	if ref, ok := schema["$ref"].(string); ok {
		target := obj(resolve(d, ref))
		if target == nil {
			return []string{at + ": $ref " + ref + " does not resolve"}
		}
		return conform(d, at, target, v)
	}
	constrained := false
	for _, k := range []string{"type", "properties", "items", "enum", "allOf", "oneOf", "anyOf"} {
		constrained = constrained || schema[k] != nil
	}
	if v == nil {
		if constrained && schema["nullable"] != true {
			return []string{at + " is null"}
		}
		return nil
	}
	var errs []string
	all, _ := schema["allOf"].([]any)
	for _, sub := range all {
		errs = append(errs, conform(d, at, obj(sub), v)...)
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		alts, _ := schema[key].([]any)
		if len(alts) == 0 {
			continue
		}
		var first []string
		matched := false
		for i, alt := range alts {
			e := conform(d, at, obj(alt), v)
			if len(e) == 0 {
				matched = true
				break
			}
			if i == 0 {
				first = e
			}
		}
		if !matched {
			errs = append(errs, fmt.Sprintf("%s matches no %s variant (the first: %s)", at, key, strings.Join(first, "; ")))
		}
	}
	if typ, _ := schema["type"].(string); typ != "" && !hasType(typ, v) {
		return append(errs, fmt.Sprintf("%s is %v, not of type %s", at, v, typ))
	}
	if enum, _ := schema["enum"].([]any); enum != nil {
		switch v.(type) {
		case string, bool, float64:
			if !slices.Contains(enum, v) {
				errs = append(errs, fmt.Sprintf("%s is %v, not one of %v", at, v, enum))
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props := obj(schema["properties"])
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s lacks required %q", at, r))
			}
		}
		for _, k := range keys(x) {
			if ps, ok := props[k]; ok {
				errs = append(errs, conform(d, at+"."+k, obj(ps), x[k])...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case map[string]any:
				errs = append(errs, conform(d, at+"."+k, ap, x[k])...)
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s has undocumented field %q", at, k))
				}
			default:
				if props != nil {
					errs = append(errs, fmt.Sprintf("%s has undocumented field %q", at, k))
				}
			}
		}
	case []any:
		if items := obj(schema["items"]); items != nil {
			for i, e := range x {
				errs = append(errs, conform(d, fmt.Sprintf("%s[%d]", at, i), items, e)...)
			}
		}
	}
	return errs
}

func hasType(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
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
