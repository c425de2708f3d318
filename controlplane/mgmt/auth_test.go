package mgmt_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

func TestAuth(t *testing.T) {
	const token = "admin-token-123"
	withToken := newEnv(t, baseFiles(), func(o *mgmt.Options) { o.AdminToken = token })
	noToken := newEnv(t, baseFiles())
	databricks := newEnv(t, baseFiles(), func(o *mgmt.Options) { o.TrustForwardedUser = true; o.AdminToken = token })
	forwardedOff := newEnv(t, baseFiles(), func(o *mgmt.Options) { o.AdminToken = token })

	for _, tc := range []struct {
		name       string
		e          *env
		remote     string
		header     map[string]string
		method     string
		path       string
		wantStatus int
	}{
		{"token: none sent", withToken, loopback, nil, "GET", "/api/v1alpha1/endpoints", 401},
		{"token: wrong", withToken, loopback, map[string]string{"Authorization": "Bearer nope"}, "GET", "/api/v1alpha1/endpoints", 401},
		{"token: prefix of the right one", withToken, loopback, map[string]string{"Authorization": "Bearer admin-token"}, "GET", "/api/v1alpha1/endpoints", 401},
		{"token: not a bearer", withToken, loopback, map[string]string{"Authorization": "Basic " + token}, "GET", "/api/v1alpha1/endpoints", 401},
		{"token: right", withToken, "203.0.113.9:4000", map[string]string{"Authorization": "Bearer " + token}, "GET", "/api/v1alpha1/endpoints", 200},
		{"token: scheme is case-insensitive", withToken, "203.0.113.9:4000", map[string]string{"Authorization": "bearer " + token}, "GET", "/api/v1alpha1/endpoints", 200},
		{"token: loopback is not enough", withToken, loopback, nil, "GET", "/api/v1alpha1/status", 401},
		// 401 comes before routing: unknown routes and writes are refused alike.
		{"token: before routing", withToken, loopback, nil, "GET", "/api/v1alpha1/nothing-here", 401},
		{"token: before a write", withToken, loopback, nil, "DELETE", "/api/v1alpha1/endpoints/chat", 401},
		{"no token: remote", noToken, "203.0.113.9:4000", nil, "GET", "/api/v1alpha1/endpoints", 401},
		{"no token: remote with a bearer", noToken, "203.0.113.9:4000", map[string]string{"Authorization": "Bearer anything"}, "GET", "/api/v1alpha1/endpoints", 401},
		{"no token: remote IPv6", noToken, "[2001:db8::1]:4000", nil, "GET", "/api/v1alpha1/endpoints", 401},
		{"no token: loopback", noToken, loopback, nil, "GET", "/api/v1alpha1/endpoints", 200},
		{"no token: loopback IPv6", noToken, "[::1]:4000", nil, "GET", "/api/v1alpha1/endpoints", 200},
		{"no token: other 127/8", noToken, "127.0.0.2:4000", nil, "GET", "/api/v1alpha1/endpoints", 200},
		{"forwarded user trusted", databricks, "10.0.0.5:4000", map[string]string{"X-Forwarded-Email": "dev@example.com"}, "GET", "/api/v1alpha1/endpoints", 200},
		{"forwarded user header", databricks, "10.0.0.5:4000", map[string]string{"X-Forwarded-User": "1234@5678"}, "GET", "/api/v1alpha1/endpoints", 200},
		{"forwarded mode without headers", databricks, "10.0.0.5:4000", nil, "GET", "/api/v1alpha1/endpoints", 401},
		{"forwarded headers ignored outside Databricks", forwardedOff, "10.0.0.5:4000", map[string]string{"X-Forwarded-Email": "dev@example.com"}, "GET", "/api/v1alpha1/endpoints", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(tc.method, tc.path, "")
			r.RemoteAddr = tc.remote
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := tc.e.serve(r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.wantStatus, w.Body.String())
			}
			if tc.wantStatus == 401 {
				e := expectError(t, w, 401, "unauthorized")
				if e.Error.Type != "authentication_error" {
					t.Errorf("type %q", e.Error.Type)
				}
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if strings.Contains(w.Body.String(), token) {
					t.Error("the 401 echoes the token")
				}
			}
		})
	}
	if !strings.Contains(expectError(t, noToken.serve(func() *http.Request {
		r := newRequest("GET", "/api/v1alpha1/endpoints", "")
		r.RemoteAddr = "203.0.113.9:4000"
		return r
	}()), 401, "unauthorized").Error.Message, "loopback") {
		t.Error("the no-token 401 does not say why")
	}
	// Nothing was deleted by the refused DELETE.
	if !withToken.exists("endpoints/chat.yaml") {
		t.Error("a refused DELETE deleted")
	}
}

// TestOverHTTP serves the API on a real loopback listener, as gatewayd does
// through its adaptor: the client's address is loopback, so no token is needed.
func TestOverHTTP(t *testing.T) {
	e := newEnv(t, baseFiles())
	srv := httptest.NewServer(e.api)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1alpha1/endpoints/chat")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
