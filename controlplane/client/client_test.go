package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

// recorder is a fake gateway answering from a handler and keeping the last
// request.
type recorder struct {
	mu   sync.Mutex
	last *http.Request
	body string
}

func (rec *recorder) server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.last, rec.body = r.Clone(context.Background()), string(b)
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, url string, tokens TokenSource) *Client {
	t.Helper()
	c, err := New(Options{Server: url, Tokens: tokens, UserAgent: "test/1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidatesServer(t *testing.T) {
	for _, s := range []string{"ftp://x", "localhost:8000", "http://", "http://h/?q=1", "::"} {
		if _, err := New(Options{Server: s}); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
	c, err := New(Options{Server: "https://gw.example.com/prefix/"})
	if err != nil || c.Server() != "https://gw.example.com/prefix" {
		t.Errorf("New with a prefix: %v %q", err, c.Server())
	}
	c, err = New(Options{})
	if err != nil || c.Server() != DefaultServer {
		t.Errorf("default server: %v %q", err, c.Server())
	}
}

type failingTokens struct{}

func (failingTokens) Token(context.Context) (string, error) { return "", errors.New("login expired") }

func TestAuthAndPaths(t *testing.T) {
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"apiVersion":"gateway/v1alpha1","kind":"EndpointList","items":[]}`)
	})
	c := newClient(t, srv.URL+"/base", StaticToken("tok-1"))
	if _, err := c.List(context.Background(), v1alpha1.KindEndpoint); err != nil {
		t.Fatal(err)
	}
	if got := rec.last.Header.Get("Authorization"); got != "Bearer tok-1" {
		t.Errorf("Authorization %q", got)
	}
	if rec.last.URL.Path != "/base/api/v1alpha1/endpoints" || rec.last.Header.Get("User-Agent") != "test/1" {
		t.Errorf("request %s UA %q", rec.last.URL.Path, rec.last.Header.Get("User-Agent"))
	}

	// No token source, or an empty token: no header.
	c = newClient(t, srv.URL, StaticToken(""))
	if _, err := c.List(context.Background(), v1alpha1.KindAPIKey); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.last.Header["Authorization"]; ok {
		t.Errorf("sent Authorization with an empty token")
	}
	c = newClient(t, srv.URL, failingTokens{})
	if _, err := c.List(context.Background(), v1alpha1.KindAPIKey); err == nil || !strings.Contains(err.Error(), "login expired") {
		t.Errorf("token error not reported: %v", err)
	}
}

func TestApplyQueryAndResults(t *testing.T) {
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"dryRun":true,"results":[
			{"kind":"Endpoint","name":"a","action":"created","object":{"apiVersion":"gateway/v1alpha1","kind":"Endpoint",
			  "metadata":{"name":"a","generation":1},"spec":{"targets":[{"model":"m","apiKeyRef":"k"}],"timeout":"30s"},
			  "status":{"conditions":[{"type":"Ready","status":"True","reason":"Reconciled","message":"","lastTransitionTime":"2025-01-01T00:00:00Z"}]}}},
			{"kind":"APIKey","name":"k","action":"invalid","error":"f: document 2: APIKey/k: spec.provider: required"},
			{"kind":"Endpoint","name":"old","action":"pruned"}]}`)
	})
	c := newClient(t, srv.URL, nil)
	resp, err := c.Apply(context.Background(), []byte("docs"), ApplyOptions{Filename: "dir/a b.yaml", DryRun: true, Prune: true, Selector: "team=x,env=prod"})
	if err != nil {
		t.Fatal(err)
	}
	q := rec.last.URL.Query()
	if q.Get("filename") != "dir/a b.yaml" || q.Get("dryRun") != "true" || q.Get("prune") != "true" || q.Get("selector") != "team=x,env=prod" {
		t.Errorf("query %v", q)
	}
	if rec.last.Method != http.MethodPost || rec.last.URL.Path != "/api/v1alpha1/apply" || rec.body != "docs" {
		t.Errorf("request %s %s %q", rec.last.Method, rec.last.URL.Path, rec.body)
	}
	if len(resp.Results) != 3 || !resp.DryRun {
		t.Fatalf("results %+v", resp)
	}
	ep, ok := resp.Results[0].Object.(*v1alpha1.Endpoint)
	if !ok || ep.Spec.Timeout.Duration.String() != "30s" || ep.Status.Conditions[0].Reason != "Reconciled" {
		t.Errorf("object %#v", resp.Results[0].Object)
	}
	if resp.Results[1].Object != nil || resp.Results[1].Error == "" || resp.Results[2].Action != "pruned" {
		t.Errorf("results %+v", resp.Results)
	}
}

func TestErrors(t *testing.T) {
	for _, tt := range []struct {
		status  int
		body    string
		want    string
		details int
	}{
		{401, `{"error":{"message":"missing or wrong bearer token","type":"authentication_error","code":"unauthorized"}}`, "missing or wrong bearer token", 0},
		{404, `{"error":{"message":"Endpoint \"x\" not found","type":"invalid_request_error","code":"not_found"}}`, `Endpoint "x" not found`, 0},
		{400, `{"error":{"message":"invalid","code":"invalid","details":["a","b"]}}`, "invalid", 2},
		{404, `{"error":{"message":"The model does not exist","type":"invalid_request_error","param":null,"code":null}}`, "The model does not exist", 0},
		{502, "<html>bad gateway</html>", "HTTP 502: <html>bad gateway</html>", 0},
		{503, "", "HTTP 503: Service Unavailable", 0},
	} {
		var rec recorder
		srv := rec.server(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			_, _ = io.WriteString(w, tt.body)
		})
		c := newClient(t, srv.URL, nil)
		_, err := c.Get(context.Background(), v1alpha1.KindEndpoint, "x")
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != tt.status || ae.Error() != tt.want || len(ae.Details) != tt.details {
			t.Errorf("status %d: got %#v (%v)", tt.status, ae, err)
		}
		if IsUnauthorized(err) != (tt.status == 401) || IsNotFound(err) != (tt.status == 404) {
			t.Errorf("status %d: IsUnauthorized/IsNotFound wrong", tt.status)
		}
	}

	// Nothing listening: a ConnectError naming the server.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newClient(t, url, nil)
	_, err := c.List(context.Background(), v1alpha1.KindEndpoint)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Server != url {
		t.Errorf("closed server: %v", err)
	}
}

func TestReady(t *testing.T) {
	status, body := 503, `{"status":"loading","generation":0}`
	var rec recorder
	srv := rec.server(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
	c := newClient(t, srv.URL, nil)
	ri, err := c.Ready(context.Background())
	if err != nil || ri.Status != "loading" {
		t.Errorf("loading: %+v %v", ri, err)
	}
	status, body = 200, `{"status":"ready","generation":7,"endpoints":3}`
	ri, err = c.Ready(context.Background())
	if err != nil || ri.Generation != 7 || ri.Endpoints != 3 {
		t.Errorf("ready: %+v %v", ri, err)
	}
	status, body = 404, "not found"
	if _, err := c.Ready(context.Background()); err == nil {
		t.Errorf("a 404 without a body is not ready")
	}
}

func TestDecodeObject(t *testing.T) {
	obj, err := DecodeObject([]byte(`{"apiVersion":"gateway/v1alpha1","kind":"APIKey","metadata":{"name":"k"},"spec":{"provider":"openai","secretRef":{"scope":"s","key":"k"}},"newField":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if k := obj.(*v1alpha1.APIKey); k.Spec.SecretRef.Scope != "s" {
		t.Errorf("%+v", k)
	}
	if _, err := DecodeObject([]byte(`{"kind":"Pod"}`)); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := Plural("Pod"); err == nil {
		t.Error("Plural(Pod) accepted")
	}
}

func TestChat(t *testing.T) {
	var rec recorder
	mode := "stream"
	srv := rec.server(t, func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "stream":
			w.Header().Set("Content-Type", "text/event-stream")
			for _, d := range []string{`{"choices":[{"delta":{"role":"assistant","content":""}}]}`, `{"choices":[{"delta":{"content":"Hel"}}]}`,
				`{"choices":[{"delta":{"content":"lo"}}]}`, `{"choices":[],"usage":{"total_tokens":3}}`, `[DONE]`} {
				fmt.Fprintf(w, "data: %s\n\n", d)
			}
		case "midstream-error":
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\ndata: {\"error\":{\"message\":\"upstream broke\",\"type\":\"server_error\"}}\n\n")
		case "truncated":
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n")
		case "whole":
			fmt.Fprint(w, `{"choices":[{"message":{"role":"assistant","content":"Hello"}}]}`)
		case "error":
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"message":"endpoint \"x\" does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}`)
		}
	})
	c := newClient(t, srv.URL, StaticToken("t"))
	chat := func(stream bool) (string, error) {
		var b strings.Builder
		err := c.Chat(context.Background(), ChatRequest{Endpoint: "x", Stream: stream, Messages: []Message{{Role: "user", Content: "hi"}}},
			func(s string) error { b.WriteString(s); return nil })
		return b.String(), err
	}
	if got, err := chat(true); err != nil || got != "Hello" {
		t.Errorf("stream: %q %v", got, err)
	}
	if rec.last.URL.Path != ChatPath || !strings.Contains(rec.body, `"stream":true`) || !strings.Contains(rec.body, `"model":"x"`) {
		t.Errorf("request %s %s", rec.last.URL.Path, rec.body)
	}
	mode = "midstream-error"
	if got, err := chat(true); got != "par" || err == nil || err.Error() != "upstream broke" {
		t.Errorf("mid-stream error: %q %v", got, err)
	}
	mode = "truncated"
	if _, err := chat(true); err == nil || !strings.Contains(err.Error(), "ended before") {
		t.Errorf("truncated: %v", err)
	}
	mode = "whole"
	if got, err := chat(false); err != nil || got != "Hello" || !strings.Contains(rec.body, `"stream":false`) {
		t.Errorf("no stream: %q %v", got, err)
	}
	mode = "error"
	if _, err := chat(true); !IsNotFound(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error: %v", err)
	}
}
