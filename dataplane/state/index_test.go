package state

import (
	"testing"
	"time"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/mock"
)

func testIndex(t *testing.T) *Index {
	t.Helper()
	m := mock.New()
	ix, err := New(func(p string) (providers.Adapter, bool) { return m, p == "mock" })
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

var mockCred = []*providers.Credential{{Name: "k", Provider: "mock"}}

func ep(name string, weights ...uint32) *Endpoint {
	e := &Endpoint{Name: name, Task: providers.TaskChat}
	for i, w := range weights {
		e.Targets = append(e.Targets, Target{Model: string(rune('a' + i)), Credential: "k", Weight: w})
	}
	return e
}

func TestReplaceSwapsOnlyOnChange(t *testing.T) {
	ix := testIndex(t)
	if ix.Snapshot() != nil {
		t.Fatal("snapshot before first Replace")
	}
	for i, tc := range []struct {
		eps     []*Endpoint
		swapped bool
		gen     uint64
	}{
		{[]*Endpoint{ep("a", 1)}, true, 1},
		{[]*Endpoint{ep("a", 1)}, false, 1}, // identical: no swap
		{[]*Endpoint{ep("a", 2)}, true, 2},
		{[]*Endpoint{ep("b", 1), ep("a", 2)}, true, 3},
		{[]*Endpoint{ep("a", 2), ep("b", 1)}, false, 3}, // order does not matter
	} {
		swapped, err := ix.Replace(tc.eps, mockCred)
		if err != nil {
			t.Fatal(err)
		}
		if swapped != tc.swapped || ix.Snapshot().Generation != tc.gen {
			t.Fatalf("step %d: swapped=%v gen=%d, want %v %d", i, swapped, ix.Snapshot().Generation, tc.swapped, tc.gen)
		}
	}
}

func TestReplaceRejectsUnresolvedAndKeepsServing(t *testing.T) {
	ix := testIndex(t)
	if _, err := ix.Replace([]*Endpoint{ep("a", 1)}, mockCred); err != nil {
		t.Fatal(err)
	}
	before := ix.Snapshot()
	bad := &Endpoint{Name: "x", Targets: []Target{{Model: "m", Credential: "missing", Weight: 1}}}
	if _, err := ix.Replace([]*Endpoint{bad}, mockCred); err == nil {
		t.Fatal("unresolved credential accepted")
	}
	if _, err := ix.Replace([]*Endpoint{ep("z", 0, 0)}, mockCred); err == nil {
		t.Fatal("all-zero weights accepted")
	}
	if ix.Snapshot() != before {
		t.Fatal("a failed Replace changed the served snapshot")
	}
}

func TestOldSnapshotStaysUsable(t *testing.T) {
	ix := testIndex(t)
	_, _ = ix.Replace([]*Endpoint{ep("a", 1)}, mockCred)
	old := ix.Snapshot()
	_, _ = ix.Replace([]*Endpoint{ep("b", 1)}, mockCred)
	if old.Route("a") == nil || old.Route("b") != nil {
		t.Fatal("an in-flight request's snapshot changed under it")
	}
	if ix.Snapshot().Route("a") != nil || ix.Snapshot().Route("b") == nil {
		t.Fatal("new snapshot wrong")
	}
	if got := old.EndpointsUsing("k"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("EndpointsUsing on old snapshot = %v", got)
	}
}

func TestPickFollowsWeights(t *testing.T) {
	ix := testIndex(t)
	_, _ = ix.Replace([]*Endpoint{ep("a", 90, 10, 0)}, mockCred)
	r := ix.Snapshot().Route("a")
	counts := map[string]int{}
	const n = 20000
	for i := 0; i < n; i++ {
		counts[r.Pick().Model]++
	}
	if counts["c"] != 0 {
		t.Fatalf("zero-weight target picked %d times", counts["c"])
	}
	// 10% of 20000 = 2000; a binomial's 6-sigma band is about ±260.
	if counts["b"] < 1700 || counts["b"] > 2300 {
		t.Fatalf("weight 10 of 100 picked %d/%d times", counts["b"], n)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(RateLimit{RequestsPerMinute: 60, TokensPerMinute: 100})
	for i := 0; i < 60; i++ {
		if ok, _ := l.Allow(now); !ok {
			t.Fatalf("request %d refused within budget", i)
		}
	}
	ok, wait := l.Allow(now)
	if ok || wait <= 0 || wait > time.Second+time.Millisecond {
		t.Fatalf("61st request: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow(now.Add(time.Second)); !ok {
		t.Fatal("budget did not refill after a second")
	}
	l.Spend(now.Add(time.Second), 500) // far over the token budget
	if ok, _ := l.Allow(now.Add(2 * time.Second)); ok {
		t.Fatal("token budget overspent but request allowed")
	}
	if ok, _ := l.Allow(now.Add(5 * time.Minute)); !ok {
		t.Fatal("token budget never refilled")
	}
}

// A Replace that fails must not touch rate-limit budgets: the spent budget
// of a limiter whose limits were about to change stays spent.
func TestFailedReplaceKeepsLimiterBudgets(t *testing.T) {
	ix := testIndex(t)
	e := ep("a", 1)
	e.RateLimit = RateLimit{RequestsPerMinute: 1}
	if _, err := ix.Replace([]*Endpoint{e}, mockCred); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	if ok, _ := ix.Snapshot().Route("a").Limiter.Allow(now); !ok {
		t.Fatal("first request refused")
	}
	changed := ep("a", 1)
	changed.RateLimit = RateLimit{RequestsPerMinute: 1, TokensPerMinute: 5}
	bad := &Endpoint{Name: "x", Targets: []Target{{Model: "m", Credential: "missing", Weight: 1}}}
	if _, err := ix.Replace([]*Endpoint{changed, bad}, mockCred); err == nil {
		t.Fatal("unresolved credential accepted")
	}
	// Same limits as before the failed attempt: the budget must still be spent.
	again := ep("a", 2)
	again.RateLimit = RateLimit{RequestsPerMinute: 1}
	if _, err := ix.Replace([]*Endpoint{again}, mockCred); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ix.Snapshot().Route("a").Limiter.Allow(now); ok {
		t.Fatal("a failed Replace reset the Endpoint's rate-limit budget")
	}
}
