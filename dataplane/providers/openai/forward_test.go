package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

const fwdKey = "sk-forward-test"

func forwardAdapter() *Adapter {
	info := providers.Info{ID: "openai", Tasks: []providers.Task{providers.TaskChat}}
	return New(Options{Info: info, StreamUsage: true})
}

func readForwardStream(t *testing.T, fwd *providers.ForwardResponse) []byte {
	t.Helper()
	b, err := io.ReadAll(fwd.Stream)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestForwardResponses(t *testing.T) {
	up := openaitest.NewWithResponses(fwdKey)
	defer up.Close()
	a := forwardAdapter()
	cred := &providers.Credential{Name: "k", Provider: "openai", BaseURL: up.BaseURL() + "/", Secret: fwdKey,
		Headers: map[string]string{"OpenAI-Project": "proj_1"}}
	for _, stream := range []bool{false, true} {
		body := []byte(`{"model": "my-endpoint", "input": "hello", "stream": ` + map[bool]string{false: "false", true: "true"}[stream] +
			`, "unknown": {"a": [1, 2]}}`)
		orig := bytes.Clone(body)
		fr := &providers.ForwardRequest{Method: "POST", Path: "/responses", Body: body, ModelField: "model", Stream: stream,
			Header: map[string]string{"openai-beta": "responses=v1", "Authorization": "Bearer client-key"}}
		fwd, err := a.Forward(t.Context(), cred, "gpt-real", fr)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if stream {
			if fwd.Body != nil || fwd.Stream == nil {
				t.Fatalf("stream=%v: body %q stream %v", stream, fwd.Body, fwd.Stream)
			}
			got = readForwardStream(t, fwd)
		} else {
			got = fwd.Body
		}
		if fwd.Status != 200 || !bytes.Equal(got, up.LastResponsesAnswer()) {
			t.Errorf("stream=%v: status %d, answer\n%s\nupstream sent\n%s", stream, fwd.Status, got, up.LastResponsesAnswer())
		}
		if fwd.Usage != (providers.Usage{PromptTokens: 9, CompletionTokens: 3}) {
			t.Errorf("stream=%v: usage %+v", stream, fwd.Usage)
		}
		if fwd.Header["X-Request-Id"] != "req_fake_responses" {
			t.Errorf("headers %v", fwd.Header)
		}
		wantCT := map[bool]string{false: "application/json", true: "text/event-stream; charset=utf-8"}[stream]
		if fwd.ContentType != wantCT {
			t.Errorf("content type %q, want %q", fwd.ContentType, wantCT)
		}
		fwd.Close()
		if !bytes.Equal(body, orig) {
			t.Errorf("the request body was modified: %s", body)
		}
		sent, h := up.LastResponsesRequest()
		if want := strings.Replace(string(orig), `"my-endpoint"`, `"gpt-real"`, 1); string(sent) != want {
			t.Errorf("upstream got %s, want %s", sent, want)
		}
		if h.Get("Authorization") != "Bearer "+fwdKey || h.Get("Openai-Beta") != "responses=v1" || h.Get("Openai-Project") != "proj_1" {
			t.Errorf("upstream headers %v", h)
		}
		if stream != (h.Get("Accept") == "text/event-stream") {
			t.Errorf("stream=%v: Accept %q", stream, h.Get("Accept"))
		}
	}
}

func TestForwardErrors(t *testing.T) {
	up := openaitest.NewWithResponses(fwdKey)
	defer up.Close()
	a := forwardAdapter()
	cred := &providers.Credential{Provider: "openai", BaseURL: up.BaseURL(), Secret: fwdKey}
	fr := func(model string) *providers.ForwardRequest {
		return &providers.ForwardRequest{Method: "POST", Path: "/responses", Body: []byte(`{"model":"x","input":"hi"}`), ModelField: "model"}
	}
	tests := []struct {
		model     string
		cred      *providers.Credential
		status    int
		retryable bool
		retry     string
		contains  string
	}{
		{"fail-429", cred, 429, true, "7", "fake upstream failure 429"},
		{"fail-400", cred, 400, false, "", "fake upstream failure 400"},
		{"fail-503", cred, 503, true, "", "fake upstream failure 503"},
		{"gpt", &providers.Credential{Provider: "openai", BaseURL: up.BaseURL(), Secret: "wrong"}, 401, false, "", "Incorrect API key"},
		{"gpt", &providers.Credential{Provider: "openai", BaseURL: "http://{account}.example.com/v1", Secret: fwdKey}, 500, false, "", "needs a base URL"},
	}
	for _, tt := range tests {
		_, err := a.Forward(t.Context(), tt.cred, tt.model, fr(tt.model))
		var pe *providers.Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %v", tt.model, err)
		}
		if pe.Status != tt.status || pe.Retryable != tt.retryable || pe.RetryAfter != tt.retry || !strings.Contains(pe.Message, tt.contains) {
			t.Errorf("%s: %+v", tt.model, pe)
		}
		if strings.Contains(pe.Message, fwdKey) {
			t.Errorf("the error leaks the key: %s", pe.Message)
		}
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err := a.Forward(t.Context(), &providers.Credential{Provider: "openai", BaseURL: dead.URL + "/v1"}, "m", fr("m"))
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 502 || !pe.Retryable {
		t.Errorf("unreachable upstream: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := a.Forward(ctx, cred, "m", fr("m")); err == nil {
		t.Errorf("a cancelled context was not noticed")
	}
}

// TestForwardAuth: the adapter's own auth style decides what credential
// goes upstream; a forwarded header can never set one.
func TestForwardAuth(t *testing.T) {
	var (
		mu   sync.Mutex
		seen http.Header
		path string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen, path = r.Header.Clone(), r.URL.RequestURI()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"usage":{"prompt_tokens":4,"completion_tokens":2}}`)
	}))
	defer srv.Close()
	fr := &providers.ForwardRequest{Path: "chat/completions", Query: "api-version=1", Body: []byte(`{"model":"x"}`), ModelField: "model",
		Header: map[string]string{"api-key": "client", "x-api-key": "client", "authorization": "client", "openai-beta": "b"}}
	tests := []struct {
		auth Auth
		want map[string]string
	}{
		{Auth{}, map[string]string{"Authorization": "Bearer " + fwdKey, "Api-Key": "", "X-Api-Key": "", "Openai-Beta": "b"}},
		{Auth{Header: "api-key"}, map[string]string{"Authorization": "", "Api-Key": fwdKey, "X-Api-Key": "", "Openai-Beta": "b"}},
		{Auth{None: true}, map[string]string{"Authorization": "", "Api-Key": "", "X-Api-Key": "", "Openai-Beta": "b"}},
	}
	for _, tt := range tests {
		a := New(Options{Info: providers.Info{ID: "p"}, Auth: tt.auth})
		fwd, err := a.Forward(t.Context(), &providers.Credential{BaseURL: srv.URL + "/v1", Secret: fwdKey}, "m", fr)
		if err != nil {
			t.Fatal(err)
		}
		fwd.Close()
		mu.Lock()
		for k, v := range tt.want {
			if got := seen.Get(k); got != v {
				t.Errorf("auth %+v: %s = %q, want %q", tt.auth, k, got, v)
			}
		}
		if path != "/v1/chat/completions?api-version=1" {
			t.Errorf("path %q", path)
		}
		mu.Unlock()
		if fwd.Usage != (providers.Usage{PromptTokens: 4, CompletionTokens: 2}) {
			t.Errorf("usage %+v", fwd.Usage)
		}
	}
}

func TestUsageTap(t *testing.T) {
	big := strings.Repeat("x", maxTapLine+10)
	tests := []struct {
		name, stream string
		want         providers.Usage
	}{
		{"responses", "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"usage\":null}}\n\n" +
			"event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":7,\"output_tokens\":5}}}\n\n",
			providers.Usage{PromptTokens: 7, CompletionTokens: 5}},
		{"chat with CRLF and no final newline", "data: {\"choices\":[],\"usage\":null}\r\n\r\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}",
			providers.Usage{PromptTokens: 3, CompletionTokens: 1}},
		{"oversized line skipped", "data: {\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":2}}\n\ndata: {\"usage\":{\"prompt_tokens\":9,\"x\":\"" + big + "\"}}\n\n",
			providers.Usage{PromptTokens: 2, CompletionTokens: 2}},
		{"no usage", "data: {\"type\":\"response.output_text.delta\",\"delta\":\"usage\"}\n\n", providers.Usage{}},
	}
	for _, tt := range tests {
		out := &providers.ForwardResponse{}
		tap := &usageTap{r: iotest.HalfReader(strings.NewReader(tt.stream)), out: out}
		var got bytes.Buffer
		buf := make([]byte, 7)
		for {
			n, err := tap.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if got.String() != tt.stream {
			t.Errorf("%s: the stream changed", tt.name)
		}
		if out.Usage != tt.want {
			t.Errorf("%s: usage %+v, want %+v", tt.name, out.Usage, tt.want)
		}
	}
}
