package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/daemon"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// testSecretKey is a fixed AES-256 key (base64 of 32 bytes) for the local secret store.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// gatewayd is a real gateway started in-process on loopback, with its
// manifest and data folders in temporary directories.
type gatewayd struct {
	t        *testing.T
	base     string
	manifest string // the gateway's manifest folder
	data     string // its secret store
	logs     *logbuf.Buffer
	http     *http.Client
}

// startGatewayd starts gatewayd with an empty manifest folder and waits for
// /ready. env is gatewayd's environment.
func startGatewayd(t *testing.T, env map[string]string, opts ...func(*daemon.Config)) *gatewayd {
	t.Helper()
	g := &gatewayd{t: t, manifest: t.TempDir(), data: t.TempDir(), logs: &logbuf.Buffer{},
		http: &http.Client{Timeout: 30 * time.Second}}
	cfg := &daemon.Config{Listen: "127.0.0.1:0", Manifests: g.manifest, DataDir: g.data, SecretKey: testSecretKey,
		LogLevel: "debug", LogFormat: "text"}
	for _, o := range opts {
		o(cfg)
	}
	log := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	gw, done, err := daemon.Start(ctx, cfg, daemon.Options{Logger: log,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		cancel()
		t.Fatalf("start gatewayd: %v", err)
	}
	g.base = "http://" + gw.Addr
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gatewayd stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("gatewayd did not stop within 20s")
		}
		g.http.CloseIdleConnections()
		if t.Failed() {
			t.Logf("gatewayd log:\n%s", g.logs)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := g.http.Get(g.base + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gatewayd not ready within 10s (last error %v)", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return g
}

// result is what one gatewayctl run printed and returned.
type result struct {
	code     int
	out, err string
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err
}

// run runs gatewayctl in-process against g (nil: no gateway), with env as its
// environment and stdin as standard input (not a terminal).
func (g *gatewayd) run(env map[string]string, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "GATEWAY_URL" && g != nil {
			return g.base
		}
		return ""
	}
	sio := IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: getenv, Version: "test"}
	if g != nil {
		sio.HTTPClient = g.http
	}
	code := Run(context.Background(), args, sio)
	return result{code: code, out: out.String(), err: errb.String()}
}

// ctl runs gatewayctl with no extra environment and empty stdin.
func (g *gatewayd) ctl(args ...string) result { return g.run(nil, "", args...) }

// mustCtl runs gatewayctl and fails the test unless it exits with want.
func (g *gatewayd) mustCtl(want int, args ...string) result {
	g.t.Helper()
	r := g.ctl(args...)
	if r.code != want {
		g.t.Fatalf("gatewayctl %s: want exit %d\n%s", strings.Join(args, " "), want, r)
	}
	return r
}

// snapshot reads every file under dir, keyed by relative path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeFiles writes files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
