package gateway

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	anthropicdialect "github.com/ai-gateway/gateway/dataplane/dialect/anthropic"
	geminidialect "github.com/ai-gateway/gateway/dataplane/dialect/gemini"
	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/dataplane/state"
)

const upstreamKey = "sk-upstream-test"

type env struct {
	t        *testing.T
	url      string
	index    *state.Index
	upstream *openaitest.Server
}

// newEnv starts a data plane on loopback in front of a fake OpenAI upstream.
func newEnv(t *testing.T, opts ...func(*Options)) *env {
	t.Helper()
	up := openaitest.New(upstreamKey)
	t.Cleanup(up.Close)
	reg := builtin.Registry()
	idx, err := state.New(reg.Adapter)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Index: idx, Metrics: metrics.New(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range opts {
		f(&o)
	}
	srv := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	return &env{t: t, url: "http://" + ln.Addr().String(), index: idx, upstream: up}
}

func (e *env) creds() []*providers.Credential {
	return []*providers.Credential{
		{Name: "up", Provider: "openai", BaseURL: e.upstream.BaseURL(), Secret: upstreamKey},
		{Name: "badkey", Provider: "openai", BaseURL: e.upstream.BaseURL(), Secret: "wrong"},
		{Name: "mock", Provider: "mock"},
	}
}

func (e *env) serve(eps ...*state.Endpoint) {
	e.t.Helper()
	if _, err := e.index.Replace(eps, e.creds()); err != nil {
		e.t.Fatal(err)
	}
}

func chatEP(name string, targets ...state.Target) *state.Endpoint {
	return &state.Endpoint{Name: name, Task: providers.TaskChat, Targets: targets}
}

func tgt(model, cred string) state.Target {
	return state.Target{Model: model, Credential: cred, Weight: 1}
}

func (e *env) post(path, body string) (*http.Response, string) {
	e.t.Helper()
	resp, err := http.Post(e.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const chatPath = "/gateway/mlflow/v1/chat/completions"

func errBody(t *testing.T, body string) openAIErrorBody {
	t.Helper()
	var e openAIError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	return e.Error
}

func TestChatForwardsBodyWithModelRewritten(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("my-chat", tgt("gpt-real", "up")))
	resp, body := e.post(chatPath, `{"model":"my-chat","messages":[{"role":"user","content":"hi"}],"brand_new_param":{"x":[1,2]}}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `"content":"fake: hi"`) {
		t.Fatalf("unexpected body %s", body)
	}
	got, h := e.upstream.LastRequest()
	if got["model"] != "gpt-real" {
		t.Errorf("upstream model = %v, want gpt-real", got["model"])
	}
	if _, ok := got["brand_new_param"]; !ok {
		t.Errorf("unknown parameter was not passed through: %v", got)
	}
	if h.Get("Authorization") != "Bearer "+upstreamKey {
		t.Errorf("upstream did not get the server-side key")
	}
	if resp.Header.Get("X-Upstream-Request-Id") != "req_fake_1" {
		t.Errorf("upstream request id not passed on: %v", resp.Header)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("my-chat", tgt("gpt", "up")), chatEP("unauth", tgt("gpt", "badkey")),
		&state.Endpoint{Name: "emb", Task: providers.TaskEmbeddings, Targets: []state.Target{tgt("e", "up")}},
		chatEP("bad-request", tgt("fail-400", "up")))
	tests := []struct {
		name, path, body string
		status           int
		param, contains  string
	}{
		{"malformed JSON", chatPath, `{"model":`, 400, "", "invalid JSON"},
		{"not an object", chatPath, `[1,2]`, 400, "", "JSON object"},
		{"empty body", chatPath, ``, 400, "", "empty"},
		{"missing model", chatPath, `{"messages":[]}`, 400, "model", "model is required"},
		{"unknown endpoint", chatPath, `{"model":"nope","messages":[]}`, 404, "model", `"nope" does not exist`},
		{"wrong task", chatPath, `{"model":"emb","messages":[]}`, 400, "model", "serves embeddings"},
		{"upstream 401 passed on", chatPath, `{"model":"unauth","messages":[]}`, 401, "", "Incorrect API key"},
		{"upstream 400 passed on", chatPath, `{"model":"bad-request","messages":[]}`, 400, "", "fake upstream failure 400"},
		{"unknown gateway path", "/gateway/mlflow/v1/nope", `{}`, 404, "", "no route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.post(tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			eb := errBody(t, body)
			if !strings.Contains(eb.Message, tt.contains) {
				t.Errorf("message %q does not contain %q", eb.Message, tt.contains)
			}
			if tt.param != "" && (eb.Param == nil || *eb.Param != tt.param) {
				t.Errorf("param = %v, want %q", eb.Param, tt.param)
			}
			if strings.Contains(body, upstreamKey) {
				t.Errorf("error leaks the credential: %s", body)
			}
		})
	}
}

func TestRetryAndFallback(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("resilient", tgt("fail-503", "up"))
	ep.Retry = state.Retry{Attempts: 3, Backoff: time.Millisecond}
	ep.Fallbacks = []state.Target{{Model: "fail-500", Credential: "up"}, {Model: "good", Credential: "up"}}
	e.serve(ep)
	resp, body := e.post(chatPath, `{"model":"resilient","messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	// 3 attempts on the primary, 3 on the first fallback, 1 on the good one.
	if n := e.upstream.Calls(); n != 7 {
		t.Fatalf("upstream calls = %d, want 7", n)
	}
	got, _ := e.upstream.LastRequest()
	if got["model"] != "good" {
		t.Fatalf("served by %v", got["model"])
	}
	// The answer says which configuration and which attempt produced it.
	gen := e.index.Snapshot().Generation
	for h, want := range map[string]string{
		"X-Gateway-Endpoint":          "resilient@0",
		"X-Gateway-Config-Generation": strconv.FormatUint(gen, 10),
		"X-Gateway-Target":            "up/good",
		"X-Gateway-Attempt":           "7",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
}

func TestNonRetryableErrorDoesNotFallBack(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("strict", tgt("fail-400", "up"))
	ep.Retry = state.Retry{Attempts: 3}
	ep.Fallbacks = []state.Target{{Model: "good", Credential: "up"}}
	e.serve(ep)
	resp, _ := e.post(chatPath, `{"model":"strict","messages":[]}`)
	if resp.StatusCode != 400 || e.upstream.Calls() != 1 {
		t.Fatalf("status %d after %d calls; want 400 after 1", resp.StatusCode, e.upstream.Calls())
	}
	if got := resp.Header.Get("X-Gateway-Target") + " " + resp.Header.Get("X-Gateway-Attempt"); got != "up/fail-400 1" {
		t.Errorf("a failed answer names the attempt that failed: %q", got)
	}
}

func TestRateLimitedUpstreamPassesRetryAfter(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("limited", tgt("fail-429", "up"))
	ep.Retry = state.Retry{Attempts: 3}
	e.serve(ep)
	resp, body := e.post(chatPath, `{"model":"limited","messages":[]}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("status %d Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if e.upstream.Calls() != 1 {
		t.Fatalf("a 429 was retried on the same target (%d calls)", e.upstream.Calls())
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("slow", tgt("slow", "up"))
	ep.Timeout = 200 * time.Millisecond
	e.serve(ep)
	resp, body := e.post(chatPath, `{"model":"slow","messages":[]}`)
	if resp.StatusCode != 504 {
		t.Fatalf("status %d, want 504: %s", resp.StatusCode, body)
	}
	if eb := errBody(t, body); eb.Type != "timeout_error" {
		t.Fatalf("type %q", eb.Type)
	}
}

func TestEndpointRateLimit(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("capped", tgt("m", "mock"))
	ep.RateLimit = state.RateLimit{RequestsPerMinute: 2}
	e.serve(ep)
	for i := 0; i < 2; i++ {
		if resp, body := e.post(chatPath, `{"model":"capped","messages":[]}`); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := e.post(chatPath, `{"model":"capped","messages":[]}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third request: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Swapping in an identical limit elsewhere keeps the spent budget.
	e.serve(ep, chatEP("other", tgt("m", "mock")))
	if resp, _ := e.post(chatPath, `{"model":"capped","messages":[]}`); resp.StatusCode != 429 {
		t.Fatalf("budget reset by an unrelated swap: %d", resp.StatusCode)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodySize = 1024 })
	e.serve(chatEP("c", tgt("m", "mock")))
	resp, body := e.post(chatPath, `{"model":"c","messages":[{"role":"user","content":"`+strings.Repeat("x", 4096)+`"}]}`)
	if resp.StatusCode != 413 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	errBody(t, body)
}

// sseEvents reads an SSE response into its data payloads.
func sseEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestStreaming(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("s", tgt("gpt", "up")), chatEP("broken", tgt("break-stream", "up")), chatEP("err", tgt("error-stream", "up")))
	tests := []struct {
		name, body string
		check      func(t *testing.T, events []string)
	}{
		{"usage hidden unless asked", `{"model":"s","stream":true,"messages":[{"role":"user","content":"a b"}]}`, func(t *testing.T, ev []string) {
			if ev[len(ev)-1] != "[DONE]" {
				t.Fatalf("no [DONE]: %q", ev)
			}
			for _, x := range ev {
				if strings.Contains(x, `"choices":[]`) {
					t.Fatalf("usage chunk sent to a client that did not ask: %s", x)
				}
			}
			got, _ := e.upstream.LastRequest()
			if so, _ := got["stream_options"].(map[string]any); so["include_usage"] != true {
				t.Fatalf("gateway did not ask the upstream for usage: %v", got)
			}
		}},
		{"usage chunk when asked", `{"model":"s","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a"}]}`, func(t *testing.T, ev []string) {
			if len(ev) < 2 || !strings.Contains(ev[len(ev)-2], `"total_tokens":12`) || ev[len(ev)-1] != "[DONE]" {
				t.Fatalf("usage chunk missing: %q", ev)
			}
		}},
		{"truncated upstream becomes an error event", `{"model":"broken","stream":true,"messages":[]}`, func(t *testing.T, ev []string) {
			last := ev[len(ev)-1]
			if !strings.Contains(last, `"error"`) || !strings.Contains(last, "before it finished") {
				t.Fatalf("last event %q", last)
			}
		}},
		{"upstream error event passed on", `{"model":"err","stream":true,"messages":[]}`, func(t *testing.T, ev []string) {
			if !strings.Contains(ev[len(ev)-1], "The server had an error") {
				t.Fatalf("last event %q", ev[len(ev)-1])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(e.url+chatPath, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			tt.check(t, sseEvents(t, resp.Body))
		})
	}
}

func TestMockEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("c", tgt("m", "mock")),
		&state.Endpoint{Name: "emb", Task: providers.TaskEmbeddings, Targets: []state.Target{tgt("e", "mock")}},
		&state.Endpoint{Name: "cmp", Task: providers.TaskCompletions, Targets: []state.Target{tgt("m", "mock")}})
	_, body := e.post(chatPath, `{"model":"c","messages":[{"role":"user","content":"echo me"}]}`)
	if !strings.Contains(body, `"content":"echo me"`) {
		t.Fatalf("chat: %s", body)
	}
	_, body = e.post("/gateway/mlflow/v1/embeddings", `{"model":"emb","input":["a","b"]}`)
	var emb struct {
		Data []struct{ Embedding []float64 }
	}
	if json.Unmarshal([]byte(body), &emb) != nil || len(emb.Data) != 2 || len(emb.Data[0].Embedding) != 8 {
		t.Fatalf("embeddings: %s", body)
	}
	_, body = e.post("/gateway/mlflow/v1/completions", `{"model":"cmp","prompt":"once upon"}`)
	if !strings.Contains(body, `"text":"once upon"`) {
		t.Fatalf("completions: %s", body)
	}
	// MLflow invocations: the Endpoint comes from the path, the task from the Endpoint.
	_, body = e.post("/gateway/c/mlflow/invocations", `{"messages":[{"role":"user","content":"via mlflow"}]}`)
	if !strings.Contains(body, `"content":"via mlflow"`) {
		t.Fatalf("invocations chat: %s", body)
	}
	_, body = e.post("/gateway/emb/mlflow/invocations", `{"input":"x"}`)
	if !strings.Contains(body, `"object":"list"`) {
		t.Fatalf("invocations embeddings: %s", body)
	}
	resp, err := http.Get(e.url + "/gateway/mlflow/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"id":"c"`) || !strings.Contains(string(b), `"id":"emb"`) {
		t.Fatalf("models: %s", b)
	}
}

func TestNotReadyBeforeFirstConfig(t *testing.T) {
	e := newEnv(t)
	resp, _ := e.post(chatPath, `{"model":"x"}`)
	if resp.StatusCode != 503 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r, err := http.Get(e.url + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 503 {
		t.Fatalf("/ready = %d before config", r.StatusCode)
	}
	e.serve()
	r, _ = http.Get(e.url + "/ready")
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(b), `"generation":1`) {
		t.Fatalf("/ready = %d %s", r.StatusCode, b)
	}
}

func TestStalledStreamEndsAtTimeout(t *testing.T) {
	e := newEnv(t)
	ep := chatEP("stall", tgt("stall-stream", "up"))
	ep.Timeout = 300 * time.Millisecond
	e.serve(ep)
	resp, err := http.Post(e.url+chatPath, "application/json", strings.NewReader(`{"model":"stall","stream":true,"messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ev := sseEvents(t, resp.Body)
	last := ev[len(ev)-1]
	if !strings.Contains(last, `"error"`) || !strings.Contains(last, "timeout") {
		t.Fatalf("stalled stream should end with a timeout error event, got %q", ev)
	}
}

// A second "model" key must not reach an upstream that reads the last one:
// that would run a model the Endpoint never allowed on the gateway's key.
func TestDuplicateModelRejected(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("my-chat", tgt("cheap", "up")))
	for _, body := range []string{
		`{"model":"my-chat","messages":[],"model":"gpt-expensive"}`,
		`{"model":"my-chat","messages":[],"mod\u0065l":"gpt-expensive"}`,
		`{"model":"my-chat","messages":[],"MODEL":"gpt-expensive"}`,
	} {
		resp, b := e.post(chatPath, body)
		if resp.StatusCode != 400 || !strings.Contains(errBody(t, b).Message, "more than once") {
			t.Errorf("%s: status %d %s", body, resp.StatusCode, b)
		}
	}
	if e.upstream.Calls() != 0 {
		t.Fatalf("the upstream was called %d times", e.upstream.Calls())
	}
	if resp, b := e.post(chatPath, `{"model":"my-chat","messages":[],"metadata":{"model":"x"}}`); resp.StatusCode != 200 {
		t.Fatalf("a nested model key was refused: %d %s", resp.StatusCode, b)
	}
}

// An oversized body is refused before routing, yet still in the caller's
// dialect.
func TestBodyTooLargeInCallersDialect(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.MaxBodySize = 1024
		o.Dialects = Dialects{Anthropic: anthropicdialect.New(), Gemini: geminidialect.New()}
	})
	e.serve(chatEP("c", tgt("m", "mock")))
	big := strings.Repeat("x", 4096)
	resp, body := e.post("/gateway/anthropic/v1/messages", `{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"`+big+`"}]}`)
	if resp.StatusCode != 413 || !strings.Contains(body, `"type":"error"`) {
		t.Errorf("anthropic: %d %s", resp.StatusCode, body)
	}
	resp, body = e.post("/gateway/gemini/v1beta/models/c:generateContent", `{"contents":[{"parts":[{"text":"`+big+`"}]}]}`)
	if resp.StatusCode != 413 || !strings.Contains(body, `"status"`) {
		t.Errorf("gemini: %d %s", resp.StatusCode, body)
	}
	// The models resource is read-only.
	resp, _ = e.post("/gateway/gemini/v1beta/models", `{}`)
	if resp.StatusCode != 405 {
		t.Errorf("POST models = %d, want 405", resp.StatusCode)
	}
}

// Every /gateway/ route is also served under /api/gateway/, the only paths a
// Databricks App lets token-authenticated clients reach.
func TestAPIAlias(t *testing.T) {
	e := newEnv(t)
	e.serve(chatEP("c", tgt("echo", "mock")))
	for _, path := range []string{chatPath, "/api" + chatPath} {
		resp, body := e.post(path, `{"model":"c","messages":[{"role":"user","content":"alias"}]}`)
		if resp.StatusCode != 200 || !strings.Contains(body, "alias") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	resp, body := e.post("/api/gateway/nope", `{}`)
	if resp.StatusCode != 404 || !strings.Contains(body, "no route for /gateway/nope") {
		t.Errorf("unknown alias path: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.post("/api/gatewayx/mlflow/v1/chat/completions", `{}`); resp.StatusCode != 404 {
		t.Errorf("a path that only starts like the alias: %d %s", resp.StatusCode, body)
	}
}
