package dbx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestNewClient authenticates the way a Databricks App does (OAuth M2M from
// DATABRICKS_CLIENT_ID/SECRET) and the way a developer does (a PAT, a
// profile), each read from the injected environment only.
func TestNewClient(t *testing.T) {
	fake := dbxfake.New(t)
	fake.SetM2M("app-sp-id", "app-sp-secret")
	fake.CreateScope("s")
	fake.PutSecret("s", "k", "v")
	// The real environment must not leak in: point it somewhere broken.
	t.Setenv("DATABRICKS_HOST", "http://127.0.0.1:1")
	t.Setenv("DATABRICKS_TOKEN", "from-the-real-environment")
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "databrickscfg")
	if err := os.WriteFile(cfgFile, []byte("[gw]\nhost = "+fake.URL()+"\ntoken = "+dbxfake.Token+"\n\n"+
		"[sp]\nhost = "+fake.URL()+"\nclient_id = app-sp-id\nclient_secret = app-sp-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// ~/.databrickscfg is found through the injected HOME.
	if err := os.WriteFile(filepath.Join(dir, ".databrickscfg"), []byte("[DEFAULT]\nhost = "+fake.URL()+"\ntoken = "+dbxfake.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		env      map[string]string
		wantAuth string
		wantErr  string
	}{
		{name: "pat", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": dbxfake.Token}, wantAuth: "pat"},
		{name: "oauth m2m as in an app", env: map[string]string{"DATABRICKS_HOST": fake.URL(),
			"DATABRICKS_CLIENT_ID": "app-sp-id", "DATABRICKS_CLIENT_SECRET": "app-sp-secret"}, wantAuth: "oauth-m2m"},
		{name: "profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": cfgFile, "DATABRICKS_CONFIG_PROFILE": "gw"}, wantAuth: "pat"},
		{name: "m2m profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": cfgFile, "DATABRICKS_CONFIG_PROFILE": "sp"}, wantAuth: "oauth-m2m"},
		{name: "default profile in HOME", env: map[string]string{"HOME": dir}, wantAuth: "pat"},
		{name: "auth type chooses", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": dbxfake.Token,
			"DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b", "DATABRICKS_AUTH_TYPE": "pat"}, wantAuth: "pat"},
		{name: "wrong secret", env: map[string]string{"DATABRICKS_HOST": fake.URL(),
			"DATABRICKS_CLIENT_ID": "app-sp-id", "DATABRICKS_CLIENT_SECRET": "wrong"}, wantErr: "invalid_client"},
		{name: "wrong token", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": "wrong"},
			wantErr: "Invalid access token"},
		{name: "no host", env: map[string]string{"DATABRICKS_CONFIG_FILE": "/nonexistent"}, wantErr: "DATABRICKS_HOST"},
		{name: "no credentials", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_CONFIG_FILE": "/nonexistent"},
			wantErr: "DATABRICKS_TOKEN"},
		{name: "missing profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": cfgFile, "DATABRICKS_CONFIG_PROFILE": "nope"},
			wantErr: "has no nope profile"},
		{name: "two auth methods", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": "t",
			"DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b"}, wantErr: "more than one authorization method"},
		{name: "unsupported auth type", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": "t",
			"DATABRICKS_AUTH_TYPE": "azure-cli"}, wantErr: "not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dbx.NewClient(dbx.Options{Getenv: envOf(tt.env), Configure: dbxfake.Configure})
			if err == nil {
				var v []byte
				v, err = c.GetSecret(context.Background(), "s", "k")
				if err == nil && string(v) != "v" {
					t.Errorf("value = %q", v)
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.wantErr)) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "app-sp-secret") || strings.Contains(err.Error(), dbxfake.Token) {
					t.Errorf("the error shows a credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AuthType() != tt.wantAuth {
				t.Errorf("auth type %q, want %q", c.AuthType(), tt.wantAuth)
			}
			if c.Host() != fake.URL() {
				t.Errorf("host %q, want %q", c.Host(), fake.URL())
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	var seen dbx.Config
	_, err := dbx.NewClient(dbx.Options{Getenv: envOf(map[string]string{"DATABRICKS_HOST": "http://127.0.0.1:1", "DATABRICKS_TOKEN": "t"}),
		Configure: func(c *dbx.Config) { seen = *c }})
	if err != nil {
		t.Fatal(err)
	}
	if seen.RetryTimeout != 20*time.Second || seen.HTTPTimeout != 30*time.Second {
		t.Errorf("retry timeout %v, HTTP timeout %v; the SDK's 300s retry would stall reconciles",
			seen.RetryTimeout, seen.HTTPTimeout)
	}
}

func TestIsTransient(t *testing.T) {
	api := func(status int) error {
		return fmt.Errorf("wrapped: %w", &dbx.APIError{StatusCode: status, Message: "m"})
	}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{api(http.StatusTooManyRequests), true},
		{api(http.StatusServiceUnavailable), true},
		{api(http.StatusInternalServerError), true},
		{api(http.StatusForbidden), false},
		{api(http.StatusNotFound), false},
		{api(http.StatusUnauthorized), false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{errors.New("no credentials: set DATABRICKS_TOKEN"), false},
	} {
		if got := dbx.IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// What the client really returns when nothing listens (after its retries
// give up) counts as transient, so an outage at startup only warns.
func TestIsTransientConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "http://" + ln.Addr().String()
	ln.Close()
	c, err := dbx.NewClient(dbx.Options{Getenv: envOf(map[string]string{"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": "t"}),
		Configure: dbxfake.Configure})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetStatus(context.Background(), "/x")
	if err == nil || !dbx.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
}

// The fake's error bodies, as the client reads them.
func TestErrorHelpers(t *testing.T) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	c := fake.RESTClient(t)
	fake.WriteFile("/Shared/a.yaml", []byte("a"))

	_, err := c.GetStatus(ctx, "/Shared/missing")
	if !dbx.IsNotFound(err) || dbx.IsTransient(err) || !strings.Contains(err.Error(), "404 RESOURCE_DOES_NOT_EXIST: Path (/Shared/missing)") {
		t.Errorf("missing path: %v", err)
	}
	if err := c.Import(ctx, "/Shared/a.yaml", []byte("b"), false); !dbx.IsAlreadyExists(err) || dbx.IsBadRequest(err) {
		t.Errorf("import over a file without overwrite: %v", err)
	}
	if err := c.Import(ctx, "/Shared/a.yaml", make([]byte, dbx.MaxImport+1), true); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("import of 10 MB + 1: %v", err)
	}
	if err := c.Mkdirs(ctx, "/Shared/a.yaml/sub"); !dbx.IsAlreadyExists(err) {
		t.Errorf("mkdirs through a file: %v", err)
	}
	fake.SetFault(&dbxfake.Fault{Status: http.StatusForbidden, ErrorCode: "PERMISSION_DENIED"})
	if _, err := c.List(ctx, "/Shared"); !dbx.IsPermissionDenied(err) || dbx.IsNotFound(err) {
		t.Errorf("permission denied: %v", err)
	}
	fake.SetFault(&dbxfake.Fault{Status: http.StatusBadRequest, ErrorCode: "BAD_REQUEST"})
	if _, err := c.GetSecret(ctx, "s", "k"); !dbx.IsBadRequest(err) {
		t.Errorf("bad request: %v", err)
	}
	fake.SetFault(nil)
	// A 404 for the API path itself (a host that is not a workspace) is not
	// a missing resource.
	var e *dbx.APIError
	err = c.Delete(ctx, "/x", false)
	if !errors.As(err, &e) || e.ErrorCode != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("delete missing: %v", err)
	}
	if dbx.IsNotFound(&dbx.APIError{StatusCode: 404, ErrorCode: "ENDPOINT_NOT_FOUND"}) {
		t.Error("ENDPOINT_NOT_FOUND counts as a missing resource")
	}
}

// Retries are logged at debug level with the path and status, and never
// with a body: a put's body holds the secret value.
func TestWithLogger(t *testing.T) {
	var buf bytes.Buffer
	ctx := dbx.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	fake := dbxfake.New(t)
	fake.CreateScope("s")
	c := fake.RESTClient(t)
	fake.SetFault(&dbxfake.Fault{Status: http.StatusServiceUnavailable, ErrorCode: "TEMPORARILY_UNAVAILABLE"})
	err := c.PutSecret(ctx, "s", "k", "secret-body-canary")
	if err == nil || !dbx.IsTransient(err) || !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("PutSecret during an outage: %v", err)
	}
	if strings.Contains(buf.String(), "secret-body-canary") || !strings.Contains(buf.String(), "databricks: retrying") ||
		!strings.Contains(buf.String(), "/api/2.0/secrets/put") {
		t.Errorf("log:\n%s", buf.String())
	}
	// Without WithLogger nothing is logged, and nothing breaks.
	if _, err := c.ListSecrets(context.Background(), "s"); err == nil {
		t.Error("ListSecrets during an outage succeeded")
	}
}
