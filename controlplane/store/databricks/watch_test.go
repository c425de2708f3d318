package databricks

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
	"github.com/ai-gateway/gateway/controlplane/store/storetest"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// startWatch runs s.Watch until the test ends and returns once the first
// listing is taken, so that every later change must be seen.
func startWatch(t *testing.T, s *Store) <-chan struct{} {
	t.Helper()
	return storetest.StartWatch(t, s, func(ready func()) { s.onWatching = ready })
}

// TestWatch checks what polling adds to the conformance suite: exactly one
// signal per change (a poll compares listings, so nothing is counted twice),
// a file deleted and re-created with the same size (only its object id
// changes), and workspace objects that are not files ignored.
func TestWatch(t *testing.T) {
	t.Parallel()
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond})
	ch := startWatch(t, s)

	steps := []struct {
		what string
		do   func()
	}{
		{"create behind its back", func() { fake.WriteFile(root+"/b.yaml", []byte("b")) }},
		{"delete and re-create with the same size", func() {
			fake.Remove(root + "/b.yaml")
			fake.WriteFile(root+"/b.yaml", []byte("B"))
		}},
	}
	for _, st := range steps {
		st.do()
		storetest.WaitSignal(t, ch, st.what)
		storetest.ExpectNoSignal(t, ch, "settling after "+st.what)
	}
	if got := storetest.Paths(t, s); len(got) != 1 || got[0] != "b.yaml" {
		t.Errorf("List = %v, want [b.yaml]", got)
	}

	// Empty folders and notebooks are not changes.
	fake.Mkdir(root + "/empty")
	fake.AddNotebook(root + "/nb")
	storetest.ExpectNoSignal(t, ch, "writing ignored objects")
}

func TestWatchResync(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, Options{PollInterval: time.Hour, ResyncInterval: 50 * time.Millisecond})
	ch := startWatch(t, s)
	storetest.WaitSignal(t, ch, "resync interval with no change")
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
	deadline := time.Now().Add(storetest.SignalTimeout)
	for strings.Count(strings.Join(fake.Requests(), "\n"), "workspace/list") < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	storetest.ExpectNoSignal(t, ch, "failed polls")
	if n := strings.Count(logs.String(), "polling the workspace folder failed"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "injected fault") {
		t.Errorf("the log does not say why polling failed:\n%s", logs)
	}

	fake.WriteFile(root+"/during-outage.yaml", []byte("x"))
	fake.SetFault(nil)
	storetest.WaitSignal(t, ch, "recovery")
	if !strings.Contains(logs.String(), "reachable again") {
		t.Errorf("recovery was not logged:\n%s", logs)
	}
	if got := storetest.Paths(t, s); len(got) != 1 || got[0] != "during-outage.yaml" {
		t.Errorf("List after recovery = %v", got)
	}
	// Watch is still polling.
	storetest.ExpectNoSignal(t, ch, "recovery settled")
	fake.WriteFile(root+"/after.yaml", []byte("y"))
	storetest.WaitSignal(t, ch, "a change after recovery")
}

// A store that cannot reach the workspace at all still watches, and signals
// once the workspace answers.
func TestWatchStartsDuringOutage(t *testing.T) {
	t.Parallel()
	s, fake := newStore(t, Options{PollInterval: 20 * time.Millisecond})
	fake.SetFault(&dbxfake.Fault{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"})
	ch := startWatch(t, s)
	storetest.ExpectNoSignal(t, ch, "failed polls")
	fake.SetFault(nil)
	storetest.WaitSignal(t, ch, "the workspace answering")
}
