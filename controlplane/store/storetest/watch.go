package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/store"
)

// StartWatch runs s.Watch until the test ends and returns its change channel
// once onWatching says every later change will be seen. It takes the signal
// every Watch sends at start (a caller may have listed before it), so that the
// next signal belongs to the caller's next step. At cleanup it checks that
// Watch returns nil once its context ends.
func StartWatch(t *testing.T, s store.Store, onWatching func(ready func())) <-chan struct{} {
	t.Helper()
	ready := make(chan struct{})
	onWatching(func() { close(ready) })
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, changed) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v, want nil", err)
			}
		case <-time.After(SignalTimeout):
			t.Error("Watch did not return after its context ended")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Watch ended early: %v", err)
	case <-time.After(SignalTimeout):
		t.Fatal("Watch did not start")
	}
	select {
	case <-changed:
	default:
		t.Fatal("Watch did not signal at start")
	}
	return changed
}

// WaitSignal fails the test unless a change signal arrives within SignalTimeout.
func WaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(SignalTimeout):
		t.Fatalf("no change signal after %s", what)
	}
}

// Settle swallows the rest of the signals a step produced (a file write is
// often a create and a write event), so that the next step's signal is its own.
func Settle(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(quietFor):
			return
		}
	}
}

// ExpectNoSignal fails the test if a change signal arrives within a while.
func ExpectNoSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("unexpected change signal after %s", what)
	case <-time.After(quietFor):
	}
}

// Paths lists s and returns the documents' paths.
func Paths(t *testing.T, s store.Store) []string {
	t.Helper()
	docs, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range docs {
		out = append(out, d.Path)
	}
	return out
}

// ExpectContent fails the test unless Get(p) returns want, and returns the document.
func ExpectContent(t *testing.T, s store.Store, p, want string) store.Document {
	t.Helper()
	doc, err := s.Get(context.Background(), p)
	if err != nil || string(doc.Data) != want {
		t.Fatalf("Get(%s) = %q, %v; want %q", p, doc.Data, err, want)
	}
	return doc
}

// testWatch makes each kind of change behind the store's back, and one
// through it, and expects a signal for each.
func testWatch(t *testing.T, h Harness) {
	s := h.Store
	ch := StartWatch(t, s, h.OnWatching)
	ctx := context.Background()
	for _, st := range []struct {
		what string
		do   func()
	}{
		{"create", func() { h.Write(t, "a.yaml", []byte("v1")) }},
		{"same-size edit", func() { h.Write(t, "a.yaml", []byte("v2")) }},
		{"put through the store", func() {
			if _, err := s.Put(ctx, "b.yaml", []byte("b"), ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"file in a new sub-folder", func() { h.Write(t, "x/y/c.yaml", []byte("c")) }},
		{"bad YAML", func() { h.Write(t, "x/bad.yaml", []byte(":\n  - [unclosed")) }},
		{"delete", func() { h.Remove(t, "a.yaml") }},
		{"remove a sub-folder", func() { h.Remove(t, "x") }},
		{"file in a re-created sub-folder", func() { h.Write(t, "x/e.yaml", []byte("e")) }},
	} {
		st.do()
		WaitSignal(t, ch, st.what)
		Settle(ch)
	}
	if got := Paths(t, s); len(got) != 2 || got[0] != "b.yaml" || got[1] != "x/e.yaml" {
		t.Errorf("List = %v, want [b.yaml x/e.yaml]", got)
	}
}

// testWatchIgnores writes and removes files that are not manifests and
// expects no signal.
func testWatchIgnores(t *testing.T, h Harness) {
	ch := StartWatch(t, h.Store, h.OnWatching)
	for _, name := range []string{
		"notes.txt", "a.yaml.swp", ".a.yaml.swp", "a.yaml.swx", "4913", "a.yaml~",
		".#a.yaml", "#a.yaml#", "a.yaml.tmp", ".git/x.yaml",
	} {
		h.Write(t, name, []byte("junk"))
		h.Remove(t, name)
	}
	ExpectNoSignal(t, ch, "writing ignored files")
}

// testWatchBurst writes many files as fast as possible and checks that Watch
// plus store.Debounce turn the burst into exactly one reload, which sees
// every file: signals coalesce rather than queue.
func testWatchBurst(t *testing.T, h Harness) {
	const files = 100
	s := h.Store
	ch := StartWatch(t, s, h.OnWatching)
	var (
		mu    sync.Mutex
		calls []int // number of documents each reload saw
	)
	reloads := func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(calls) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Debounce(ctx, ch, 300*time.Millisecond, 5*time.Second, func() {
			docs, err := s.List(ctx)
			if err != nil && ctx.Err() == nil {
				t.Errorf("List: %v", err)
			}
			mu.Lock()
			calls = append(calls, len(docs))
			mu.Unlock()
		})
	}()
	defer func() { cancel(); <-done }()

	for i := range files {
		h.Write(t, fmt.Sprintf("f%03d.yaml", i), fmt.Appendf(nil, "n: %d\n", i))
	}
	// Wait until at least one reload happened and none followed for 2s.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := len(reloads())
		time.Sleep(2 * time.Second)
		if n > 0 && len(reloads()) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reloads did not settle: %d so far", len(reloads()))
		}
	}
	if got := reloads(); len(got) != 1 || got[0] != files {
		t.Errorf("reloads (documents seen by each) = %v, want exactly one seeing %d", got, files)
	}
}
