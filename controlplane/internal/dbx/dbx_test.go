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

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/logger"
	"github.com/databricks/databricks-sdk-go/service/workspace"

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
	cfgFile := filepath.Join(t.TempDir(), "databrickscfg")
	if err := os.WriteFile(cfgFile, []byte("[gw]\nhost = "+fake.URL()+"\ntoken = "+dbxfake.Token+"\n"), 0o600); err != nil {
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
		{name: "wrong secret", env: map[string]string{"DATABRICKS_HOST": fake.URL(),
			"DATABRICKS_CLIENT_ID": "app-sp-id", "DATABRICKS_CLIENT_SECRET": "wrong"}, wantErr: "cannot configure default credentials"},
		{name: "no host", env: map[string]string{"DATABRICKS_CONFIG_FILE": "/nonexistent"}, wantErr: "DATABRICKS_HOST"},
		{name: "two auth methods", env: map[string]string{"DATABRICKS_HOST": fake.URL(), "DATABRICKS_TOKEN": "t",
			"DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b"}, wantErr: "more than one authorization method"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := dbx.NewClient(dbx.Options{Getenv: envOf(tt.env), Configure: dbxfake.Configure})
			if err == nil {
				var resp *workspace.GetSecretResponse
				resp, err = workspace.NewSecrets(c).GetSecret(context.Background(), workspace.GetSecretRequest{Scope: "s", Key: "k"})
				if err == nil && resp.Value != "dg==" {
					t.Errorf("value = %q", resp.Value)
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
			if c.Config.AuthType != tt.wantAuth {
				t.Errorf("auth type %q, want %q", c.Config.AuthType, tt.wantAuth)
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	var seen *config.Config
	_, err := dbx.NewClient(dbx.Options{Getenv: envOf(map[string]string{"DATABRICKS_HOST": "http://127.0.0.1:1", "DATABRICKS_TOKEN": "t"}),
		Configure: func(c *config.Config) {
			seen = c
			c.HostMetadataResolver = func(context.Context, string) (*config.HostMetadata, error) { return nil, nil }
		}})
	if err != nil {
		t.Fatal(err)
	}
	if seen.RetryTimeoutSeconds != 20 || seen.HTTPTimeoutSeconds != 30 {
		t.Errorf("retry timeout %ds, HTTP timeout %ds; the SDK's 300s retry would stall reconciles",
			seen.RetryTimeoutSeconds, seen.HTTPTimeoutSeconds)
	}
}

func TestIsTransient(t *testing.T) {
	api := func(status int) error {
		return fmt.Errorf("wrapped: %w", &apierr.APIError{StatusCode: status, Message: "m"})
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
		{errors.New("default auth: cannot configure default credentials"), false},
	} {
		if got := dbx.IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// The SDK's debug and trace lines (request and response bodies) never reach
// the log; its warnings do.
func TestWithLogger(t *testing.T) {
	var buf bytes.Buffer
	ctx := dbx.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l := logger.Get(ctx)
	l.Debugf(ctx, "body %s", "secret-body")
	l.Tracef(ctx, "body %s", "secret-body")
	l.Warnf(ctx, "host metadata %s", "unavailable")
	if l.Enabled(ctx, logger.LevelDebug) {
		t.Error("debug enabled")
	}
	if strings.Contains(buf.String(), "secret-body") || !strings.Contains(buf.String(), "databricks sdk: host metadata unavailable") {
		t.Errorf("log:\n%s", buf.String())
	}
}

// What the SDK really returns when nothing listens (after its retries give
// up) counts as transient, so an outage at startup only warns.
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
	_, err = workspace.NewWorkspace(c).GetStatus(context.Background(), workspace.GetStatusRequest{Path: "/x"})
	if err == nil || !dbx.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
}
