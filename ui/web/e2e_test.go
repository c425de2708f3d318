package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/daemon"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// e2eEnv makes missing browser-test prerequisites a failure instead of a
// skip; the Makefile sets it after `make ui-deps` installed them.
const e2eEnv = "GATEWAY_UI_E2E"

// testSecretKey is a fixed AES-256 key (base64 of 32 bytes) for the local secret store.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// e2eDir holds the Playwright scripts, their package.json and node_modules.
const e2eDir = "../e2e"

// browserPrereqs returns node and Chromium, or why they cannot be used.
func browserPrereqs() (node, chromium string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err != nil {
		return "", "", errors.New("ui/e2e/node_modules lacks playwright-core (run `make ui-deps`)")
	}
	chromium = os.Getenv("E2E_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return "", "", errors.New(chromium + " is missing (run `make ui-deps`, which installs Debian's chromium)")
	}
	return node, chromium, nil
}

// gatewayd is a real gateway started in-process on loopback with the UI embedded.
type gatewayd struct {
	base, manifests, dataDir string
	logs                     *logbuf.Buffer
}

// startGatewayd serves a copy of the repository's example manifests
// (manifests/, the quick start's mock Endpoints) on 127.0.0.1:0.
func startGatewayd(t *testing.T, adminToken string) *gatewayd {
	t.Helper()
	g := &gatewayd{manifests: t.TempDir(), dataDir: t.TempDir(), logs: &logbuf.Buffer{}}
	examples, err := filepath.Glob("../../manifests/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no example manifests: %v", err)
	}
	for _, f := range examples {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(g.manifests, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &daemon.Config{Listen: "127.0.0.1:0", Manifests: g.manifests, DataDir: g.dataDir, SecretKey: testSecretKey,
		AdminToken: adminToken, LogLevel: "debug", LogFormat: "text"}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw, done, err := daemon.Start(ctx, cfg, daemon.Options{Logger: log, Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		cancel()
		t.Fatalf("start gatewayd: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gatewayd stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("gatewayd did not stop within 20s")
		}
		if t.Failed() {
			t.Logf("gatewayd (%s) log:\n%s", gw.Addr, g.logs)
		}
	})
	g.base = "http://" + gw.Addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(g.base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return g
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gatewayd at %s did not become ready", g.base)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowser runs ui/e2e/ui.test.mjs: Playwright driving Chromium through
// the web UI of two real gatewayds, one open to loopback clients and one
// requiring an admin token. Afterwards it checks that the credential the
// browser typed reached no manifest, no log line and no plaintext file.
func TestBrowser(t *testing.T) {
	required := os.Getenv(e2eEnv) == "1"
	node, chromium, err := browserPrereqs()
	switch {
	case err != nil && required:
		t.Fatalf("browser tests cannot run (%s=1): %v", e2eEnv, err)
	case err != nil:
		t.Skipf("skipping the browser tests: %v; `make test` installs what they need and runs them", err)
	case testing.Short() && !required:
		t.Skip("skipping the browser tests in -short mode")
	}

	open := startGatewayd(t, "")
	adminToken := "e2e-admin-" + randomHex(t)
	locked := startGatewayd(t, adminToken)
	secret := "sk-e2e-canary-" + randomHex(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test-reporter=spec", "ui.test.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(),
		"E2E_BASE_URL="+open.base,
		"E2E_MANIFESTS="+open.manifests,
		"E2E_SECRET="+secret,
		"E2E_TOKEN_BASE_URL="+locked.base,
		"E2E_ADMIN_TOKEN="+adminToken,
		"E2E_CHROMIUM="+chromium,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node %s:\n%s", strings.Join(cmd.Args[1:], " "), out)
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}

	// The credential typed into the UI is in the secret store, encrypted,
	// and nowhere else on disk or in the log.
	if strings.Contains(open.logs.String(), secret) {
		t.Error("gatewayd's log holds the credential")
	}
	for _, dir := range []string{open.manifests, open.dataDir} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), secret) {
				t.Errorf("%s holds the credential in plain text", p)
			}
			return nil
		})
	}
	if strings.Contains(locked.logs.String(), adminToken) {
		t.Error("gatewayd's log holds the admin token")
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
