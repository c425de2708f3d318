package localdir

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/store/storetest"
)

// startWatch runs s.Watch until the test ends and returns once the watches
// are registered, so that every later change must be seen.
func startWatch(t *testing.T, s *Store) <-chan struct{} {
	t.Helper()
	return storetest.StartWatch(t, s, func(ready func()) { s.onWatching = ready })
}

// TestWatchFileEvents covers the changes that only a file system makes: an
// atomic rename over a file (editors, kubectl cp) and folders created deeper
// than one level at once, whose new watches must see files written in them.
// The common cases are in the conformance suite.
func TestWatchFileEvents(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dir := s.Dir()
	ch := startWatch(t, s)

	step := func(what string, do func()) {
		t.Helper()
		do()
		storetest.WaitSignal(t, ch, what)
		storetest.Settle(ch)
	}
	step("create", func() { writeFile(t, dir, "a.yaml", "v1") })
	step("atomic rename over", func() {
		writeFile(t, dir, "a.yaml.tmp", "v3")
		if err := os.Rename(filepath.Join(dir, "a.yaml.tmp"), filepath.Join(dir, "a.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	storetest.ExpectContent(t, s, "a.yaml", "v3")
	step("new nested sub-folders", func() {
		if err := os.MkdirAll(filepath.Join(dir, "x", "y", "z"), 0o755); err != nil {
			t.Fatal(err)
		}
	})
	step("file in a new nested sub-folder", func() { writeFile(t, dir, "x/y/z/d.yaml", "d") })
	step("rename a sub-folder away", func() {
		if err := os.Rename(filepath.Join(dir, "x"), filepath.Join(t.TempDir(), "x")); err != nil {
			t.Fatal(err)
		}
	})
	if got := storetest.Paths(t, s); len(got) != 1 || got[0] != "a.yaml" {
		t.Errorf("List = %v, want [a.yaml]", got)
	}
}

// TestWatchConfigMapSwap mimics a Kubernetes ConfigMap volume update: visible
// files are symlinks through ..data, and an update swaps ..data atomically.
func TestWatchConfigMapSwap(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dir := s.Dir()
	writeFile(t, dir, "..2024_01/a.yaml", "old")
	mustSymlink(t, "..2024_01", filepath.Join(dir, "..data"))
	mustSymlink(t, "..data/a.yaml", filepath.Join(dir, "a.yaml"))
	ch := startWatch(t, s)
	storetest.ExpectContent(t, s, "a.yaml", "old")

	writeFile(t, dir, "..2024_02/a.yaml", "new")
	mustSymlink(t, "..2024_02", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	storetest.WaitSignal(t, ch, "..data swap")
	_ = os.RemoveAll(filepath.Join(dir, "..2024_01"))
	storetest.ExpectContent(t, s, "a.yaml", "new")
}

func TestWatchResync(t *testing.T) {
	t.Parallel()
	s, err := New(t.TempDir(), Options{ResyncInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ch := startWatch(t, s)
	storetest.WaitSignal(t, ch, "resync interval with no change")
}

func TestPollFallback(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	s.pollEvery = 20 * time.Millisecond
	ready := make(chan struct{})
	s.onWatching = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() { defer close(done); s.poll(ctx, ch, nil) }()
	defer func() { cancel(); <-done }()
	<-ready

	steps := []struct {
		what string
		do   func()
	}{
		{"create", func() { writeFile(t, s.Dir(), "a.yaml", "aaaa") }},
		{"same-size modify", func() { writeFile(t, s.Dir(), "a.yaml", "bbbb") }},
		{"create in sub-folder", func() { writeFile(t, s.Dir(), "sub/b.yaml", "b") }},
		{"delete", func() { _ = os.Remove(filepath.Join(s.Dir(), "a.yaml")) }},
	}
	for _, st := range steps {
		st.do()
		storetest.WaitSignal(t, ch, st.what)
		storetest.Settle(ch)
	}
	writeFile(t, s.Dir(), "a.yaml.swp", "junk")
	storetest.ExpectNoSignal(t, ch, "writing an ignored file")
}
