package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// AdapterFunc finds the adapter for a provider id.
type AdapterFunc func(provider string) (providers.Adapter, bool)

// Index holds the read model and publishes compiled snapshots of it. Writers
// are serialised; readers load the current snapshot with one atomic load and
// keep it for the whole request, so a swap never waits for or disturbs them.
type Index struct {
	db       *memdb.MemDB
	adapters AdapterFunc
	cur      atomic.Pointer[Snapshot]

	mu       sync.Mutex // serialises Replace
	limiters map[string]*Limiter
}

// New returns an empty index; Snapshot is nil until the first Replace.
func New(adapters AdapterFunc) (*Index, error) {
	db, err := memdb.NewMemDB(Schema())
	if err != nil {
		return nil, fmt.Errorf("create read model: %w", err)
	}
	return &Index{db: db, adapters: adapters, limiters: map[string]*Limiter{}}, nil
}

// Snapshot returns the current routing snapshot, or nil before the first
// Replace. Callers keep it for the whole request.
func (ix *Index) Snapshot() *Snapshot { return ix.cur.Load() }

// Replace makes endpoints and creds the whole configuration, in one memdb
// write transaction, and publishes a new snapshot. It returns false without
// swapping when the configuration is identical to the current one. Endpoints
// must be resolved: each target's credential must be among creds and have an
// adapter (the controller guarantees it; violations are an error and nothing
// changes).
func (ix *Index) Replace(endpoints []*Endpoint, creds []*providers.Credential) (bool, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	endpoints = sortedEndpoints(endpoints)
	creds = sortedCreds(creds)
	if cur := ix.cur.Load(); cur != nil && reflect.DeepEqual(cur.endpoints, endpoints) && reflect.DeepEqual(cur.creds, creds) {
		return false, nil
	}

	txn := ix.db.Txn(true)
	defer txn.Abort()
	for _, table := range []string{TableEndpoints, TableCredentials} {
		if _, err := txn.DeleteAll(table, IndexID); err != nil {
			return false, fmt.Errorf("clear %s: %w", table, err)
		}
	}
	for _, c := range creds {
		if err := txn.Insert(TableCredentials, c); err != nil {
			return false, fmt.Errorf("insert credential %s: %w", c.Name, err)
		}
	}
	for _, e := range endpoints {
		if err := txn.Insert(TableEndpoints, e); err != nil {
			return false, fmt.Errorf("insert endpoint %s: %w", e.Name, err)
		}
	}
	snap, limiters, err := ix.compile(endpoints, creds)
	if err != nil {
		return false, err
	}
	txn.Commit()
	snap.txn = ix.db.Txn(false)
	ix.cur.Store(snap)
	ix.limiters = limiters
	return true, nil
}

// compile builds a snapshot and the limiter set that goes with it; neither
// touches the index, so a failed Replace leaves the served state (rate-limit
// budgets included) exactly as it was.
func (ix *Index) compile(endpoints []*Endpoint, creds []*providers.Credential) (*Snapshot, map[string]*Limiter, error) {
	gen := uint64(1)
	if cur := ix.cur.Load(); cur != nil {
		gen = cur.Generation + 1
	}
	snap := &Snapshot{Generation: gen, routes: make(map[string]*Route, len(endpoints)), endpoints: endpoints, creds: creds}
	byName := make(map[string]*providers.Credential, len(creds))
	for _, c := range creds {
		byName[c.Name] = c
	}
	limiters := map[string]*Limiter{}
	for _, e := range endpoints {
		r := &Route{Endpoint: e, Served: e.Name + "@" + strconv.FormatInt(e.Generation, 10), ConfigGeneration: strconv.FormatUint(gen, 10)}
		var err error
		if r.targets, err = ix.resolve(e, e.Targets, byName); err != nil {
			return nil, nil, err
		}
		if r.fallbacks, err = ix.resolve(e, e.Fallbacks, byName); err != nil {
			return nil, nil, err
		}
		var sum uint64
		r.cum = make([]uint64, len(r.targets))
		for i, t := range r.targets {
			sum += uint64(t.Weight)
			r.cum[i] = sum
		}
		if sum == 0 {
			return nil, nil, fmt.Errorf("endpoint %s: no target has a positive weight", e.Name)
		}
		if r.Limiter = ix.limiterFor(e.Name, e.RateLimit); r.Limiter != nil {
			limiters[e.Name] = r.Limiter
		}
		snap.routes[e.Name] = r
	}
	return snap, limiters, nil
}

// limiterFor keeps an Endpoint's limiter across swaps while its limits stay
// the same, so a configuration change elsewhere does not reset its budget.
func (ix *Index) limiterFor(name string, rl RateLimit) *Limiter {
	if rl.RequestsPerMinute <= 0 && rl.TokensPerMinute <= 0 {
		return nil
	}
	if l := ix.limiters[name]; l != nil && l.limits == rl {
		return l
	}
	return NewLimiter(rl)
}

func (ix *Index) resolve(e *Endpoint, ts []Target, creds map[string]*providers.Credential) ([]ResolvedTarget, error) {
	out := make([]ResolvedTarget, len(ts))
	for i, t := range ts {
		c := creds[t.Credential]
		if c == nil {
			return nil, fmt.Errorf("endpoint %s: credential %q not in snapshot", e.Name, t.Credential)
		}
		a, ok := ix.adapters(c.Provider)
		if !ok {
			return nil, fmt.Errorf("endpoint %s: no adapter for provider %q", e.Name, c.Provider)
		}
		out[i] = ResolvedTarget{Target: t, Credential: c, Adapter: a, Label: c.Name + "/" + t.Model}
	}
	return out, nil
}

func sortedEndpoints(in []*Endpoint) []*Endpoint {
	out := append([]*Endpoint(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedCreds(in []*providers.Credential) []*providers.Credential {
	out := append([]*providers.Credential(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Snapshot is one immutable configuration. Everything reachable from it is
// read-only.
type Snapshot struct {
	// Generation counts swaps since start.
	Generation uint64
	routes     map[string]*Route
	endpoints  []*Endpoint
	creds      []*providers.Credential
	txn        *memdb.Txn
}

// Route returns the compiled Endpoint called name, or nil.
func (s *Snapshot) Route(name string) *Route { return s.routes[name] }

// Endpoints returns every Endpoint, sorted by name.
func (s *Snapshot) Endpoints() []*Endpoint { return s.endpoints }

// EndpointsUsing returns the Endpoints whose targets or fallbacks use the
// named credential, read from the memdb index.
func (s *Snapshot) EndpointsUsing(credential string) []string {
	var out []string
	it, err := s.txn.Get(TableEndpoints, IndexID)
	if err != nil {
		return nil
	}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		e := obj.(*Endpoint)
		for _, t := range append(append([]Target(nil), e.Targets...), e.Fallbacks...) {
			if t.Credential == credential {
				out = append(out, e.Name)
				break
			}
		}
	}
	return out
}

// Route is an Endpoint compiled for serving.
type Route struct {
	*Endpoint
	targets   []ResolvedTarget
	fallbacks []ResolvedTarget
	cum       []uint64
	// Limiter enforces the Endpoint's rate limit; nil when it has none.
	Limiter *Limiter
	// Served says which configuration answers: "NAME@GENERATION" (the
	// Endpoint manifest's generation), and ConfigGeneration is the snapshot's.
	// Both are rendered once per swap for the response headers.
	Served, ConfigGeneration string
}

// ResolvedTarget is a target with its credential and adapter.
type ResolvedTarget struct {
	Target
	Credential *providers.Credential
	Adapter    providers.Adapter
	// Label is "APIKEY/MODEL", for the response headers.
	Label string
}

// Pick chooses a target by weight.
func (r *Route) Pick() *ResolvedTarget {
	if len(r.targets) == 1 {
		return &r.targets[0]
	}
	n := rand.Uint64N(r.cum[len(r.cum)-1])
	i := sort.Search(len(r.cum), func(i int) bool { return r.cum[i] > n })
	return &r.targets[i]
}

// Fallbacks returns the fallback targets in order.
func (r *Route) Fallbacks() []ResolvedTarget { return r.fallbacks }
