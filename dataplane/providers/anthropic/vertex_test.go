package anthropic_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
	"github.com/ai-gateway/gateway/dataplane/providers/gemini/geminitest"
	"github.com/ai-gateway/gateway/internal/golden"
)

const (
	vtxProject  = "fake-project"
	vtxLocation = "us-east5"
)

func newVertexEnv(t *testing.T) (*anthropictest.Server, *geminitest.Server, *anthropic.Adapter, *providers.Credential) {
	t.Helper()
	google := geminitest.New("")
	t.Cleanup(google.Close)
	up := anthropictest.NewVertex(vtxProject, vtxLocation, google.ValidToken)
	t.Cleanup(up.Close)
	cred := &providers.Credential{Name: "gcp", Provider: "vertex-anthropic", BaseURL: up.URL,
		Secret:  providers.Secret(google.ServiceAccountKey("claude@fake-project.iam.gserviceaccount.com")),
		Headers: map[string]string{"anthropic-beta": "fake-beta-2025-01-01"},
		Options: map[string]string{"vertex.project": vtxProject, "vertex.location": vtxLocation}}
	return up, google, anthropic.NewVertex(anthropic.Options{}), cred
}

func chatCall(model string, stream bool, body string) *providers.Call {
	return &providers.Call{Task: providers.TaskChat, Model: model, Body: []byte(body), Stream: stream, IncludeUsage: stream}
}

const vtxHello = `{"model":"ep","messages":[{"role":"user","content":"hello vertex"}]}`

// TestVertexWire checks what reaches Vertex: the rawPredict path, a body
// without model and with anthropic_version, a bearer token and no
// Anthropic API headers. The body itself is golden (testdata/vertex).
func TestVertexWire(t *testing.T) {
	up, google, a, cred := newVertexEnv(t)
	for _, base := range golden.Cases(t, "testdata/request/*.request.json", ".request.json") {
		name := filepath.Base(base)
		if name != "plain_text" && name != "tools_multi_turn" && name != "stream_include_usage" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			body := golden.Read(t, base+".request.json")
			stream := gjson.GetBytes(body, "stream").Bool()
			res, err := a.Send(t.Context(), cred, chatCall("claude-sonnet-4-5@20250929", stream, string(body)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Stream != nil {
				for {
					if _, err := res.Stream.Next(); err != nil {
						if err != io.EOF {
							t.Fatal(err)
						}
						break
					}
				}
				_ = res.Stream.Close()
			}
			method := ":rawPredict"
			if stream {
				method = ":streamRawPredict"
			}
			want := "/v1/projects/fake-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929" + method
			if p := up.LastPath(); p != want {
				t.Errorf("path %s, want %s", p, want)
			}
			_, h := up.LastRequest()
			if h.Get("X-Api-Key") != "" || h.Get("Anthropic-Version") != "" {
				t.Errorf("Anthropic API headers sent to Vertex: %v", h)
			}
			if !strings.HasPrefix(h.Get("Authorization"), "Bearer ya29.fake-") || h.Get("Anthropic-Beta") != "fake-beta-2025-01-01" {
				t.Errorf("headers %v", h)
			}
			var pretty bytes.Buffer
			_ = json.Indent(&pretty, up.LastBody(), "", "  ")
			golden.Compare(t, "testdata/vertex/"+name+".vertex.json", append(pretty.Bytes(), '\n'))
		})
	}
	if n := google.TokenCalls(); n != 1 {
		t.Errorf("%d token exchanges, want 1 (the token is cached)", n)
	}
}

func TestVertexChatAndStream(t *testing.T) {
	_, _, a, cred := newVertexEnv(t)
	res, err := a.Send(t.Context(), cred, chatCall("claude-sonnet-4-5@20250929", false, vtxHello))
	if err != nil {
		t.Fatal(err)
	}
	if got := gjson.GetBytes(res.Body, "choices.0.message.content").String(); got != "fake: hello vertex" {
		t.Errorf("content %q in %s", got, res.Body)
	}
	if gjson.GetBytes(res.Body, "usage.total_tokens").Int() <= 0 || gjson.GetBytes(res.Body, "model").String() != "claude-sonnet-4-5@20250929" {
		t.Errorf("answer %s", res.Body)
	}

	res, err = a.Send(t.Context(), cred, chatCall("claude-sonnet-4-5@20250929", true, vtxHello))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Stream.Close()
	var text strings.Builder
	var finish string
	var usage bool
	for {
		chunk, err := res.Stream.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(gjson.GetBytes(chunk, "choices.0.delta.content").String())
		if f := gjson.GetBytes(chunk, "choices.0.finish_reason").String(); f != "" {
			finish = f
		}
		usage = usage || gjson.GetBytes(chunk, "usage.total_tokens").Int() > 0
	}
	if text.String() != "fake: hello vertex" || finish != "stop" || !usage {
		t.Errorf("stream: text %q, finish %q, usage %v", text.String(), finish, usage)
	}
}

func TestVertexToolCall(t *testing.T) {
	_, _, a, cred := newVertexEnv(t)
	body := `{"model":"ep","messages":[{"role":"user","content":"weather in Paris?"}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`
	res, err := a.Send(t.Context(), cred, chatCall("claude-tool-call@20250929", false, body))
	if err != nil {
		t.Fatal(err)
	}
	if gjson.GetBytes(res.Body, "choices.0.finish_reason").String() != "tool_calls" ||
		gjson.GetBytes(res.Body, "choices.0.message.tool_calls.0.function.name").String() != "get_weather" {
		t.Errorf("answer %s", res.Body)
	}
}

func TestVertexErrors(t *testing.T) {
	_, google, a, cred := newVertexEnv(t)
	tests := []struct {
		name, model       string
		cred              func(c providers.Credential) *providers.Credential
		status            int
		code, retryAfter  string
		retryable         bool
		messageContaining string
	}{
		{name: "anthropic shape 400", model: "fail-400", status: 400, code: "invalid_request_error",
			messageContaining: "fake upstream failure 400"},
		{name: "anthropic shape 429", model: "fail-429", status: 429, code: "rate_limit_error", retryAfter: "7", retryable: true},
		{name: "anthropic shape 529", model: "fail-529", status: 503, code: "overloaded_error", retryAfter: "7", retryable: true},
		{name: "google quota", model: "gfail-429", status: 429, code: "rate_limit_exceeded", retryAfter: "12", retryable: true,
			messageContaining: "Quota exceeded"},
		{name: "google 503", model: "gfail-503", status: 503, code: "unavailable", retryable: true},
		{name: "google 403", model: "gfail-403", status: 403, code: "permission_denied"},
		{name: "unknown model", model: "gpt-4o", status: 404, code: "model_not_found", messageContaining: "Publisher Model"},
		{name: "no model", model: "", status: 400, messageContaining: "no model"},
		{name: "wrong project", model: "claude-x", status: 404, code: "not_found",
			cred: func(c providers.Credential) *providers.Credential {
				c.Options = map[string]string{"vertex.project": "other", "vertex.location": vtxLocation}
				return &c
			}},
		{name: "no project", model: "claude-x", status: 500, code: "provider_misconfigured", messageContaining: "vertex-anthropic credential",
			cred: func(c providers.Credential) *providers.Credential {
				c.Options = map[string]string{"vertex.location": vtxLocation}
				return &c
			}},
		{name: "not a service account", model: "claude-x", status: 500, code: "provider_misconfigured",
			cred: func(c providers.Credential) *providers.Credential { c.Secret = "sk-ant-nope"; return &c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cred
			if tt.cred != nil {
				c = tt.cred(*cred)
			}
			_, err := a.Send(t.Context(), c, chatCall(tt.model, false, vtxHello))
			var pe *providers.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v", err)
			}
			if pe.Status != tt.status || pe.Code != tt.code || pe.RetryAfter != tt.retryAfter || pe.Retryable != tt.retryable ||
				!strings.Contains(pe.Message, tt.messageContaining) {
				t.Errorf("got %+v", pe)
			}
		})
	}
	// A revoked token is answered 401 in Google's shape; the adapter then
	// forgets it and the next call mints a new one.
	google.RevokeTokens()
	_, err := a.Send(t.Context(), cred, chatCall("claude-x", false, vtxHello))
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != "unauthenticated" || pe.Retryable {
		t.Fatalf("revoked token: %v", err)
	}
	before := google.TokenCalls()
	if _, err := a.Send(t.Context(), cred, chatCall("claude-x", false, vtxHello)); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if google.TokenCalls() != before+1 {
		t.Error("no new token was minted after the 401")
	}
}

func TestVertexErrorShapes(t *testing.T) {
	tests := []struct {
		body             string
		status           int
		wantStatus       int
		code, retryAfter string
		retryable        bool
	}{
		{`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 529, 503, "overloaded_error", "", true},
		{`{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`,
			429, 429, "rate_limit_exceeded", "2", true},
		{`[{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}]`, 500, 500, "internal", "", true},
		{`{"error":{"code":401,"message":"bad token","status":"UNAUTHENTICATED"}}`, 401, 401, "unauthenticated", "", false},
		{`<html>bad gateway</html>`, 502, 502, "", "", true},
	}
	for _, tt := range tests {
		e := anthropic.VertexError(tt.status, []byte(tt.body), "")
		if e.Status != tt.wantStatus || e.Code != tt.code || e.RetryAfter != tt.retryAfter || e.Retryable != tt.retryable || e.Message == "" {
			t.Errorf("%s: got %+v", tt.body, e)
		}
	}
	if e := anthropic.VertexError(429, []byte(`{"error":{"code":429,"message":"q","status":"RESOURCE_EXHAUSTED"}}`), "30"); e.RetryAfter != "30" {
		t.Errorf("Retry-After header lost: %+v", e)
	}
}

func TestVertexForward(t *testing.T) {
	up, _, a, cred := newVertexEnv(t)
	fwd := func(path string, stream bool, body string) (*providers.ForwardResponse, error) {
		return a.Forward(t.Context(), cred, "claude-sonnet-4-5@20250929", &providers.ForwardRequest{Method: "POST", Path: path,
			Query: "beta=true", Body: []byte(body), ModelField: "model", Stream: stream,
			Header: map[string]string{"anthropic-version": "2023-06-01", "anthropic-beta": "client-beta"}})
	}
	msg := `{"model":"ep","max_tokens":50,"messages":[{"role":"user","content":"hello native"}],"stream":%s}`
	r, err := fwd("/v1/messages", false, strings.Replace(msg, "%s", "false", 1))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if gjson.GetBytes(r.Body, "content.0.text").String() != "fake: hello native" {
		t.Errorf("body %s", r.Body)
	}
	if p := up.LastPath(); !strings.HasSuffix(p, "/models/claude-sonnet-4-5@20250929:rawPredict") {
		t.Errorf("path %s", p)
	}
	if _, h := up.LastRequest(); h.Get("Anthropic-Version") != "" || h.Get("Anthropic-Beta") != "fake-beta-2025-01-01" {
		t.Errorf("headers %v", h) // the credential's anthropic-beta wins over the client's
	}
	r, err = fwd("/v1/messages", true, strings.Replace(msg, "%s", "true", 1))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(r.Stream)
	r.Close()
	if !bytes.Contains(raw, []byte("event: message_stop")) || !strings.HasSuffix(up.LastPath(), ":streamRawPredict") {
		t.Errorf("stream %s via %s", raw, up.LastPath())
	}
	r, err = fwd("/v1/messages/count_tokens", false, `{"model":"ep","messages":[{"role":"user","content":"count these four words"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if gjson.GetBytes(r.Body, "input_tokens").Int() <= 0 || !strings.HasSuffix(up.LastPath(), "/models/count-tokens:rawPredict") {
		t.Errorf("count_tokens %s via %s", r.Body, up.LastPath())
	}
	if b, _ := up.LastRequest(); b["model"] != "claude-sonnet-4-5@20250929" || b["anthropic_version"] != anthropic.VertexVersion {
		t.Errorf("count_tokens body %v", b)
	}
	_, err = fwd("/v1/models", false, `{}`)
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 404 {
		t.Errorf("unknown path: %v", err)
	}
}

func TestVertexFakeRejects(t *testing.T) {
	up, _, _, cred := newVertexEnv(t)
	a := anthropic.NewVertex(anthropic.Options{})
	if err := a.ValidateCredential(cred); err != nil {
		t.Fatalf("valid credential refused: %v", err)
	}
	// Mint a token through the adapter, then reuse it by hand.
	if _, err := a.Send(t.Context(), cred, chatCall("claude-x", false, vtxHello)); err != nil {
		t.Fatal(err)
	}
	_, h := up.LastRequest()
	bearer := h.Get("Authorization")
	base := up.URL + "/v1/projects/fake-project/locations/us-east5/publishers/anthropic/models/"
	good := `{"anthropic_version":"vertex-2023-10-16","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name, url, auth, body string
		status                int
		contains              string
	}{
		{"ok", base + "claude-x:rawPredict", bearer, good, 200, `"type":"message"`},
		{"missing bearer", base + "claude-x:rawPredict", "", good, 401, "UNAUTHENTICATED"},
		{"invalid bearer", base + "claude-x:rawPredict", "Bearer ya29.forged", good, 401, "UNAUTHENTICATED"},
		{"wrong path", up.URL + "/v1/messages", bearer, good, 404, "NOT_FOUND"},
		{"wrong publisher", strings.Replace(base, "anthropic", "google", 1) + "claude-x:rawPredict", bearer, good, 404, "NOT_FOUND"},
		{"wrong method", base + "claude-x:generateContent", bearer, good, 404, "NOT_FOUND"},
		{"model in body", base + "claude-x:rawPredict", bearer, strings.Replace(good, "{", `{"model":"claude-x",`, 1), 400, "model: Extra inputs"},
		{"missing anthropic_version", base + "claude-x:rawPredict", bearer, strings.Replace(good, `"anthropic_version":"vertex-2023-10-16",`, "", 1), 400, "anthropic_version: Field required"},
		{"wrong anthropic_version", base + "claude-x:rawPredict", bearer, strings.Replace(good, "vertex-2023-10-16", "2023-06-01", 1), 400, "anthropic_version"},
		{"stream on rawPredict", base + "claude-x:rawPredict", bearer, strings.Replace(good, "{", `{"stream":true,`, 1), 400, "stream"},
		{"no stream on streamRawPredict", base + "claude-x:streamRawPredict", bearer, good, 400, "stream"},
		{"Messages validation", base + "claude-x:rawPredict", bearer, strings.Replace(good, `"max_tokens":5,`, "", 1), 400, "max_tokens: Field required"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, b)
		}
	}
}
