// Package storetest is the conformance suite for store.Store implementations:
// the behaviours every manifest store shares (listing and filtering rules,
// optimistic concurrency, versions, change signals), checked once. Each
// implementation's tests call Run with a Harness and keep only what is its
// own (fsnotify renames, polling caches, outages...).
package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/store"
)

// Harness is one fresh, empty store and the means to change its backing
// folder behind its back, as a person or another process would.
type Harness struct {
	// Store is the store under test, over an empty folder. Its Watch must
	// notice a change within a second or so (a short poll interval) and have
	// its periodic resync disabled or long.
	Store store.Store
	// Write creates or replaces the file at a relative path, creating its
	// folders, without going through Store.
	Write func(t *testing.T, path string, data []byte)
	// Remove deletes the file or folder (recursively) at a relative path,
	// without going through Store.
	Remove func(t *testing.T, path string)
	// Mkdir creates an empty folder (and its parents) at a relative path.
	Mkdir func(t *testing.T, path string)
	// OnWatching installs a hook that Store.Watch calls once it is sure to see
	// every later change (watches registered, first listing taken).
	OnWatching func(ready func())
}

// SignalTimeout bounds every wait for a change signal. It is generous on
// purpose: the suite checks that a signal arrives, never that it arrives fast.
const SignalTimeout = 5 * time.Second

// quietFor is how long a store must stay silent for "no signal" to hold; it
// spans many poll intervals of a store configured for tests.
const quietFor = 500 * time.Millisecond

// Run checks the store.Store contract against fresh harnesses from newHarness.
// The sub-tests run in parallel, each with its own harness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Harness)
	}{
		{"CRUD", testCRUD},
		{"ConcurrentEditMakesVersionStale", testConcurrentEdit},
		{"Versions", testVersions},
		{"PutSubfolder", testPutSubfolder},
		{"ListFiltersAndSorts", testListFiltersAndSorts},
		{"InvalidPaths", testInvalidPaths},
		{"ContextCanceled", testContextCanceled},
		{"Watch", testWatch},
		{"WatchIgnoresNonManifests", testWatchIgnores},
		{"WatchBurstDebounced", testWatchBurst},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newHarness(t))
		})
	}
}

func testCRUD(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	if _, err := s.Get(ctx, "a.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	v1, err := s.Put(ctx, "a.yaml", []byte("one"), "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.Get(ctx, "a.yaml")
	if err != nil || string(doc.Data) != "one" || doc.Version != v1 || doc.Path != "a.yaml" {
		t.Fatalf("Get = %+v, %v; want a.yaml, one, version %s", doc, err, v1)
	}
	// Create over an existing file conflicts.
	if _, err := s.Put(ctx, "a.yaml", []byte("x"), ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create over existing: %v, want ErrConflict", err)
	}
	v2, err := s.Put(ctx, "a.yaml", []byte("two"), v1)
	if err != nil || v2 == v1 {
		t.Fatalf("update: %q, %v", v2, err)
	}
	// A stale version conflicts, for Put and Delete, and changes nothing.
	if _, err := s.Put(ctx, "a.yaml", []byte("three"), v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale put: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "a.yaml", v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale delete: %v, want ErrConflict", err)
	}
	ExpectContent(t, s, "a.yaml", "two")
	// A specific version for a missing file conflicts on Put.
	if _, err := s.Put(ctx, "b.yaml", []byte("b"), v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("put missing with version: %v, want ErrConflict", err)
	}
	// AnyVersion is unconditional, including creation.
	if _, err := s.Put(ctx, "a.yaml", []byte("four"), store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "b.yaml", []byte("b"), store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	doc = ExpectContent(t, s, "a.yaml", "four")
	if err := s.Delete(ctx, "a.yaml", doc.Version); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a.yaml", store.AnyVersion); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete missing: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "a.yaml", doc.Version); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete missing with a version: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "b.yaml", ""); err != nil {
		t.Errorf(`delete with "": %v`, err)
	}
	if got := Paths(t, s); len(got) != 0 {
		t.Errorf("List after deletes = %v", got)
	}
}

// A change behind the store's back (a person editing the file, another
// replica) makes the version a client holds stale.
func testConcurrentEdit(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	v1, err := s.Put(ctx, "a.yaml", []byte("mine"), "")
	if err != nil {
		t.Fatal(err)
	}
	h.Write(t, "a.yaml", []byte("edited elsewhere"))
	if _, err := s.Put(ctx, "a.yaml", []byte("mine again"), v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("put after a concurrent edit: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "a.yaml", v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("delete after a concurrent edit: %v, want ErrConflict", err)
	}
	doc := ExpectContent(t, s, "a.yaml", "edited elsewhere")
	if doc.Version == v1 {
		t.Errorf("version %s kept across a concurrent edit", v1)
	}
	// The fresh version works; a concurrent delete makes it stale again.
	v2, err := s.Put(ctx, "a.yaml", []byte("merged"), doc.Version)
	if err != nil {
		t.Fatal(err)
	}
	h.Remove(t, "a.yaml")
	if _, err := s.Put(ctx, "a.yaml", []byte("x"), v2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("put after a concurrent delete: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "a.yaml", v2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete after a concurrent delete: %v, want ErrNotFound", err)
	}
}

// Versions change exactly when the content does, however it was written.
func testVersions(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	v1, err := s.Put(ctx, "a.yaml", []byte("aaaa"), "")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Put(ctx, "a.yaml", []byte("aaaa"), v1); err != nil || v != v1 {
		t.Errorf("rewriting the same content: version %q, %v; want %q", v, err, v1)
	}
	h.Write(t, "a.yaml", []byte("aaaa"))
	if doc := ExpectContent(t, s, "a.yaml", "aaaa"); doc.Version != v1 {
		t.Errorf("same content written behind the store's back: version %s, want %s", doc.Version, v1)
	}
	h.Write(t, "a.yaml", []byte("bbbb")) // same size
	v2 := ExpectContent(t, s, "a.yaml", "bbbb").Version
	if v2 == v1 {
		t.Error("a same-size edit kept the version")
	}
	// List and Get agree, and another path with the same content has the same
	// version (versions are about content, not identity).
	if _, err := s.Put(ctx, "b.yaml", []byte("bbbb"), ""); err != nil {
		t.Fatal(err)
	}
	docs, err := s.List(ctx)
	if err != nil || len(docs) != 2 {
		t.Fatalf("List = %+v, %v", docs, err)
	}
	for _, d := range docs {
		if d.Version != v2 || string(d.Data) != "bbbb" {
			t.Errorf("List: %s = %q version %s, want bbbb version %s", d.Path, d.Data, d.Version, v2)
		}
	}
}

func testPutSubfolder(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	if _, err := s.Put(ctx, "endpoints/chat/gpt.yaml", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if got := Paths(t, s); !slices.Equal(got, []string{"endpoints/chat/gpt.yaml"}) {
		t.Errorf("List = %v", got)
	}
	ExpectContent(t, s, "endpoints/chat/gpt.yaml", "x")
	if err := s.Delete(ctx, "endpoints/chat/gpt.yaml", ""); err != nil {
		t.Fatal(err)
	}
	if got := Paths(t, s); len(got) != 0 {
		t.Errorf("List after delete = %v", got)
	}
	// The folder left behind takes a new file.
	if _, err := s.Put(ctx, "endpoints/chat/b.yaml", []byte("b"), ""); err != nil {
		t.Fatal(err)
	}
}

func testListFiltersAndSorts(t *testing.T, h Harness) {
	ctx := context.Background()
	for _, rel := range []string{
		"z.yaml", "a.yml", "m.json", "b/c.yaml", "b/a/d.yaml", "B.yaml",
		// ignored
		"readme.md", "noext", ".hidden.yaml", ".git/config.yaml", "a.yaml~", ".a.yaml.swp",
		"a.yaml.swp", "a.yaml.swx", ".#a.yaml", "#a.yaml#", "4913", "x.yaml.tmp",
		".a.yaml.123.tmp", "backup~/x.yaml",
	} {
		h.Write(t, rel, []byte("kind: x\n"))
	}
	h.Write(t, "bad.yaml", []byte("{{{ not: [yaml")) // the store does not parse
	h.Mkdir(t, "dir.yaml")
	h.Mkdir(t, "empty")

	want := []string{"B.yaml", "a.yml", "b/a/d.yaml", "b/c.yaml", "bad.yaml", "m.json", "z.yaml"}
	if got := Paths(t, h.Store); !slices.Equal(got, want) {
		t.Errorf("List = %v\nwant %v", got, want)
	}
	ExpectContent(t, h.Store, "bad.yaml", "{{{ not: [yaml")
	if _, err := h.Store.Get(ctx, "dir.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get on a folder: %v, want ErrNotFound", err)
	}
	if err := h.Store.Delete(ctx, "dir.yaml", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete on a folder: %v, want ErrNotFound", err)
	}
}

// InvalidPaths are the paths Put, Get and Delete must refuse, with an error
// that is not ErrNotFound (a caller must not take a typo for a deletion).
var InvalidPaths = []string{
	"", "/abs.yaml", "../up.yaml", "a/../b.yaml", "a\\b.yaml", "./a.yaml", "a//b.yaml",
	"dir/", "a.txt", "noext", ".hidden.yaml", ".git/a.yaml", "a.yaml~", "a.yaml.swp",
	"a.tmp", "#a.yaml#", "4913", "a\x00.yaml",
}

func testInvalidPaths(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	for _, p := range InvalidPaths {
		if _, err := s.Put(ctx, p, []byte("x"), store.AnyVersion); err == nil {
			t.Errorf("Put(%q) = nil, want error", p)
		}
		if _, err := s.Get(ctx, p); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want an invalid-path error", p, err)
		}
		if err := s.Delete(ctx, p, ""); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want an invalid-path error", p, err)
		}
	}
	if got := Paths(t, s); len(got) != 0 {
		t.Errorf("List after refused writes = %v", got)
	}
}

func testContextCanceled(t *testing.T, h Harness) {
	h.Write(t, "a.yaml", []byte("x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := h.Store
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List: %v, want context.Canceled", err)
	}
	if _, err := s.Put(ctx, "b.yaml", nil, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put: %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, "a.yaml", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete: %v, want context.Canceled", err)
	}
	ExpectContent(t, s, "a.yaml", "x")
}
