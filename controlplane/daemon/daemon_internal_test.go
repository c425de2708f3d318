package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// When serving fails on its own (here: the listener is closed under it),
// gatewayd must stop and say why rather than hang with a live controller and
// no listener.
func TestServeFailureStopsGatewayd(t *testing.T) {
	cfg := &Config{Listen: "127.0.0.1:0", Manifests: t.TempDir(), DataDir: t.TempDir(),
		SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, done, err := Start(ctx, cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.Controller.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("controller not ready")
	}
	_ = g.ln.Close()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "serve") {
			t.Fatalf("done = %v, want a serve error", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("gatewayd neither serves nor stops after its listener failed")
	}
}
