package databricks

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
	"github.com/ai-gateway/gateway/controlplane/store"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// signalTimeout is generous on purpose: tests check that a signal arrives,
// never that it arrives fast.
const signalTimeout = 5 * time.Second

// startWatch runs s.Watch until the test ends and returns once the first
// listing is taken, so that every later change must be seen.
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
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v, want nil", err)
			}
		case <-time.After(signalTimeout):
			t.Error("Watch did not return after its context ended")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Watch ended early: %v", err)
	case <-time.After(signalTimeout):
		t.Fatal("Watch did not start")
	}
	// Watch signals once at start (a caller may have listed before it);
	// take that signal so later steps see their own.
	select {
	case <-changed:
	default:
		t.Fatal("Watch did not signal at start")
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

func expectNoSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Errorf("unexpected change signal after %s", what)
	case <-time.After(200 * time.Millisecond): // several poll intervals
	}
}

func TestWatch(t *testing.T) {
	t.Parallel()
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond})
	ch := startWatch(t, s)
	ctx := context.Background()

	steps := []struct {
		what string
		do   func()
	}{
		{"create behind its back", func() { fake.WriteFile(root+"/a.yaml", []byte("v1")) }},
		{"same-size edit", func() { fake.WriteFile(root+"/a.yaml", []byte("v2")) }},
		{"put through the store", func() {
			if _, err := s.Put(ctx, "b.yaml", []byte("b"), ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"file in a new sub-folder", func() { fake.WriteFile(root+"/x/y/c.yaml", []byte("c")) }},
		{"delete", func() { fake.Remove(root + "/a.yaml") }},
		{"delete and re-create with the same size", func() {
			fake.Remove(root + "/b.yaml")
			fake.WriteFile(root+"/b.yaml", []byte("B"))
		}},
		{"remove a sub-folder", func() { fake.Remove(root + "/x") }},
	}
	for _, st := range steps {
		st.do()
		waitSignal(t, ch, st.what)
		expectNoSignal(t, ch, "settling after "+st.what)
	}
	if got := paths(t, s); len(got) != 1 || got[0] != "b.yaml" {
		t.Errorf("List = %v, want [b.yaml]", got)
	}

	// Non-manifests, hidden folders and notebooks are not changes.
	fake.WriteFile(root+"/notes.txt", []byte("junk"))
	fake.WriteFile(root+"/a.yaml.swp", []byte("junk"))
	fake.WriteFile(root+"/.git/x.yaml", []byte("junk"))
	fake.Mkdir(root + "/empty")
	fake.AddNotebook(root + "/nb")
	expectNoSignal(t, ch, "writing ignored objects")
}

func TestWatchResync(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, Options{PollInterval: time.Hour, ResyncInterval: 50 * time.Millisecond})
	ch := startWatch(t, s)
	waitSignal(t, ch, "resync interval with no change")
}

// An outage neither ends Watch nor signals a change on every failed poll; it
// is logged once, polling goes on, and recovery signals (a reconcile may have
// failed meanwhile) and changes made during the outage are seen.
func TestWatchOutageKeepsPolling(t *testing.T) {
	t.Parallel()
	logs := &logbuf.Buffer{}
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ch := startWatch(t, s)

	fake.SetFault(&dbxfake.Fault{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"})
	deadline := time.Now().Add(signalTimeout)
	for strings.Count(strings.Join(fake.Requests(), "\n"), "workspace/list") < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	expectNoSignal(t, ch, "failed polls")
	if n := strings.Count(logs.String(), "polling the workspace folder failed"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "injected fault") {
		t.Errorf("the log does not say why polling failed:\n%s", logs)
	}

	fake.WriteFile(root+"/during-outage.yaml", []byte("x"))
	fake.SetFault(nil)
	waitSignal(t, ch, "recovery")
	if !strings.Contains(logs.String(), "reachable again") {
		t.Errorf("recovery was not logged:\n%s", logs)
	}
	if got := paths(t, s); len(got) != 1 || got[0] != "during-outage.yaml" {
		t.Errorf("List after recovery = %v", got)
	}
	// Watch is still polling.
	expectNoSignal(t, ch, "recovery settled")
	fake.WriteFile(root+"/after.yaml", []byte("y"))
	waitSignal(t, ch, "a change after recovery")
}

// A store that cannot reach the workspace at all still watches, and signals
// once the workspace answers.
func TestWatchStartsDuringOutage(t *testing.T) {
	t.Parallel()
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond})
	fake.SetFault(&dbxfake.Fault{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"})
	ch := startWatch(t, s)
	expectNoSignal(t, ch, "failed polls")
	fake.SetFault(nil)
	waitSignal(t, ch, "the workspace answering")
}

// Watch plus store.Debounce turn a burst of edits into one reload that sees
// every file.
func TestWatchBurstDebounced(t *testing.T) {
	t.Parallel()
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond})
	ch := startWatch(t, s)
	var (
		mu    sync.Mutex
		calls []int
	)
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
	for i := range 30 {
		fake.WriteFile(root+"/f"+string(rune('a'+i%26))+string(rune('a'+i/26))+".yaml", []byte("n"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		time.Sleep(time.Second)
		mu.Lock()
		settled := n > 0 && len(calls) == n
		mu.Unlock()
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reloads did not settle")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || calls[0] != 30 {
		t.Errorf("reloads (documents seen by each) = %v, want one seeing 30", calls)
	}
}
