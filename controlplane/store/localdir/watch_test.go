package localdir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/store"
)

// signalTimeout is generous on purpose: tests check that a signal arrives,
// never that it arrives fast.
const signalTimeout = 5 * time.Second

// startWatch runs s.Watch until the test ends and returns once the watches
// are registered, so that every later change must be seen.
func startWatch(t *testing.T, s *Store) <-chan struct{} {
	t.Helper()
	ready := make(chan struct{})
	s.onWatching = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, changed) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch returned %v, want nil", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Watch ended early: %v", err)
	case <-time.After(signalTimeout):
		t.Fatal("Watch did not start")
	}
	// Watch signals once as its watches are in place (a caller may have listed
	// before they were); take that signal so later steps see their own.
	select {
	case <-changed:
	default:
		t.Fatal("Watch did not signal once its watches were registered")
	}
	return changed
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(signalTimeout):
		t.Fatalf("no change signal after %s", what)
	}
}

// settle swallows the rest of the events a step produced (a write is often a
// Create and a Write), so that the next step's signal is its own.
func settle(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

func expectNoSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("unexpected change signal after %s", what)
	case <-time.After(500 * time.Millisecond):
	}
}

func expectContent(t *testing.T, s *Store, p, want string) {
	t.Helper()
	doc, err := s.Get(context.Background(), p)
	if err != nil || string(doc.Data) != want {
		t.Fatalf("Get(%s) = %q, %v; want %q", p, doc.Data, err, want)
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dir := s.Dir()
	ch := startWatch(t, s)

	step := func(what string, do func()) {
		t.Helper()
		do()
		waitSignal(t, ch, what)
		settle(ch)
	}

	step("create", func() { writeFile(t, dir, "a.yaml", "v1") })
	step("modify", func() { writeFile(t, dir, "a.yaml", "v2") })
	step("atomic rename over", func() {
		writeFile(t, dir, "a.yaml.tmp", "v3")
		if err := os.Rename(filepath.Join(dir, "a.yaml.tmp"), filepath.Join(dir, "a.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	expectContent(t, s, "a.yaml", "v3")

	// Editor droppings alone are not changes.
	for _, name := range []string{".a.yaml.swp", "a.yaml.swx", "4913", "a.yaml~", ".#a.yaml", "#a.yaml#", "notes.txt"} {
		writeFile(t, dir, name, "junk")
		_ = os.Remove(filepath.Join(dir, name))
	}
	expectNoSignal(t, ch, "writing ignored files")

	step("put through the store", func() {
		if _, err := s.Put(context.Background(), "b.yaml", []byte("b"), ""); err != nil {
			t.Fatal(err)
		}
	})
	step("delete", func() {
		if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	step("new sub-folder", func() {
		if err := os.MkdirAll(filepath.Join(dir, "x", "y", "z"), 0o755); err != nil {
			t.Fatal(err)
		}
	})
	step("file in new sub-folder", func() { writeFile(t, dir, "x/c.yaml", "c") })
	step("file in nested new sub-folder", func() { writeFile(t, dir, "x/y/z/d.yaml", "d") })
	step("bad YAML", func() { writeFile(t, dir, "x/bad.yaml", ":\n  - [unclosed") })
	expectContent(t, s, "x/bad.yaml", ":\n  - [unclosed")
	step("remove sub-folder", func() {
		if err := os.RemoveAll(filepath.Join(dir, "x")); err != nil {
			t.Fatal(err)
		}
	})
	if got := paths(t, s); len(got) != 1 || got[0] != "b.yaml" {
		t.Errorf("List = %v, want [b.yaml]", got)
	}
	step("recreated sub-folder file", func() { writeFile(t, dir, "x/e.yaml", "e") })
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
	expectContent(t, s, "a.yaml", "old")

	writeFile(t, dir, "..2024_02/a.yaml", "new")
	mustSymlink(t, "..2024_02", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitSignal(t, ch, "..data swap")
	_ = os.RemoveAll(filepath.Join(dir, "..2024_01"))
	expectContent(t, s, "a.yaml", "new")
}

func TestWatchResync(t *testing.T) {
	t.Parallel()
	s, err := New(t.TempDir(), Options{ResyncInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ch := startWatch(t, s)
	waitSignal(t, ch, "resync interval with no change")
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
		waitSignal(t, ch, st.what)
		settle(ch)
	}
	writeFile(t, s.Dir(), "a.yaml.swp", "junk")
	expectNoSignal(t, ch, "writing an ignored file")
}

// TestWatchBurstDebounced writes 100 files as fast as possible and checks
// that Watch plus store.Debounce turn the burst into exactly one reload, and
// that this reload sees every file.
func TestWatchBurstDebounced(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ch := startWatch(t, s)

	var (
		mu    sync.Mutex
		calls []int // number of documents each reload saw
	)
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(calls) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Debounce(ctx, ch, 300*time.Millisecond, 5*time.Second, func() {
			docs, err := s.List(ctx)
			if err != nil {
				t.Errorf("List: %v", err)
			}
			mu.Lock()
			calls = append(calls, len(docs))
			mu.Unlock()
		})
	}()
	defer func() { cancel(); <-done }()

	for i := range 100 {
		writeFile(t, s.Dir(), fmt.Sprintf("f%03d.yaml", i), fmt.Sprintf("n: %d\n", i))
	}

	// Wait until at least one reload happened and none followed for 2s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := count()
		time.Sleep(2 * time.Second)
		if n > 0 && count() == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reloads did not settle: %d so far", count())
		}
	}
	mu.Lock()
	got := append([]int(nil), calls...)
	mu.Unlock()
	if len(got) != 1 || got[0] != 100 {
		t.Errorf("reloads (documents seen by each) = %v, want exactly one seeing 100", got)
	}
	if docs, err := s.List(context.Background()); err != nil || len(docs) != 100 {
		t.Errorf("List = %d documents, %v; want 100", len(docs), err)
	}
}
