package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
	"github.com/ai-gateway/gateway/controlplane/daemon"
)

// workspaceOIDC is the part of a Databricks workspace gatewayctl talks to:
// OAuth discovery and the client-credentials token endpoint (Basic auth,
// scope all-apis), as databricks-sdk-go calls them.
type workspaceOIDC struct {
	*httptest.Server
	id, secret string
	mu         sync.Mutex
	issued     map[string]bool
	requests   int
}

func newWorkspaceOIDC(t *testing.T, id, secret string) *workspaceOIDC {
	w := &workspaceOIDC{id: id, secret: secret, issued: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/oauth-authorization-server", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(rw, `{"authorization_endpoint":"%[1]s/oidc/v1/authorize","token_endpoint":"%[1]s/oidc/v1/token"}`, w.URL)
	})
	mux.HandleFunc("POST /oidc/v1/token", func(rw http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		_ = r.ParseForm()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.requests++
		rw.Header().Set("Content-Type", "application/json")
		if !ok || id != w.id || secret != w.secret || r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "all-apis" {
			rw.WriteHeader(http.StatusUnauthorized)
			_, _ = rw.Write([]byte(`{"error":"invalid_client","error_description":"Client authentication failed"}`))
			return
		}
		tok := fmt.Sprintf("oauth-token-%d", w.requests)
		w.issued[tok] = true
		fmt.Fprintf(rw, `{"access_token":%q,"token_type":"Bearer","expires_in":3600,"scope":"all-apis"}`, tok)
	})
	w.Server = httptest.NewServer(mux)
	t.Cleanup(w.Close)
	return w
}

func (w *workspaceOIDC) valid(authorization string) bool {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	w.mu.Lock()
	defer w.mu.Unlock()
	return ok && w.issued[tok]
}

func (w *workspaceOIDC) tokenRequests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests
}

// appsProxy stands in for the Databricks Apps proxy: it lets a request
// through only with a bearer token the workspace accepts, and passes the
// caller on to the app as X-Forwarded-Email, the Authorization header consumed.
func appsProxy(t *testing.T, ws *workspaceOIDC, app string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(app)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ws.valid(r.Header.Get("Authorization")) {
			http.Error(w, "not signed in", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		r.Header.Set("X-Forwarded-Email", "gatewayctl-sp@example.com")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// gatewayctl reaches a gateway deployed as a Databricks App with a workspace
// OAuth token from OAuth M2M or a profile, through the SDK's unified auth.
func TestDatabricksAuth(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no real ~/.databrickscfg
	ws := newWorkspaceOIDC(t, "gatewayctl-sp", "sp-secret-canary")
	g := startGatewayd(t, nil, func(c *daemon.Config) { c.DatabricksApp = true })
	proxy := appsProxy(t, ws, g.base)

	cfgFile := filepath.Join(t.TempDir(), "databrickscfg")
	profile := "[gw]\nhost = " + ws.URL + "\nclient_id = gatewayctl-sp\nclient_secret = sp-secret-canary\n"
	if err := os.WriteFile(cfgFile, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	m2m := map[string]string{"GATEWAY_URL": proxy.URL, "DATABRICKS_HOST": ws.URL,
		"DATABRICKS_CLIENT_ID": "gatewayctl-sp", "DATABRICKS_CLIENT_SECRET": "sp-secret-canary"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"oauth m2m from the environment", m2m, nil},
		{"--profile", map[string]string{"GATEWAY_URL": proxy.URL, "DATABRICKS_CONFIG_FILE": cfgFile}, []string{"--profile", "gw"}},
		{"DATABRICKS_CONFIG_PROFILE", map[string]string{"GATEWAY_URL": proxy.URL, "DATABRICKS_CONFIG_FILE": cfgFile, "DATABRICKS_CONFIG_PROFILE": "gw"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ws.tokenRequests()
			r := g.run(tc.env, "", append(tc.args, "get", "endpoints")...)
			if r.code != ExitOK || !strings.Contains(r.err, "No resources found") {
				t.Fatalf("through the Apps proxy:\n%s", r)
			}
			if ws.tokenRequests() == before {
				t.Error("no OAuth token was requested from the workspace")
			}
		})
	}

	t.Run("refused credentials", func(t *testing.T) {
		env := map[string]string{"GATEWAY_URL": proxy.URL, "DATABRICKS_HOST": ws.URL,
			"DATABRICKS_CLIENT_ID": "gatewayctl-sp", "DATABRICKS_CLIENT_SECRET": "wrong-secret-canary"}
		r := g.run(env, "", "get", "endpoints")
		if r.code != ExitError || !strings.Contains(r.err, "databricks auth") {
			t.Fatalf("want exit 1 naming databricks auth:\n%s", r)
		}
		if strings.Contains(r.out+r.err, "wrong-secret-canary") {
			t.Fatalf("the client secret was printed:\n%s", r)
		}
	})

	t.Run("no credentials reach the proxy", func(t *testing.T) {
		r := g.run(map[string]string{"GATEWAY_URL": proxy.URL}, "", "get", "endpoints")
		if r.code != ExitError {
			t.Fatalf("without any credential the proxy must refuse:\n%s", r)
		}
	})
}

// The external diff previews a write-only value as a secretRef in the scope
// the server uses (--secret-scope on a Databricks App), read from its status.
func TestExternalDiffUsesServerSecretScope(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1alpha1/status" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"endpoints":0,"apikeys":0,"fileErrors":[],"secretScope":"team-scope"}`))
	}))
	t.Cleanup(srv.Close)
	cl, err := client.New(client.Options{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	withValue := changedObject{doc: v1alpha1.Decoded{Object: &v1alpha1.APIKey{
		TypeMeta: v1alpha1.TypeMeta{APIVersion: v1alpha1.GroupVersion, Kind: v1alpha1.KindAPIKey},
		Metadata: v1alpha1.ObjectMeta{Name: "k"}, Spec: v1alpha1.APIKeySpec{Provider: "openai", Value: "sk-canary"}}}}
	scope, err := secretScope(t.Context(), cl, []changedObject{withValue})
	if err != nil || scope != "team-scope" {
		t.Fatalf("scope %q, %v; want team-scope", scope, err)
	}
	stored := asStored(withValue.doc.Object, nil, scope).(*v1alpha1.APIKey)
	if stored.Spec.Value != "" || stored.Spec.SecretRef == nil || *stored.Spec.SecretRef != (v1alpha1.SecretRef{Scope: "team-scope", Key: "k"}) {
		t.Fatalf("stored form: %+v", stored.Spec)
	}
	// Nothing to preview: the server is not asked.
	srv.Close()
	if scope, err := secretScope(t.Context(), cl, nil); err != nil || scope != "ai-gateway" {
		t.Fatalf("no write-only value: %q, %v", scope, err)
	}
}
