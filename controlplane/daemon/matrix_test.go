package daemon_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/ssestream"
	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/sjson"
	"google.golang.org/genai"

	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
	"github.com/ai-gateway/gateway/dataplane/providers/azure/azuretest"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock/bedrocktest"
	"github.com/ai-gateway/gateway/dataplane/providers/cohere/coheretest"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini/geminitest"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

// The matrix drives one real gatewayd, with a fake upstream per backend
// provider, through every ingress dialect with that dialect's official SDK:
//
//	ingress    × backend               × stream × turn
//	mlflow       openai                  plain    text
//	openai       anthropic               stream   tools (first turn)
//	anthropic    gemini, vertex-ai
//	gemini       bedrock, cohere
//	responses    azure-openai, mock
//
// (mlflow and openai are the OpenAI chat completions API at
// /gateway/mlflow/v1 and /gateway/openai/v1; responses is the OpenAI
// Responses API; the mock backend has no tool calling.) The SDK parsing the
// answer is the conformance check; each cell's client-visible HTTP exchange
// (what the SDK sent, what it read back, byte for byte once volatile ids and
// timestamps are normalised) is a golden transcript,
// testdata/matrix/<ingress>__<backend>__<stream|plain>__<text|tools>.txt, as
// are the multi-turn conversations (conversation__<ingress>__<backend>__<turn>.txt).
// Regenerate them with
//
//	go test ./controlplane/daemon -run 'TestMatrix' -update
var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/matrix")

const (
	// matrixClientSecret is the client's own credential, sent the way each
	// SDK sends one (Authorization, x-api-key, x-goog-api-key); no upstream
	// may ever see it.
	matrixClientSecret = "client-secret-must-not-leak-0b7c"
	// matrixPhrase is the user's text in text cells; every backend echoes it.
	matrixPhrase = "hello matrix cell"
	// matrixToolPrompt is the user's text in tool cells.
	matrixToolPrompt = "What is the weather in Paris?"
	// openAIProbe is an unknown top-level field OpenAI-dialect clients send:
	// it must reach OpenAI-shaped upstreams (the body is forwarded with only
	// the model rewritten) and no other.
	openAIProbe = "x_gateway_probe"
	// anthropicBeta is sent by Anthropic clients; with context_management (a
	// field the gateway does not translate) it must reach a Claude endpoint.
	anthropicBeta = "context-management-2025-06-27"
)

// matrixBackend is one backend provider behind gatewayd.
type matrixBackend struct {
	id string
	// chat, tools and agent are the Endpoints' target models: a plain
	// answer, one tool call on the first turn, parallel tool calls then an
	// answer once the results are back ("" when the backend cannot).
	chat, tools, agent string
	// last returns the raw body, the headers and the path of the last request
	// the fake received; nil for the in-process mock.
	last func() (body []byte, h http.Header, path string)
	// lastResponses is last for Responses API requests (the OpenAI fake
	// records them apart); nil elsewhere.
	lastResponses func() (body []byte, h http.Header, path string)
	calls         func() int64
	// ownKey is the header and value that carry the server-side credential.
	ownKeyHeader, ownKey string
	// url is the fake's root URL, to replay a forwarded request directly.
	url string
}

// matrixGateway is one gatewayd in front of every backend's fake.
type matrixGateway struct {
	*gatewayd
	backends []*matrixBackend
	byID     map[string]*matrixBackend
	oai      *openaitest.ResponsesServer
}

func startMatrix(t *testing.T) *matrixGateway {
	t.Helper()
	const (
		openaiKey    = "sk-openai-matrix-1111"
		anthropicKey = "sk-ant-matrix-2222"
		geminiKey    = "AIza-matrix-3333"
		azureKey     = "azure-matrix-4444"
		cohereKey    = "cohere-matrix-5555"
	)
	oai := openaitest.NewWithResponses(openaiKey)
	ant := anthropictest.New(anthropicKey)
	gem := geminitest.New(geminiKey)
	vtx := geminitest.New("")
	brk := bedrocktest.New()
	azr := azuretest.New(azureKey)
	coh := coheretest.New(cohereKey)
	for _, c := range []interface{ Close() }{oai, ant, gem, vtx, brk, azr, coh} {
		t.Cleanup(c.Close)
	}
	env := map[string]string{
		"OPENAI_API_KEY":    openaiKey,
		"ANTHROPIC_API_KEY": anthropicKey,
		"GEMINI_API_KEY":    geminiKey,
		"VERTEX_SA_JSON":    string(vtx.ServiceAccountKey("gateway@fake-project.iam.gserviceaccount.com")),
		"AWS_BEDROCK_CREDS": fmt.Sprintf(`{"accessKeyId":%q,"secretAccessKey":%q}`, bedrocktest.AccessKeyID, bedrocktest.SecretAccessKey),
		"AZURE_OPENAI_KEY":  azureKey,
		"COHERE_API_KEY":    cohereKey,
	}
	spec := func(provider, envVar, baseURL, extra string) string {
		return "  provider: " + provider + "\n  env: " + envVar + "\n  config:\n    baseURL: " + baseURL + "\n" + extra
	}
	mapBody := func(m map[string]any) []byte { b, _ := json.Marshal(m); return b }
	backends := []*matrixBackend{
		{id: "openai", chat: "gpt-4o-mini", tools: openaitest.ToolsModel, agent: openaitest.ToolsModel, calls: oai.Calls,
			ownKeyHeader: "Authorization", ownKey: "Bearer " + openaiKey,
			last: func() ([]byte, http.Header, string) { m, h := oai.LastRequest(); return mapBody(m), h, "" },
			lastResponses: func() ([]byte, http.Header, string) {
				raw, h := oai.LastResponsesRequest()
				return raw, h, "/v1/responses"
			}},
		{id: "anthropic", chat: "claude-sonnet-4-5", tools: "claude-tool-call", agent: "claude-parallel-tools", calls: ant.Calls,
			ownKeyHeader: "X-Api-Key", ownKey: anthropicKey, url: ant.URL,
			last: func() ([]byte, http.Header, string) { _, h := ant.LastRequest(); return ant.LastBody(), h, "" }},
		{id: "gemini", chat: "gemini-2.5-flash", tools: "gemini-tool", agent: "gemini-parallel-tools", calls: gem.Calls,
			ownKeyHeader: "X-Goog-Api-Key", ownKey: geminiKey, url: gem.URL,
			last: func() ([]byte, http.Header, string) {
				_, h := gem.LastRequest()
				return gem.LastBody(), h, gem.LastPath()
			}},
		// Gemini on Vertex AI: the same generateContent API behind OAuth2.
		{id: "vertex-ai", chat: "gemini-2.5-flash", tools: "gemini-tool", agent: "gemini-parallel-tools", calls: vtx.Calls,
			last: func() ([]byte, http.Header, string) {
				_, h := vtx.LastRequest()
				return vtx.LastBody(), h, vtx.LastPath()
			}},
		{id: "bedrock", chat: "anthropic.claude-3-5-sonnet-20240620-v1:0", tools: "tool-call", agent: "parallel-tools", calls: brk.Calls,
			last: func() ([]byte, http.Header, string) { r := brk.LastRequest(); return r.Body, r.Header, r.RawPath }},
		{id: "cohere", chat: "command-r-plus", tools: "tools", calls: coh.Calls,
			ownKeyHeader: "Authorization", ownKey: "Bearer " + cohereKey,
			last: func() ([]byte, http.Header, string) { m, h := coh.LastRequest(); return mapBody(m), h, "" }},
		{id: "azure-openai", chat: "gpt-4o", tools: "tools", calls: azr.Calls,
			ownKeyHeader: "Api-Key", ownKey: azureKey,
			last: func() ([]byte, http.Header, string) { r := azr.Last(); return mapBody(r.Body), r.Header, r.Path }},
		{id: "mock", chat: "mock-1"},
	}
	files := map[string]string{}
	keys := map[string]string{
		"openai":       spec("openai", "OPENAI_API_KEY", oai.BaseURL(), ""),
		"anthropic":    spec("anthropic", "ANTHROPIC_API_KEY", ant.BaseURL(), ""),
		"gemini":       spec("gemini", "GEMINI_API_KEY", gem.BaseURL(), ""),
		"vertex-ai":    spec("vertex-ai", "VERTEX_SA_JSON", vtx.BaseURL(), "    vertex: {project: fake-project, location: us-central1}\n"),
		"bedrock":      spec("bedrock", "AWS_BEDROCK_CREDS", brk.BaseURL(), "    aws: {region: "+bedrocktest.Region+"}\n"),
		"cohere":       spec("cohere", "COHERE_API_KEY", coh.BaseURL(), ""),
		"azure-openai": spec("azure-openai", "AZURE_OPENAI_KEY", azr.BaseURL(), "    azure: {apiVersion: 2024-10-21}\n"),
		"mock":         "  provider: mock\n",
	}
	for _, b := range backends {
		m := apiKey(b.id, keys[b.id]) + endpoint(b.id+"-chat", "chat", b.chat, b.id, "")
		if b.tools != "" {
			m += endpoint(b.id+"-tools", "chat", b.tools, b.id, "")
		}
		if b.agent != "" {
			m += endpoint(b.id+"-agent", "chat", b.agent, b.id, "")
		}
		files[b.id+".yaml"] = m
	}
	d := startGateway(t, files, env)
	g := &matrixGateway{gatewayd: d, backends: backends, byID: map[string]*matrixBackend{}, oai: oai}
	for _, b := range backends {
		g.byID[b.id] = b
		for _, n := range []string{b.id + "-chat", b.id + "-tools", b.id + "-agent"} {
			if (n == b.id+"-tools" && b.tools == "") || (n == b.id+"-agent" && b.agent == "") {
				continue
			}
			if st, reason, msg := d.readyCondition(t, n); st != "True" {
				t.Fatalf("Endpoint %s is not ready: %s %s: %s", n, st, reason, msg)
			}
		}
	}
	return g
}

// ---------------------------------------------------------------------------
// Recording the client-visible exchange.

// exchange is one HTTP request an SDK made and the answer it read.
type exchange struct {
	method, target string // target: path and query
	reqHeader      http.Header
	reqBody        []byte
	status         int
	respHeader     http.Header
	body           *teeBody
}

// recorder is an http.RoundTripper for the SDKs' clients: it keeps the
// request and the exact response bytes the SDK read.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []*exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := &exchange{method: req.Method, target: req.URL.RequestURI(), reqHeader: req.Header.Clone()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.ContentLength = int64(len(b))
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ex.status, ex.respHeader = resp.StatusCode, resp.Header.Clone()
	ex.body = &teeBody{rc: resp.Body}
	resp.Body = ex.body
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
	return resp, nil
}

// take returns the exchanges recorded since the last call.
func (r *recorder) take() []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// teeBody keeps every byte read from a response body; closing it first
// drains what the SDK left unread, so the transcript is the whole body.
type teeBody struct {
	mu     sync.Mutex
	rc     io.ReadCloser
	buf    bytes.Buffer
	closed bool
}

func (b *teeBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.buf.Write(p[:n])
	return n, err
}

func (b *teeBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	_, _ = io.Copy(&b.buf, b.rc)
	return b.rc.Close()
}

func (b *teeBody) bytes() []byte {
	_ = b.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// transcript renders exchanges as the golden text: request line and body
// (indented), then status, content type and the body exactly as read.
func transcript(exs []*exchange) string {
	var sb strings.Builder
	for i, ex := range exs {
		if i > 0 {
			sb.WriteString("\n=====\n\n")
		}
		fmt.Fprintf(&sb, "%s %s\n", ex.method, ex.target)
		for _, h := range []string{"Anthropic-Beta", "Anthropic-Version"} {
			if v := ex.reqHeader.Get(h); v != "" {
				fmt.Fprintf(&sb, "%s: %s\n", h, v)
			}
		}
		sb.WriteString("\n")
		var ind bytes.Buffer
		if json.Indent(&ind, ex.reqBody, "", "  ") == nil {
			sb.Write(ind.Bytes())
		} else {
			sb.Write(ex.reqBody)
		}
		fmt.Fprintf(&sb, "\n\n-----\n\nHTTP %d\nContent-Type: %s\n\n", ex.status, ex.respHeader.Get("Content-Type"))
		sb.Write(ex.body.bytes())
		sb.WriteString("\n")
	}
	return normalise(sb.String())
}

var (
	// timestamps: OpenAI's created, the Responses API's created_at and
	// completed_at, in JSON.
	timestampRE = regexp.MustCompile(`"(created|created_at|completed_at)":\s*\d{9,}`)
	// ids minted by the gateway or the fakes (message, tool-call, item,
	// response ids; some count requests, some are random): the values of
	// these keys. Each distinct one becomes <ID1>, <ID2>, ... in order of
	// appearance, so references between them (a tool_result naming its
	// tool_use) stay visible.
	idRE = regexp.MustCompile(`"(id|tool_use_id|tool_call_id|call_id|item_id|responseId|response_id|previous_response_id)":(\s*)"([^"]+)"`)
)

func normalise(s string) string {
	s = timestampRE.ReplaceAllString(s, `"$1":<TIME>`)
	ids := map[string]string{}
	return idRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := idRE.FindStringSubmatch(m)
		p, ok := ids[sub[3]]
		if !ok {
			p = "<ID" + strconv.Itoa(len(ids)+1) + ">"
			ids[sub[3]] = p
		}
		return `"` + sub[1] + `":` + sub[2] + `"` + p + `"`
	})
}

// golden compares got with testdata/matrix/name (or rewrites it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "matrix", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden transcript %s: %v (run with -update to create it)", path, err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("transcript differs from %s (-want +got; -update rewrites it):\n%s", path, diff)
	}
}

// ---------------------------------------------------------------------------
// The matrix.

// cell is one request: an ingress dialect, a backend, streamed or not, a
// plain text question or a tool-use first turn.
type cell struct {
	ingress string
	backend *matrixBackend
	stream  bool
	tools   bool
}

func (c cell) endpoint() string {
	if c.tools {
		return c.backend.id + "-tools"
	}
	return c.backend.id + "-chat"
}

func (c cell) name() string {
	mode, turn := "plain", "text"
	if c.stream {
		mode = "stream"
	}
	if c.tools {
		turn = "tools"
	}
	return c.ingress + "__" + c.backend.id + "__" + mode + "__" + turn
}

// outcome is what the SDK made of the answer, in dialect-neutral terms.
type outcome struct {
	text     string
	calls    []toolUse
	stop     string // the dialect's own stop/finish reason
	usageIn  int64
	usageOut int64
}

type toolUse struct {
	id, name string
	args     map[string]any
}

// ingress drives one client dialect with its official SDK.
type ingress struct {
	name string
	// native is the backend this dialect is forwarded to untranslated.
	native string
	// textStop and toolStop are the dialect's stop reasons for an answer and
	// for tool calls.
	textStop, toolStop string
	// run makes the cell's one request with the SDK and reports what the
	// SDK parsed.
	run func(t *testing.T, g *matrixGateway, rec *recorder, c cell) outcome
	// skip says why a cell cannot run, or "".
	skip func(c cell) string
}

func TestMatrix(t *testing.T) {
	g := startMatrix(t)
	rec := &recorder{base: g.client.Transport}
	ingresses := []ingress{
		openAIChatIngress("mlflow", "/gateway/mlflow/v1"),
		openAIChatIngress("openai", "/gateway/openai/v1"),
		anthropicIngress(),
		geminiIngress(),
		// The OpenAI Responses API (dataplane/dialect/responses): its cells
		// run once gatewayd registers the dialect (daemon.go) and skip until
		// then.
		responsesIngress(g),
	}
	for _, in := range ingresses {
		t.Run(in.name, func(t *testing.T) {
			for _, b := range g.backends {
				t.Run(b.id, func(t *testing.T) {
					for _, stream := range []bool{false, true} {
						for _, tools := range []bool{false, true} {
							c := cell{ingress: in.name, backend: b, stream: stream, tools: tools}
							mode, turn := "plain", "text"
							if stream {
								mode = "stream"
							}
							if tools {
								turn = "tools"
							}
							t.Run(mode+"/"+turn, func(t *testing.T) {
								if tools && b.tools == "" {
									t.Skipf("the %s backend has no tool calling", b.id)
								}
								if in.skip != nil {
									if why := in.skip(c); why != "" {
										t.Skip(why)
									}
								}
								g.runCell(t, rec, in, c)
							})
						}
					}
				})
			}
		})
	}
	logs := g.logs.String()
	if strings.Contains(logs, matrixClientSecret) {
		t.Errorf("the client's credential appears in gatewayd's log")
	}
}

func (g *matrixGateway) runCell(t *testing.T, rec *recorder, in ingress, c cell) {
	rec.take()
	var before int64
	if c.backend.calls != nil {
		before = c.backend.calls()
	}
	out := in.run(t, g, rec, c)
	exs := rec.take()
	if len(exs) != 1 {
		t.Fatalf("%d HTTP exchanges, want 1", len(exs))
	}
	golden(t, c.name()+".txt", transcript(exs))

	// What the SDK parsed.
	if c.tools {
		if out.stop != in.toolStop {
			t.Errorf("stop reason %q, want %q", out.stop, in.toolStop)
		}
		checkToolUses(t, out.calls)
	} else {
		if out.stop != in.textStop {
			t.Errorf("stop reason %q, want %q", out.stop, in.textStop)
		}
		if !strings.Contains(out.text, matrixPhrase) {
			t.Errorf("text %q does not echo %q", out.text, matrixPhrase)
		}
		if len(out.calls) != 0 {
			t.Errorf("unexpected tool calls %+v", out.calls)
		}
	}
	if out.usageIn <= 0 || out.usageOut <= 0 {
		t.Errorf("usage: %d in, %d out; want both reported", out.usageIn, out.usageOut)
	}

	// What the upstream got.
	if c.backend.last == nil {
		return // the in-process mock has no upstream
	}
	if c.backend.calls() <= before {
		t.Fatalf("the %s fake received no request", c.backend.id)
	}
	last := c.backend.last
	if c.ingress == "responses" && c.backend.lastResponses != nil {
		last = c.backend.lastResponses
	}
	body, h, path := last()
	checkNoClientCredential(t, c.backend, h, path)
	g.checkForwarding(t, in, c, exs[0], body, h, path)
}

// checkToolUses vets a tool-use first turn: at least one call, each to a
// declared tool with JSON object arguments, get_weather naming a city.
func checkToolUses(t *testing.T, calls []toolUse) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("no tool calls")
	}
	weather := false
	for i, c := range calls {
		if c.name != "get_weather" && c.name != "get_time" {
			t.Errorf("tool call %d names %q", i, c.name)
		}
		if c.args == nil {
			t.Errorf("tool call %d (%s): arguments are not a JSON object", i, c.name)
		}
		if c.name == "get_weather" {
			weather = true
			if city, _ := c.args["city"].(string); city == "" {
				t.Errorf("get_weather arguments %v name no city", c.args)
			}
		}
	}
	if !weather {
		t.Errorf("no get_weather call among %+v", calls)
	}
}

// checkNoClientCredential: the client's credential reaches no upstream, in
// a header or the URL, and the server-side one is what the upstream got.
func checkNoClientCredential(t *testing.T, b *matrixBackend, h http.Header, path string) {
	t.Helper()
	if h == nil {
		t.Fatalf("the %s fake recorded no headers", b.id)
	}
	for k, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, matrixClientSecret) {
				t.Errorf("the client's credential reached the %s upstream in %s", b.id, k)
			}
		}
	}
	if strings.Contains(path, matrixClientSecret) {
		t.Errorf("the client's credential reached the %s upstream in the URL %s", b.id, path)
	}
	if b.ownKeyHeader != "" && h.Get(b.ownKeyHeader) != b.ownKey {
		t.Errorf("%s upstream %s = %q, want the server-side credential", b.id, b.ownKeyHeader, h.Get(b.ownKeyHeader))
	}
}

// checkForwarding: a cell whose backend is the dialect's own provider is
// forwarded with only the model changed; any other is translated.
func (g *matrixGateway) checkForwarding(t *testing.T, in ingress, c cell, ex *exchange, body []byte, h http.Header, path string) {
	t.Helper()
	target := c.backend.chat
	if c.tools {
		target = c.backend.tools
	}
	switch {
	case in.native == "anthropic" && c.backend.id == "anthropic":
		want, err := sjson.SetBytes(ex.reqBody, "model", target)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("not forwarded byte for byte (model aside):\n got %s\nwant %s", body, want)
		}
		if got := h.Get("Anthropic-Beta"); got != anthropicBeta {
			t.Errorf("upstream anthropic-beta = %q, want %q", got, anthropicBeta)
		}
		g.checkRelayed(t, c.backend, "/v1/messages", want, ex, "Anthropic-Version", "Anthropic-Beta")
	case in.native == "gemini" && c.backend.id == "gemini":
		if !bytes.Equal(body, ex.reqBody) {
			t.Errorf("not forwarded byte for byte:\n got %s\nwant %s", body, ex.reqBody)
		}
		method := "generateContent"
		if c.stream {
			method = "streamGenerateContent?alt=sse"
		}
		if want := "/v1beta/models/" + target + ":" + method; path != want {
			t.Errorf("upstream path %q, want %q", path, want)
		}
		g.checkRelayed(t, c.backend, path, body, ex)
	case in.native == "gemini" && c.backend.id == "vertex-ai":
		// Vertex AI speaks the Gemini API: forwarded too, to Vertex's path.
		if !bytes.Equal(body, ex.reqBody) {
			t.Errorf("not forwarded byte for byte:\n got %s\nwant %s", body, ex.reqBody)
		}
		method := "generateContent"
		if c.stream {
			method = "streamGenerateContent?alt=sse"
		}
		if want := "/publishers/google/models/" + target + ":" + method; !strings.HasSuffix(path, want) {
			t.Errorf("upstream path %q, want a Vertex path ending in %q", path, want)
		}
	case in.name == "responses" && c.backend.id == "openai":
		want, err := sjson.SetBytes(ex.reqBody, "model", target)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("not forwarded byte for byte (model aside):\n got %s\nwant %s", body, want)
		}
		if got, sent := ex.body.bytes(), g.oai.LastResponsesAnswer(); !bytes.Equal(got, sent) {
			t.Errorf("the answer is not relayed as OpenAI sent it:\n got %s\nsent %s", got, sent)
		}
	case (in.name == "mlflow" || in.name == "openai") && (c.backend.id == "openai" || c.backend.id == "azure-openai"):
		// Chat completions are the unified dialect: to OpenAI (and Azure,
		// whose API is OpenAI's) the body goes on with the model rewritten,
		// unknown fields included.
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if m[openAIProbe] != "matrix" {
			t.Errorf("the unknown field %s did not reach the %s upstream: %s", openAIProbe, c.backend.id, body)
		}
	default:
		// Translated: the client's untranslatable extras are not there, and
		// the body is not the client's.
		for _, extra := range []string{openAIProbe, "context_management", "safetySettings"} {
			if bytes.Contains(body, []byte(`"`+extra+`"`)) {
				t.Errorf("%s reached the %s upstream of a translated request: %s", extra, c.backend.id, body)
			}
		}
		if bytes.Equal(body, ex.reqBody) {
			t.Errorf("the %s upstream got the client's body untranslated", c.backend.id)
		}
	}
}

// checkRelayed replays a forwarded request straight to the backend's fake
// and requires the client to have read the same answer, byte for byte once
// the fake's per-request ids are normalised: a forwarded answer, streamed or
// not, is relayed as the provider sent it.
func (g *matrixGateway) checkRelayed(t *testing.T, b *matrixBackend, path string, body []byte, ex *exchange, headers ...string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(b.ownKeyHeader, b.ownKey)
	for _, h := range headers {
		req.Header.Set(h, ex.reqHeader.Get(h))
	}
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := normalise(string(ex.body.bytes())), normalise(string(direct)); got != want {
		t.Errorf("the answer is not relayed as %s sent it:\n got %q\nsent %q", b.id, got, want)
	}
	if got, want := ex.respHeader.Get("Content-Type"), resp.Header.Get("Content-Type"); got != want {
		t.Errorf("content type %q, %s sent %q", got, b.id, want)
	}
}

// ---------------------------------------------------------------------------
// OpenAI chat completions (openai-go), at /gateway/mlflow/v1 and /gateway/openai/v1.

var matrixOpenAITools = []openai.ChatCompletionToolUnionParam{
	openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current weather in a city"),
		Parameters: shared.FunctionParameters{"type": "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string"}},
			"required":   []string{"city"}},
	}),
	openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_time",
		Description: openai.String("Current time in a time zone"),
		Parameters: shared.FunctionParameters{"type": "object",
			"properties": map[string]any{"tz": map[string]any{"type": "string"}}},
	}),
}

func openAIChatIngress(name, prefix string) ingress {
	return ingress{name: name, native: "openai", textStop: "stop", toolStop: "tool_calls",
		run: func(t *testing.T, g *matrixGateway, rec *recorder, c cell) outcome {
			client := openai.NewClient(option.WithBaseURL(g.base+prefix), option.WithAPIKey(matrixClientSecret),
				option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}))
			params := openai.ChatCompletionNewParams{Model: c.endpoint(),
				Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage(matrixPhrase)}}
			if c.tools {
				params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage(matrixToolPrompt)}
				params.Tools = matrixOpenAITools
			}
			probe := option.WithJSONSet(openAIProbe, "matrix")
			var msg openai.ChatCompletionMessage
			var finish string
			var usage openai.CompletionUsage
			if c.stream {
				params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
				s := client.Chat.Completions.NewStreaming(t.Context(), params, probe)
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					if !acc.AddChunk(s.Current()) {
						t.Fatalf("the accumulator rejected chunk %s", s.Current().RawJSON())
					}
				}
				if err := s.Err(); err != nil {
					t.Fatalf("stream: %v", err)
				}
				_ = s.Close()
				if len(acc.Choices) != 1 {
					t.Fatalf("%d choices", len(acc.Choices))
				}
				msg, finish, usage = acc.Choices[0].Message, acc.Choices[0].FinishReason, acc.Usage
			} else {
				resp, err := client.Chat.Completions.New(t.Context(), params, probe)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 {
					t.Fatalf("%d choices: %s", len(resp.Choices), resp.RawJSON())
				}
				msg, finish, usage = resp.Choices[0].Message, resp.Choices[0].FinishReason, resp.Usage
			}
			out := outcome{text: msg.Content, stop: finish, usageIn: usage.PromptTokens, usageOut: usage.CompletionTokens}
			if usage.TotalTokens != usage.PromptTokens+usage.CompletionTokens {
				t.Errorf("usage %d + %d != %d total", usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens)
			}
			for _, tc := range msg.ToolCalls {
				var args map[string]any
				_ = json.Unmarshal([]byte(tc.Function.Arguments), &args)
				if tc.ID == "" {
					t.Errorf("tool call %s has no id", tc.Function.Name)
				}
				out.calls = append(out.calls, toolUse{id: tc.ID, name: tc.Function.Name, args: args})
			}
			return out
		}}
}

// ---------------------------------------------------------------------------
// Anthropic Messages (anthropic-sdk-go), at /gateway/anthropic.

var matrixAnthropicTools = []anthropic.ToolUnionParam{
	{OfTool: &anthropic.ToolParam{Name: "get_weather", Description: anthropic.String("Current weather in a city"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": "string"}},
			Required: []string{"city"}}}},
	{OfTool: &anthropic.ToolParam{Name: "get_time", Description: anthropic.String("Current time in a time zone"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"tz": map[string]any{"type": "string"}}}}},
}

func (g *matrixGateway) anthropicClient(rec *recorder) anthropic.Client {
	return anthropic.NewClient(anthropicopt.WithoutEnvironmentDefaults(), anthropicopt.WithBaseURL(g.base+"/gateway/anthropic/"),
		anthropicopt.WithAPIKey(matrixClientSecret), anthropicopt.WithMaxRetries(0),
		anthropicopt.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}),
		// A beta header and a field the gateway does not translate: a Claude
		// endpoint must get both.
		anthropicopt.WithHeader("anthropic-beta", anthropicBeta),
		anthropicopt.WithJSONSet("context_management", map[string]any{"edits": []any{map[string]any{"type": "clear_tool_uses_20250919"}}}))
}

func anthropicIngress() ingress {
	return ingress{name: "anthropic", native: "anthropic", textStop: "end_turn", toolStop: "tool_use",
		run: func(t *testing.T, g *matrixGateway, rec *recorder, c cell) outcome {
			client := g.anthropicClient(rec)
			params := anthropic.MessageNewParams{Model: anthropic.Model(c.endpoint()), MaxTokens: 256,
				System:   []anthropic.TextBlockParam{{Text: "Be brief."}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(matrixPhrase))}}
			if c.tools {
				params.System = nil
				params.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(matrixToolPrompt))}
				params.Tools = matrixAnthropicTools
			}
			var msg anthropic.Message
			if c.stream {
				m, events := accumulateAnthropic(t, client.Messages.NewStreaming(t.Context(), params))
				checkAnthropicEvents(t, events)
				msg = m
			} else {
				m, err := client.Messages.New(t.Context(), params)
				if err != nil {
					t.Fatal(err)
				}
				msg = *m
			}
			if msg.Type != "message" || msg.Role != "assistant" || msg.ID == "" {
				t.Errorf("not shaped like Anthropic's: %s", msg.RawJSON())
			}
			return anthropicOutcome(t, &msg)
		}}
}

func anthropicOutcome(t *testing.T, msg *anthropic.Message) outcome {
	t.Helper()
	out := outcome{stop: string(msg.StopReason), usageIn: msg.Usage.InputTokens + msg.Usage.CacheReadInputTokens, usageOut: msg.Usage.OutputTokens}
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			out.text += b.Text
		case "tool_use":
			var args map[string]any
			if err := json.Unmarshal(b.Input, &args); err != nil {
				t.Errorf("tool_use %s input %q: %v", b.ID, b.Input, err)
			}
			if b.ID == "" {
				t.Errorf("tool_use %s has no id", b.Name)
			}
			out.calls = append(out.calls, toolUse{id: b.ID, name: b.Name, args: args})
		}
	}
	return out
}

// anthropicEvent is what the event-order check needs of a stream event.
type anthropicEvent struct {
	typ   string
	index int64
}

// accumulateAnthropic drains a stream into a message with the SDK's own
// Accumulate, as an agent does.
func accumulateAnthropic(t *testing.T, s *ssestream.Stream[anthropic.MessageStreamEventUnion]) (anthropic.Message, []anthropicEvent) {
	t.Helper()
	defer s.Close()
	var msg anthropic.Message
	var events []anthropicEvent
	for s.Next() {
		ev := s.Current()
		events = append(events, anthropicEvent{ev.Type, ev.Index})
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("Accumulate(%s): %v", ev.Type, err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return msg, events
}

// checkAnthropicEvents enforces the Messages API's event grammar:
// message_start, then blocks opened, deltaed and stopped one at a time with
// indexes counting from 0, then one message_delta and message_stop.
func checkAnthropicEvents(t *testing.T, events []anthropicEvent) {
	t.Helper()
	var types []string
	for _, e := range events {
		types = append(types, e.typ)
	}
	if len(events) < 3 || events[0].typ != "message_start" || events[len(events)-1].typ != "message_stop" ||
		events[len(events)-2].typ != "message_delta" {
		t.Fatalf("event sequence %v", types)
	}
	open, next := int64(-1), int64(0)
	for _, e := range events[1 : len(events)-2] {
		switch e.typ {
		case "ping":
		case "content_block_start":
			if open >= 0 || e.index != next {
				t.Fatalf("content_block_start %d while %d is open (next %d): %v", e.index, open, next, types)
			}
			open = e.index
			next++
		case "content_block_delta":
			if e.index != open {
				t.Fatalf("delta for block %d while %d is open: %v", e.index, open, types)
			}
		case "content_block_stop":
			if e.index != open {
				t.Fatalf("stop for block %d while %d is open: %v", e.index, open, types)
			}
			open = -1
		default:
			t.Fatalf("unexpected %s inside the message: %v", e.typ, types)
		}
	}
	if open >= 0 {
		t.Fatalf("block %d never stopped: %v", open, types)
	}
}

// ---------------------------------------------------------------------------
// Gemini (google.golang.org/genai), at /gateway/gemini.

var matrixGeminiTools = []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{
	{Name: "get_weather", Description: "Current weather in a city", Parameters: &genai.Schema{Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}, "unit": {Type: genai.TypeString}}, Required: []string{"city"}}},
	{Name: "get_time", Description: "Current time in a time zone", Parameters: &genai.Schema{Type: genai.TypeObject,
		Properties: map[string]*genai.Schema{"tz": {Type: genai.TypeString}}}},
}}}

func geminiIngress() ingress {
	return ingress{name: "gemini", native: "gemini", textStop: "STOP", toolStop: "STOP",
		run: func(t *testing.T, g *matrixGateway, rec *recorder, c cell) outcome {
			client, err := genai.NewClient(t.Context(), &genai.ClientConfig{APIKey: matrixClientSecret, Backend: genai.BackendGeminiAPI,
				HTTPClient:  &http.Client{Transport: rec, Timeout: 30 * time.Second},
				HTTPOptions: genai.HTTPOptions{BaseURL: g.base + "/gateway/gemini/", APIVersion: "v1beta"}})
			if err != nil {
				t.Fatal(err)
			}
			// safetySettings have no counterpart elsewhere: only a Gemini
			// endpoint gets them.
			cfg := &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("Be brief.", genai.RoleUser),
				SafetySettings: []*genai.SafetySetting{{Category: genai.HarmCategoryHarassment, Threshold: genai.HarmBlockThresholdBlockOnlyHigh}}}
			contents := genai.Text(matrixPhrase)
			if c.tools {
				cfg.SystemInstruction = nil
				cfg.Tools = matrixGeminiTools
				contents = genai.Text(matrixToolPrompt)
			}
			var out outcome
			add := func(r *genai.GenerateContentResponse) {
				if len(r.Candidates) > 0 {
					cand := r.Candidates[0]
					if cand.Content != nil {
						for _, p := range cand.Content.Parts {
							if p.Text != "" && !p.Thought {
								out.text += p.Text
							}
							if fc := p.FunctionCall; fc != nil {
								out.calls = append(out.calls, toolUse{id: fc.ID, name: fc.Name, args: fc.Args})
							}
						}
					}
					if cand.FinishReason != "" {
						out.stop = string(cand.FinishReason)
					}
				}
				if u := r.UsageMetadata; u != nil {
					out.usageIn, out.usageOut = int64(u.PromptTokenCount), int64(u.CandidatesTokenCount)
				}
			}
			if c.stream {
				n := 0
				for r, err := range client.Models.GenerateContentStream(t.Context(), c.endpoint(), contents, cfg) {
					if err != nil {
						t.Fatalf("stream after %d chunks: %v", n, err)
					}
					add(r)
					n++
				}
			} else {
				r, err := client.Models.GenerateContent(t.Context(), c.endpoint(), contents, cfg)
				if err != nil {
					t.Fatal(err)
				}
				add(r)
			}
			return out
		}}
}

// ---------------------------------------------------------------------------
// OpenAI Responses API (openai-go), at /gateway/openai/v1/responses.

// responsesIngress is the marked place for the Responses dialect: its cells
// skip while gatewayd does not register dataplane/dialect/responses.
func responsesIngress(g *matrixGateway) ingress {
	served := g.servesResponses()
	return ingress{name: "responses", native: "openai", textStop: "completed", toolStop: "completed",
		skip: func(c cell) string {
			if !served {
				return "gatewayd does not serve the Responses API yet (dataplane/dialect/responses is not registered in controlplane/daemon/daemon.go)"
			}
			if c.backend.id == "openai" && c.tools {
				return "the fake OpenAI upstream's /v1/responses answers text only (openaitest.NewWithResponses has no tool calls)"
			}
			return ""
		},
		run: func(t *testing.T, g *matrixGateway, rec *recorder, c cell) outcome {
			client := openai.NewClient(option.WithBaseURL(g.base+"/gateway/openai/v1"), option.WithAPIKey(matrixClientSecret),
				option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: rec, Timeout: 30 * time.Second}))
			params := responses.ResponseNewParams{Model: c.endpoint(), Instructions: openai.String("Be brief."),
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(matrixPhrase)}}
			if c.tools {
				params.Instructions = param.Opt[string]{}
				params.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(matrixToolPrompt)}
				for _, tl := range matrixOpenAITools {
					f := tl.OfFunction.Function
					params.Tools = append(params.Tools, responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{
						Name: f.Name, Description: f.Description, Parameters: f.Parameters, Strict: openai.Bool(false)}})
				}
			}
			probe := option.WithJSONSet(openAIProbe, "matrix")
			var resp *responses.Response
			if c.stream {
				s := client.Responses.NewStreaming(t.Context(), params, probe)
				for s.Next() {
					ev := s.Current()
					if ev.Type == "response.completed" || ev.Type == "response.incomplete" {
						r := ev.Response
						resp = &r
					}
				}
				if err := s.Err(); err != nil {
					t.Fatalf("stream: %v", err)
				}
				_ = s.Close()
				if resp == nil {
					t.Fatal("the stream ended without response.completed")
				}
			} else {
				r, err := client.Responses.New(t.Context(), params, probe)
				if err != nil {
					t.Fatal(err)
				}
				resp = r
			}
			out := outcome{text: resp.OutputText(), stop: string(resp.Status),
				usageIn: resp.Usage.InputTokens, usageOut: resp.Usage.OutputTokens}
			for _, item := range resp.Output {
				if item.Type == "function_call" {
					fc := item.AsFunctionCall()
					var args map[string]any
					_ = json.Unmarshal([]byte(fc.Arguments), &args)
					out.calls = append(out.calls, toolUse{id: fc.CallID, name: fc.Name, args: args})
				}
			}
			return out
		}}
}

// servesResponses asks gatewayd whether the Responses route is served.
func (g *matrixGateway) servesResponses() bool {
	resp, err := g.client.Post(g.base+"/gateway/openai/v1/responses", "application/json", strings.NewReader(`{}`))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return !(resp.StatusCode == 404 && bytes.Contains(b, []byte("does not serve")))
}

// ---------------------------------------------------------------------------
// The agent case: a multi-turn streaming tool-use conversation through the
// Anthropic route, parallel tool calls and their results going back.

// anthropicShape is the part of an accumulated message an agent acts on.
type anthropicShape struct {
	Type, Role string
	Content    []anthropicBlockShape
	StopReason string
	Usage      struct{ Input, Output, CacheRead, CacheCreation int64 }
}

type anthropicBlockShape struct {
	Type, Text, ID, Name string
	Input                any
}

func shapeOfMessage(t *testing.T, m *anthropic.Message) anthropicShape {
	t.Helper()
	s := anthropicShape{Type: string(m.Type), Role: string(m.Role), StopReason: string(m.StopReason)}
	s.Usage.Input, s.Usage.Output = m.Usage.InputTokens, m.Usage.OutputTokens
	s.Usage.CacheRead, s.Usage.CacheCreation = m.Usage.CacheReadInputTokens, m.Usage.CacheCreationInputTokens
	for _, b := range m.Content {
		bs := anthropicBlockShape{Type: b.Type, Text: b.Text, ID: b.ID, Name: b.Name}
		if b.Type == "tool_use" {
			if err := json.Unmarshal(b.Input, &bs.Input); err != nil {
				t.Fatalf("tool_use %s input %q: %v", b.ID, b.Input, err)
			}
		}
		s.Content = append(s.Content, bs)
	}
	return s
}

// realAnthropic accumulates a transcript recorded in the shape the real
// Messages API streams (kept with the Anthropic dialect's conformance test).
func realAnthropic(t *testing.T, name string) anthropic.Message {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "dataplane", "dialect", "anthropic", "testdata", "conformance", name))
	if err != nil {
		t.Fatal(err)
	}
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: f}
	msg, _ := accumulateAnthropic(t, ssestream.NewStream[anthropic.MessageStreamEventUnion](ssestream.NewDecoder(res), nil))
	return msg
}

// toolOutputs are what the agent's tools answer.
var toolOutputs = map[string]string{"get_weather": "18C and sunny", "get_time": "14:05"}

func TestMatrixAnthropicAgentConversation(t *testing.T) {
	g := startMatrix(t)
	rec := &recorder{base: g.client.Transport}
	for _, id := range []string{"openai", "gemini", "vertex-ai", "bedrock", "anthropic"} {
		b := g.byID[id]
		t.Run(id, func(t *testing.T) {
			client := g.anthropicClient(rec)
			ep := anthropic.Model(b.id + "-agent")
			history := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather and time in Paris?"))}
			rec.take()

			// Turn 1: parallel tool calls, streamed.
			turn1, events := accumulateAnthropic(t, client.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
				Model: ep, MaxTokens: 1024, Tools: matrixAnthropicTools, Messages: history}))
			checkAnthropicEvents(t, events)
			golden(t, "conversation__anthropic__"+b.id+"__turn1.txt", transcript(rec.take()))
			if turn1.StopReason != anthropic.StopReasonToolUse {
				t.Fatalf("turn 1 stop_reason %q: %s", turn1.StopReason, turn1.RawJSON())
			}
			var uses []anthropic.ToolUseBlock
			ids := map[string]bool{}
			for _, blk := range turn1.Content {
				if blk.Type == "tool_use" {
					tu := blk.AsToolUse()
					var args map[string]any
					if err := json.Unmarshal(tu.Input, &args); err != nil || args == nil {
						t.Errorf("tool_use %s input %s: %v", tu.ID, tu.Input, err)
					}
					if tu.ID == "" || ids[tu.ID] {
						t.Errorf("tool_use id %q missing or repeated", tu.ID)
					}
					ids[tu.ID] = true
					uses = append(uses, tu)
				}
			}
			if len(uses) != 2 {
				t.Fatalf("turn 1: %d tool calls, want 2 in parallel: %s", len(uses), turn1.RawJSON())
			}
			if turn1.Usage.InputTokens+turn1.Usage.CacheReadInputTokens <= 0 || turn1.Usage.OutputTokens <= 0 {
				t.Errorf("turn 1 usage %+v", turn1.Usage)
			}
			// Translated answers name the Endpoint; forwarded ones come back
			// as the provider sent them, naming its model.
			if wantModel := map[bool]anthropic.Model{true: anthropic.Model(b.agent), false: ep}[id == "anthropic"]; turn1.Model != wantModel {
				t.Errorf("turn 1 model %q, want %q", turn1.Model, wantModel)
			}
			if id == "openai" {
				// Event for event, the SDK accumulates what it does from the
				// real service (message id and model aside).
				if diff := cmp.Diff(shapeOfMessage(t, ptrTo(realAnthropic(t, "tools_turn1.real.sse"))), shapeOfMessage(t, &turn1)); diff != "" {
					t.Errorf("turn 1 differs from the real service's (-real +gateway):\n%s", diff)
				}
			}

			// Turn 2: the accumulated assistant turn goes back, then one
			// result per call and a line of text.
			var results []anthropic.ContentBlockParamUnion
			var want []string
			for _, u := range uses {
				out := toolOutputs[u.Name]
				want = append(want, out)
				results = append(results, anthropic.NewToolResultBlock(u.ID, out, false))
			}
			results = append(results, anthropic.NewTextBlock("Answer in one line."))
			history = append(history, turn1.ToParam(), anthropic.NewUserMessage(results...))
			turn2, events := accumulateAnthropic(t, client.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
				Model: ep, MaxTokens: 1024, Tools: matrixAnthropicTools, Messages: history}))
			checkAnthropicEvents(t, events)
			golden(t, "conversation__anthropic__"+b.id+"__turn2.txt", transcript(rec.take()))
			if turn2.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("turn 2 stop_reason %q: %s", turn2.StopReason, turn2.RawJSON())
			}
			o := anthropicOutcome(t, &turn2)
			if len(o.calls) != 0 {
				t.Errorf("turn 2 calls tools again: %s", turn2.RawJSON())
			}
			for _, w := range want {
				if !strings.Contains(o.text, w) {
					t.Errorf("turn 2 answer %q does not use the result %q", o.text, w)
				}
			}
			if o.usageIn <= 0 || o.usageOut <= 0 {
				t.Errorf("turn 2 usage %+v", turn2.Usage)
			}
			if id == "openai" {
				if diff := cmp.Diff(shapeOfMessage(t, ptrTo(realAnthropic(t, "tools_turn2.real.sse"))), shapeOfMessage(t, &turn2)); diff != "" {
					t.Errorf("turn 2 differs from the real service's (-real +gateway):\n%s", diff)
				}
			}
			body, h, path := b.last()
			checkNoClientCredential(t, b, h, path)
			checkResultsUpstream(t, b.id, body, uses)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// checkResultsUpstream: the second turn reached the backend in its own
// shape, each call followed by its result.
func checkResultsUpstream(t *testing.T, backend string, body []byte, uses []anthropic.ToolUseBlock) {
	t.Helper()
	var got []string
	switch backend {
	case "openai":
		var req struct {
			Messages []struct {
				Role       string `json:"role"`
				ToolCallID string `json:"tool_call_id"`
				ToolCalls  []any  `json:"tool_calls"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(body, &req)
		for _, m := range req.Messages {
			got = append(got, m.Role+strings.Repeat("+call", len(m.ToolCalls))+prefixed(":", m.ToolCallID))
		}
		want := []string{"user", "assistant+call+call", "tool:" + uses[0].ID, "tool:" + uses[1].ID, "user"}
		if !slices.Equal(got, want) {
			t.Errorf("upstream messages %v, want %v", got, want)
		}
	case "gemini":
		var req struct {
			Contents []struct {
				Role  string `json:"role"`
				Parts []struct {
					Text             *string         `json:"text"`
					FunctionCall     json.RawMessage `json:"functionCall"`
					FunctionResponse json.RawMessage `json:"functionResponse"`
				} `json:"parts"`
			} `json:"contents"`
		}
		_ = json.Unmarshal(body, &req)
		for _, c := range req.Contents {
			s := c.Role
			for _, p := range c.Parts {
				switch {
				case p.FunctionCall != nil:
					s += "+call"
				case p.FunctionResponse != nil:
					s += "+result"
				case p.Text != nil:
					s += "+text"
				}
			}
			got = append(got, s)
		}
		want := []string{"user+text", "model+call+call", "user+result+result+text"}
		if !slices.Equal(got, want) {
			t.Errorf("upstream contents %v, want %v", got, want)
		}
	case "bedrock", "anthropic":
		var req struct {
			Messages []struct {
				Role    string            `json:"role"`
				Content []json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(body, &req)
		for _, m := range req.Messages {
			s := m.Role
			for _, c := range m.Content {
				var blk map[string]json.RawMessage
				_ = json.Unmarshal(c, &blk)
				switch {
				case blk["toolUse"] != nil || string(blk["type"]) == `"tool_use"`:
					s += "+call"
				case blk["toolResult"] != nil || string(blk["type"]) == `"tool_result"`:
					s += "+result"
				case blk["text"] != nil:
					s += "+text"
				}
			}
			got = append(got, s)
		}
		want := []string{"user+text", "assistant+call+call", "user+result+result+text"}
		if backend == "anthropic" {
			// Forwarded as the client sent it: the preamble text, if any,
			// stays in the assistant turn.
			want[1] = got[1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("upstream messages %v, want %v", got, want)
		}
	}
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// TestMatrixAnthropicGeminiSignature: Gemini 3 refuses a turn whose function
// calls lack the thoughtSignature it issued. Through the Anthropic route the
// signature can only travel inside the tool_use id, so an agent that echoes
// ids verbatim must get a working second turn, even when the signature holds
// base64 padding ("read_file" signs as "c2lnLXJlYWRfZmlsZQ==").
func TestMatrixAnthropicGeminiSignature(t *testing.T) {
	g := startMatrix(t)
	rec := &recorder{base: g.client.Transport}
	client := g.anthropicClient(rec)
	tools := []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "read_file", Description: anthropic.String("Read a file"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"path": map[string]any{"type": "string"}}}}}}
	history := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Read the notes"))}
	turn1, events := accumulateAnthropic(t, client.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
		Model: "gemini-tools", MaxTokens: 1024, Tools: tools, Messages: history}))
	checkAnthropicEvents(t, events)
	if turn1.StopReason != anthropic.StopReasonToolUse || len(turn1.Content) != 1 || turn1.Content[0].Type != "tool_use" {
		t.Fatalf("turn 1: %s", turn1.RawJSON())
	}
	use := turn1.Content[0].AsToolUse()
	history = append(history, turn1.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "the notes say hi", false)))
	turn2, events := accumulateAnthropic(t, client.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
		Model: "gemini-tools", MaxTokens: 1024, Tools: tools, Messages: history}))
	checkAnthropicEvents(t, events)
	if o := anthropicOutcome(t, &turn2); turn2.StopReason != anthropic.StopReasonEndTurn || !strings.Contains(o.text, "the notes say hi") {
		t.Errorf("turn 2: %s", turn2.RawJSON())
	}
	var sent struct {
		Contents []struct {
			Parts []struct {
				ThoughtSignature string          `json:"thoughtSignature"`
				FunctionCall     json.RawMessage `json:"functionCall"`
			} `json:"parts"`
		} `json:"contents"`
	}
	body, _, _ := g.byID["gemini"].last()
	_ = json.Unmarshal(body, &sent)
	if len(sent.Contents) < 2 || len(sent.Contents[1].Parts) == 0 || sent.Contents[1].Parts[0].ThoughtSignature != "c2lnLXJlYWRfZmlsZQ==" {
		t.Errorf("the signature did not go back to Gemini: %s", body)
	}
}

// TestMatrixGeminiToolTurns: a two-turn streaming function-calling
// conversation through the Gemini route with google.golang.org/genai, the
// model turn sent back as the SDK got it (thoughtSignature included) and one
// functionResponse per call. Gemini-backed endpoints on the second turn
// require the signature they issued ("gemini-tool" plays Gemini 3).
func TestMatrixGeminiToolTurns(t *testing.T) {
	g := startMatrix(t)
	rec := &recorder{base: g.client.Transport}
	for _, b := range g.backends {
		if b.tools == "" {
			continue
		}
		t.Run(b.id, func(t *testing.T) {
			client, err := genai.NewClient(t.Context(), &genai.ClientConfig{APIKey: matrixClientSecret, Backend: genai.BackendGeminiAPI,
				HTTPClient:  &http.Client{Transport: rec, Timeout: 30 * time.Second},
				HTTPOptions: genai.HTTPOptions{BaseURL: g.base + "/gateway/gemini/", APIVersion: "v1beta"}})
			if err != nil {
				t.Fatal(err)
			}
			cfg := &genai.GenerateContentConfig{Tools: matrixGeminiTools}
			history := genai.Text(matrixToolPrompt)
			stream := func(what string) (*genai.Content, string) {
				t.Helper()
				rec.take()
				model := &genai.Content{Role: genai.RoleModel}
				finish := ""
				for r, err := range client.Models.GenerateContentStream(t.Context(), b.id+"-tools", history, cfg) {
					if err != nil {
						return nil, err.Error()
					}
					if len(r.Candidates) > 0 && r.Candidates[0].Content != nil {
						for _, p := range r.Candidates[0].Content.Parts {
							// An empty closing text part carries nothing, and
							// Gemini refuses it back ("required oneof field
							// 'data'"), so an application leaves it out.
							if p.Text != "" || p.FunctionCall != nil || len(p.ThoughtSignature) > 0 {
								model.Parts = append(model.Parts, p)
							}
						}
					}
					if len(r.Candidates) > 0 && r.Candidates[0].FinishReason != "" {
						finish = string(r.Candidates[0].FinishReason)
					}
				}
				golden(t, "conversation__gemini__"+b.id+"__"+what+".txt", transcript(rec.take()))
				if finish != "STOP" {
					t.Errorf("%s: finishReason %q", what, finish)
				}
				return model, ""
			}
			turn1, errMsg := stream("turn1")
			if errMsg != "" {
				t.Fatalf("turn 1: %s", errMsg)
			}
			var results []*genai.Part
			var want []string
			for _, p := range turn1.Parts {
				if fc := p.FunctionCall; fc != nil {
					results = append(results, genai.NewPartFromFunctionResponse(fc.Name, map[string]any{"output": toolOutputs[fc.Name]}))
					want = append(want, toolOutputs[fc.Name])
				}
			}
			if len(results) == 0 {
				t.Fatalf("turn 1 called no function: %+v", turn1.Parts)
			}
			history = append(history, turn1, genai.NewContentFromParts(results, genai.RoleUser))
			turn2, errMsg := stream("turn2")
			if errMsg != "" {
				t.Fatalf("turn 2: %s", errMsg)
			}
			var text string
			for _, p := range turn2.Parts {
				text += p.Text
				if p.FunctionCall != nil {
					t.Errorf("turn 2 calls %s again", p.FunctionCall.Name)
				}
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("turn 2 answer %q does not use the result %q", text, w)
				}
			}
		})
	}
}
