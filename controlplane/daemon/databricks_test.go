package daemon_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/daemon"
	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// wsDir is the workspace folder as the API names it; gatewayd is given the
// /Workspace/... form a person copies from the workspace UI.
const wsDir = "/Users/gateway-app/manifests"

// startDatabricksGateway starts gatewayd in Databricks mode against fake:
// manifests in wsDir, secrets in the scope "gw-scope", unified auth from an
// injected environment (the fake's host and PAT, nothing from the real one).
func startDatabricksGateway(t *testing.T, fake *dbxfake.Server, env map[string]string) *gatewayd {
	t.Helper()
	d := &gatewayd{t: t, logs: &logbuf.Buffer{}}
	all := fake.Env()
	for k, v := range env {
		all[k] = v
	}
	cfg := &daemon.Config{Listen: "127.0.0.1:0", Manifests: t.TempDir(), DataDir: t.TempDir(), SecretKey: testSecretKey,
		WorkspaceDir: "/Workspace" + wsDir, SecretScope: "gw-scope", WorkspacePoll: "50ms", LogLevel: "debug", LogFormat: "text"}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g, done, err := daemon.Start(ctx, cfg, daemon.Options{Logger: log, DatabricksConfig: dbxfake.Configure,
		Getenv: func(k string) (string, bool) { v, ok := all[k]; return v, ok }})
	if err != nil {
		cancel()
		t.Fatalf("Start: %v\n%s", err, d.logs)
	}
	d.g, d.cancel, d.done = g, cancel, done
	d.base = "http://" + g.Addr
	d.client = &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("gatewayd stopped with %v", err)
		}
		d.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("gatewayd log:\n%s", d.logs)
		}
	})
	waitFor(t, "/ready to answer 200", func() bool {
		resp, err := d.client.Get(d.base + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return d
}

// api calls the management API and returns the status and body.
func (d *gatewayd) api(method, path, body string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.base+"/api/v1alpha1"+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := d.client.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDatabricksMode runs gatewayd as in a Databricks App: manifests in a
// workspace folder, credentials in a secret scope, all through the real SDK
// against a fake workspace.
func TestDatabricksMode(t *testing.T) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	canary := "sk-canary-" + hex.EncodeToString(b)
	// The upstream accepts only the canary: serving through it proves the
	// credential was read back from the secret scope.
	up := openaitest.New(canary)
	t.Cleanup(up.Close)

	fake := dbxfake.New(t)
	fake.CreateScope("gw-scope")
	fake.WriteFile(wsDir+"/mock.yaml", []byte(mockManifests()))
	d := startDatabricksGateway(t, fake, nil)

	if got := d.servedModel("mock-chat"); got != "mock-1" {
		t.Fatalf("mock-chat served by %q, want mock-1", got)
	}

	// A write-only value through the management API lands in the secret
	// scope, and the workspace file holds a reference only.
	keyDoc := apiKey("openai-prod", "  provider: openai\n  value: "+canary+"\n  config:\n    baseURL: "+up.BaseURL()+"\n")
	status, body := d.api("POST", "/apply", keyDoc+endpoint("gpt", "chat", "gpt-4o-mini", "openai-prod", ""))
	if status != 200 || !strings.Contains(body, `"created"`) {
		t.Fatalf("apply: %d %s", status, body)
	}
	if got, ok := fake.Secret("gw-scope", "openai-prod"); !ok || got != canary {
		t.Fatalf("secret gw-scope/openai-prod = %q, %v", got, ok)
	}
	file, ok := fake.ReadFile(wsDir + "/apikeys/openai-prod.yaml")
	if !ok || !strings.Contains(string(file), "secretRef:\n    key: openai-prod\n    scope: gw-scope\n") {
		t.Fatalf("apikeys/openai-prod.yaml = %q, %v", file, ok)
	}
	if got := d.servedModel("gpt"); got != "gpt-4o-mini" {
		t.Fatalf("gpt served by %q, want gpt-4o-mini (is the credential read from the scope?)", got)
	}
	status, body = d.api("GET", "/apikeys/openai-prod", "")
	if status != 200 || !strings.Contains(body, `"Ready"`) || strings.Contains(body, canary) {
		t.Errorf("GET apikey: %d %s", status, body)
	}

	// Edits made in the workspace behind gatewayd's back are served.
	fake.WriteFile(wsDir+"/mock.yaml", []byte(strings.Replace(mockManifests(), "mock-1", "mock-2", 1)))
	waitFor(t, "the edited mock-chat to serve", func() bool { return d.servedModel("mock-chat") == "mock-2" })
	fake.WriteFile(wsDir+"/team/extra.yaml", []byte(endpoint("extra", "chat", "mock-extra", "mock", "")))
	waitFor(t, "a manifest in a new sub-folder to serve", func() bool { return d.servedModel("extra") == "mock-extra" })
	fake.Remove(wsDir + "/team/extra.yaml")
	waitFor(t, "the deleted Endpoint to go", func() bool { status, _, _ := d.chat("extra", "x"); return status == 404 })

	// An outage keeps the last good configuration serving; a change made
	// meanwhile is picked up once the workspace answers again.
	fake.SetFault(&dbxfake.Fault{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR",
		Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/2.0/workspace/") }})
	waitFor(t, "the outage to be noticed", func() bool { return strings.Contains(d.logs.String(), "polling the workspace folder failed") })
	fake.WriteFile(wsDir+"/mock.yaml", []byte(strings.Replace(mockManifests(), "mock-1", "mock-3", 1)))
	for ep, model := range map[string]string{"mock-chat": "mock-2", "gpt": "gpt-4o-mini"} {
		if got := d.servedModel(ep); got != model {
			t.Errorf("during the outage %s is served by %q, want %q", ep, got, model)
		}
	}
	fake.SetFault(nil)
	waitFor(t, "the change made during the outage to serve", func() bool { return d.servedModel("mock-chat") == "mock-3" })

	// Deleting through the API removes the workspace file.
	if status, body := d.api("DELETE", "/endpoints/gpt", ""); status != 200 {
		t.Fatalf("DELETE gpt: %d %s", status, body)
	}
	if _, ok := fake.ReadFile(wsDir + "/endpoints/gpt.yaml"); ok {
		t.Error("endpoints/gpt.yaml is still in the workspace")
	}

	// The credential is nowhere but in the secret scope.
	for path, data := range fake.Files() {
		if strings.Contains(string(data), canary) {
			t.Errorf("workspace file %s holds the credential", path)
		}
	}
	if strings.Contains(d.logs.String(), canary) {
		t.Error("the log holds the credential")
	}
	if got := strings.Join(fake.Requests(), "\n"); strings.Contains(got, "/.well-known/") {
		t.Errorf("host metadata discovery was not skipped:\n%s", got)
	}
}

// TestDatabricksM2M authenticates as a Databricks App's service principal
// does: OAuth client credentials from DATABRICKS_CLIENT_ID/SECRET.
func TestDatabricksM2M(t *testing.T) {
	fake := dbxfake.New(t)
	fake.SetM2M("app-sp", "app-sp-secret")
	fake.CreateScope("gw-scope")
	fake.WriteFile(wsDir+"/mock.yaml", []byte(mockManifests()))
	d := startDatabricksGateway(t, fake, map[string]string{"DATABRICKS_TOKEN": "",
		"DATABRICKS_CLIENT_ID": "app-sp", "DATABRICKS_CLIENT_SECRET": "app-sp-secret"})
	if got := d.servedModel("mock-chat"); got != "mock-1" {
		t.Fatalf("mock-chat served by %q, want mock-1", got)
	}
	if strings.Contains(d.logs.String(), "app-sp-secret") {
		t.Error("the log holds the client secret")
	}
}

func TestDatabricksStartRefusals(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name    string
		setup   func(*dbxfake.Server)
		edit    func(*daemon.Config)
		env     map[string]string
		wantErr []string
	}{
		{name: "relative workspace folder", edit: func(c *daemon.Config) { c.WorkspaceDir = "gateway" },
			wantErr: []string{"--workspace-dir", "absolute"}},
		{name: "workspace folder is a file", setup: func(f *dbxfake.Server) { f.WriteFile("/Shared/gw.yaml", []byte("x")) },
			edit: func(c *daemon.Config) { c.WorkspaceDir = "/Shared/gw.yaml" }, wantErr: []string{"--workspace-dir", "not a folder"}},
		{name: "missing secret scope", edit: func(c *daemon.Config) { c.SecretScope = "nope" },
			wantErr: []string{"--secret-scope", "nope does not exist", "create-scope"}},
		{name: "invalid secret scope", edit: func(c *daemon.Config) { c.SecretScope = "no spaces" },
			wantErr: []string{"--secret-scope", "invalid secret scope"}},
		{name: "bad poll interval", edit: func(c *daemon.Config) { c.WorkspacePoll = "often" },
			wantErr: []string{"--workspace-poll", "often"}},
		{name: "bad token", env: map[string]string{"DATABRICKS_TOKEN": "wrong-token-value"},
			wantErr: []string{"--workspace-dir", "Invalid access token"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := dbxfake.New(t)
			fake.CreateScope("gw-scope")
			if tt.setup != nil {
				tt.setup(fake)
			}
			env := fake.Env()
			for k, v := range tt.env {
				env[k] = v
			}
			cfg := &daemon.Config{Listen: "127.0.0.1:0", Manifests: t.TempDir(), DataDir: t.TempDir(), SecretKey: testSecretKey,
				WorkspaceDir: wsDir, SecretScope: "gw-scope"}
			if tt.edit != nil {
				tt.edit(cfg)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			g, _, err := daemon.Start(ctx, cfg, daemon.Options{Logger: quiet, DatabricksConfig: dbxfake.Configure,
				Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
			if err == nil {
				t.Fatalf("Start succeeded on %s", g.Addr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "wrong-token-value") {
				t.Errorf("error echoes the token: %v", err)
			}
		})
	}
}

// A workspace that does not answer at startup is not a reason to refuse to
// start: gatewayd serves once it answers.
func TestDatabricksStartDuringOutage(t *testing.T) {
	fake := dbxfake.New(t)
	fake.CreateScope("gw-scope")
	fake.WriteFile(wsDir+"/mock.yaml", []byte(mockManifests()))
	fake.SetFault(&dbxfake.Fault{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"})
	heal := time.AfterFunc(time.Second, func() { fake.SetFault(nil) })
	t.Cleanup(func() { heal.Stop() })
	d := startDatabricksGateway(t, fake, nil)
	if got := d.servedModel("mock-chat"); got != "mock-1" {
		t.Fatalf("mock-chat served by %q, want mock-1", got)
	}
	if !strings.Contains(d.logs.String(), "did not answer at startup") {
		t.Errorf("the startup outage was not logged:\n%s", d.logs)
	}
}
