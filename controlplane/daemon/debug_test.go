package daemon

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDebugListener(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := startDebug(t.Context(), "0.0.0.0:0", log); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("a non-loopback debug address: got %v, want a refusal naming loopback", err)
	}
	// Reserve a free port, then serve profiles on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if err := startDebug(t.Context(), addr, log); err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get("http://" + addr + "/debug/pprof/heap?debug=1"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "HeapAlloc") {
		t.Fatalf("heap profile: %d %.200s", resp.StatusCode, b)
	}
}
