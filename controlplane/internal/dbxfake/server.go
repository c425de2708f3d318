// Package dbxfake is a fake Databricks workspace REST server for tests. It
// speaks the wire format the real databricks-sdk-go client sends and expects
// (workspace files, secrets, error bodies, PAT and OAuth M2M auth). Tests
// drive both gatewayd's own REST client (controlplane/internal/dbx) and the
// real SDK against it: the SDK passing proves the fake speaks the service's
// wire format, and the two clients reading what the other wrote proves dbx
// speaks it too. SDKWorkspace and SDKSecrets give the SDK the method sets
// the stores use, so store tests run with either client.
//
// Only tests may import it: it links the SDK, which gatewayd must not
// (cmd/gatewayd's deps test checks both).
//
// Behaviour that the reference notes could not pin down is chosen here and
// marked "fake's choice" in comments.
package dbxfake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
)

// Token is the personal access token the server accepts unless changed.
const Token = "dapi-fake-test-token"

// Server is a fake workspace. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	token     string
	clientID  string // OAuth M2M credentials accepted at /oidc/v1/token
	secret    string
	issued    map[string]bool // access tokens handed out by /oidc/v1/token
	objects   map[string]*object
	scopes    map[string]map[string]secretEntry
	nextID    int64
	lastMilli int64
	fault     *Fault
	requests  []string
	tokenReqs []string
}

// Fault makes API calls fail (an outage). Paths under /oidc are not affected.
type Fault struct {
	Status    int
	ErrorCode string
	// Match, when set, limits the fault to the requests it returns true for.
	Match func(*http.Request) bool
}

type object struct {
	info workspaceObject
	data []byte
}

type secretEntry struct {
	value   []byte
	updated int64
}

// New starts a server with an empty workspace (only "/" exists) and no secret
// scopes, and closes it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{token: Token, issued: map[string]bool{}, objects: map[string]*object{},
		scopes: map[string]map[string]secretEntry{}}
	s.objects["/"] = &object{info: workspaceObject{Path: "/", ObjectType: "DIRECTORY", ObjectID: s.id()}}
	mux := http.NewServeMux()
	s.routeWorkspace(mux)
	s.routeSecrets(mux)
	mux.HandleFunc("GET /oidc/.well-known/oauth-authorization-server", s.oidcDiscovery)
	mux.HandleFunc("POST /oidc/v1/token", s.oidcToken)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No API found for '"+r.Method+" "+r.URL.Path+"'")
	})
	s.srv = httptest.NewServer(s.guard(mux))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the workspace host (http://127.0.0.1:PORT).
func (s *Server) URL() string { return s.srv.URL }

// SetM2M makes the server accept OAuth M2M (client credentials) as well.
func (s *Server) SetM2M(clientID, clientSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientID, s.secret = clientID, clientSecret
}

// SetFault makes matching API calls fail until SetFault(nil).
func (s *Server) SetFault(f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Requests returns "METHOD /path" of every API call so far (no query, no body:
// bodies may carry secret values).
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// TokenRequests returns each client-credentials request the token endpoint
// received, as "auth=<scheme> grant_type=... scope=..." (never the secret).
func (s *Server) TokenRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokenReqs...)
}

// Env is the environment gatewayd's unified auth should read to reach this
// server with the PAT. DATABRICKS_CONFIG_FILE points nowhere so a developer's
// ~/.databrickscfg cannot leak in.
func (s *Server) Env() map[string]string {
	return map[string]string{"DATABRICKS_HOST": s.URL(), "DATABRICKS_TOKEN": Token,
		"DATABRICKS_CONFIG_FILE": "/nonexistent/databrickscfg"}
}

// Configure adjusts a dbx configuration for tests: retries give up after a
// second (a test of an outage waits that long, not 20 s).
func Configure(cfg *dbx.Config) {
	cfg.RetryTimeout = time.Second
	cfg.HTTPTimeout = 5 * time.Second
}

// ConfigureSDK adjusts an SDK configuration the same way, and also skips
// host metadata discovery (GET /.well-known/databricks-config) and the
// client-side rate limit (the default 15 requests per second would make the
// tests slow, not more faithful).
func ConfigureSDK(cfg *config.Config) {
	cfg.HostMetadataResolver = func(context.Context, string) (*config.HostMetadata, error) { return nil, nil }
	cfg.RetryTimeoutSeconds = 1
	cfg.HTTPTimeoutSeconds = 5
	cfg.RateLimitPerSecond = 10000
}

// RESTClient returns gatewayd's own client authenticated to the server with
// the PAT, independent of the process environment.
func (s *Server) RESTClient(t testing.TB) *dbx.Client {
	t.Helper()
	env := s.Env()
	c, err := dbx.NewClient(dbx.Options{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Configure: Configure})
	if err != nil {
		t.Fatalf("dbx client: %v", err)
	}
	return c
}

// SDKClient returns a real SDK client authenticated to the server with the
// PAT, independent of the process environment.
func (s *Server) SDKClient(t testing.TB) *client.DatabricksClient {
	t.Helper()
	return s.SDKClientFor(t, &config.Config{Token: Token, AuthType: "pat"})
}

// SDKClientFor returns a real SDK client with cfg's credentials, pointed at
// the server (Host is set when empty), adjusted by ConfigureSDK and reading
// neither DATABRICKS_* variables nor ~/.databrickscfg.
func (s *Server) SDKClientFor(t testing.TB, cfg *config.Config) *client.DatabricksClient {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = s.URL()
	}
	cfg.Loaders = []config.Loader{noLoader{}}
	ConfigureSDK(cfg)
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("databricks client: %v", err)
	}
	return c
}

// noLoader keeps the SDK from reading DATABRICKS_* variables and ~/.databrickscfg.
type noLoader struct{}

func (noLoader) Name() string                   { return "none" }
func (noLoader) Configure(*config.Config) error { return nil }

// guard records the request, injects faults and checks the bearer token.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oidc/") {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		f := s.fault
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		authorized := bearer != "" && (bearer == s.token || s.issued[bearer])
		s.mu.Unlock()
		if f != nil && (f.Match == nil || f.Match(r)) {
			writeError(w, f.Status, f.ErrorCode, "injected fault")
			return
		}
		if !authorized {
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid access token.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) oidcDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{
		"authorization_endpoint": s.URL() + "/oidc/v1/authorize",
		"token_endpoint":         s.URL() + "/oidc/v1/token",
	})
}

// oidcToken is the client-credentials grant: Basic client_id:client_secret,
// form grant_type=client_credentials&scope=all-apis.
func (s *Server) oidcToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"grant_type must be client_credentials"}`))
		return
	}
	// RFC 6749 §2.3.1: both are form-encoded before Basic.
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.mu.Lock()
	s.tokenReqs = append(s.tokenReqs, fmt.Sprintf("auth=%s grant_type=%s scope=%s", scheme,
		r.PostForm.Get("grant_type"), r.PostForm.Get("scope")))
	valid := ok && s.clientID != "" && id == s.clientID && secret == s.secret
	var token string
	if valid {
		token = fmt.Sprintf("fake-oauth-%d", s.id())
		s.issued[token] = true
	}
	s.mu.Unlock()
	if !valid {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"Client authentication failed"}`))
		return
	}
	writeJSON(w, map[string]any{"access_token": token, "token_type": "Bearer", "expires_in": 3600,
		"scope": r.PostForm.Get("scope")})
}

// id returns a fresh object id. s.mu must be held (or s not yet shared).
func (s *Server) id() int64 {
	s.nextID++
	return 1000 + s.nextID
}

// now is the time in epoch milliseconds, strictly increasing so that every
// write shows a new modified_at (fake's choice: the real clock has ms
// resolution, and two writes in one ms would look alike). s.mu must be held.
func (s *Server) now() int64 {
	ms := time.Now().UnixMilli()
	if ms <= s.lastMilli {
		ms = s.lastMilli + 1
	}
	s.lastMilli = ms
	return ms
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the Databricks error body {"error_code","message"}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": message})
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }
