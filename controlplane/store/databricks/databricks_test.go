package databricks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
	"github.com/ai-gateway/gateway/controlplane/store"
	"github.com/ai-gateway/gateway/controlplane/store/localdir"
)

// root is the workspace folder the tests use.
const root = "/Users/me@example.com/gateway"

// backend is a client the store runs with against the fake.
type backend struct {
	name string
	api  func(testing.TB, *dbxfake.Server) API
}

// backends are the clients the behavioural tests run with: gatewayd's own
// (dbx, what ships) and the real databricks-sdk-go through
// dbxfake.SDKWorkspace. The SDK passing shows the fake answers as the
// service does, so dbx passing the same tests means dbx works against it.
var backends = []backend{
	{"dbx", func(t testing.TB, f *dbxfake.Server) API { return f.RESTClient(t) }},
	{"sdk", func(t testing.TB, f *dbxfake.Server) API { return dbxfake.NewSDKWorkspace(f.SDKClient(t)) }},
}

// eachBackend runs test once per backend, as sub-tests.
func eachBackend(t *testing.T, test func(*testing.T, backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { test(t, be) })
	}
}

// newStore returns a store over root in a fresh fake workspace, driven by
// gatewayd's own client.
func newStore(t *testing.T, opts Options) (*Store, *dbxfake.Server) {
	t.Helper()
	return newStoreWith(t, backends[0], opts)
}

// newStoreWith is newStore with the given backend.
func newStoreWith(t *testing.T, be backend, opts Options) (*Store, *dbxfake.Server) {
	t.Helper()
	fake := dbxfake.New(t)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(be.api(t, fake), root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, fake
}

func paths(t *testing.T, s *Store) []string {
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

// count returns how many API calls of the given "METHOD /path" were made.
func count(fake *dbxfake.Server, call string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r == call {
			n++
		}
	}
	return n
}

func TestAPIPath(t *testing.T) {
	for _, tt := range []struct {
		dir, want, wantErr string
	}{
		{dir: "/Users/me@example.com/gateway", want: "/Users/me@example.com/gateway"},
		{dir: "/Shared/gateway/", want: "/Shared/gateway"},
		{dir: "/Workspace/Shared/gateway", want: "/Shared/gateway"},
		{dir: "/Shared//a/../gateway", want: "/Shared/gateway"},
		{dir: "Shared/gateway", wantErr: "absolute"},
		{dir: "", wantErr: "absolute"},
		{dir: "/", wantErr: "root"},
		{dir: "/Workspace", wantErr: "root"},
		{dir: "/Workspace/", wantErr: "root"},
	} {
		got, err := apiPath(tt.dir)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("apiPath(%q) = %q, %v; want error with %q", tt.dir, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("apiPath(%q) = %q, %v; want %q", tt.dir, got, err, tt.want)
		}
	}
}

func TestCheck(t *testing.T) { eachBackend(t, testCheck) }

func testCheck(t *testing.T, be backend) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	api := be.api(t, fake)
	quiet := Options{Logger: slog.New(slog.DiscardHandler)}

	// A missing folder is created, parents included; a second Check is a no-op.
	s, _ := New(api, "/Workspace/Shared/team/gateway", quiet)
	for range 2 {
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, ok := fake.Stat("/Shared/team/gateway"); !ok {
		t.Fatal("folder not created")
	}
	// A file where the folder should be is refused.
	fake.WriteFile("/Shared/file.yaml", []byte("x"))
	s, _ = New(api, "/Shared/file.yaml", quiet)
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("Check on a file: %v", err)
	}
	// So is an outage, with the folder named.
	fake.SetFault(&dbxfake.Fault{Status: http.StatusForbidden, ErrorCode: "PERMISSION_DENIED"})
	s, _ = New(api, "/Shared/other", quiet)
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "/Shared/other") {
		t.Errorf("Check without permission: %v", err)
	}
}

func TestCRUD(t *testing.T) { eachBackend(t, testCRUD) }

func testCRUD(t *testing.T, be backend) {
	ctx := context.Background()
	s, fake := newStoreWith(t, be, Options{})

	if _, err := s.Get(ctx, "a.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	v1, err := s.Put(ctx, "a.yaml", []byte("one"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != 32 {
		t.Errorf("version %q: want 32 hex chars", v1)
	}
	doc, err := s.Get(ctx, "a.yaml")
	if err != nil || string(doc.Data) != "one" || doc.Version != v1 || doc.Path != "a.yaml" {
		t.Fatalf("Get = %+v, %v", doc, err)
	}
	if got, _ := fake.ReadFile(root + "/a.yaml"); string(got) != "one" {
		t.Errorf("workspace file = %q", got)
	}

	// Create over an existing file conflicts.
	if _, err := s.Put(ctx, "a.yaml", []byte("x"), ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create over existing: %v, want ErrConflict", err)
	}
	v2, err := s.Put(ctx, "a.yaml", []byte("two"), v1)
	if err != nil || v2 == v1 {
		t.Fatalf("update: %q, %v", v2, err)
	}
	// Stale version conflicts, for Put and Delete.
	if _, err := s.Put(ctx, "a.yaml", []byte("three"), v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale put: %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "a.yaml", v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale delete: %v, want ErrConflict", err)
	}
	// A change behind the store's back makes the version stale too.
	fake.WriteFile(root+"/a.yaml", []byte("edited in the workspace UI"))
	if _, err := s.Put(ctx, "a.yaml", []byte("three"), v2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("put after a concurrent edit: %v, want ErrConflict", err)
	}
	if got, _ := fake.ReadFile(root + "/a.yaml"); string(got) != "edited in the workspace UI" {
		t.Errorf("the refused write changed the file: %q", got)
	}
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
	doc, _ = s.Get(ctx, "a.yaml")
	if string(doc.Data) != "four" {
		t.Fatalf("Get after AnyVersion put = %q", doc.Data)
	}
	if err := s.Delete(ctx, "a.yaml", doc.Version); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a.yaml", store.AnyVersion); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete missing: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "b.yaml", ""); err != nil {
		t.Errorf(`delete with "": %v`, err)
	}
	if got := paths(t, s); len(got) != 0 {
		t.Errorf("List after deletes = %v", got)
	}
	if files := fake.Files(); len(files) != 0 {
		t.Errorf("leftover files: %v", files)
	}
}

// The version is localdir's content hash, so a document keeps its version
// (and a client's resourceVersion stays valid) wherever it is stored.
func TestVersionMatchesLocaldir(t *testing.T) { eachBackend(t, testVersionMatchesLocaldir) }

func testVersionMatchesLocaldir(t *testing.T, be backend) {
	ctx := context.Background()
	s, _ := newStoreWith(t, be, Options{})
	local, err := localdir.New(t.TempDir(), localdir.Options{ResyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"", "kind: x\n", strings.Repeat("ü", 5000)} {
		want, err := local.Put(ctx, "a.yaml", []byte(content), store.AnyVersion)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Put(ctx, "a.yaml", []byte(content), store.AnyVersion)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := s.Get(ctx, "a.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got != want || doc.Version != want || string(doc.Data) != content {
			t.Errorf("content %.10q: Put version %s, Get version %s, localdir %s", content, got, doc.Version, want)
		}
	}
}

func TestPutSubfolder(t *testing.T) { eachBackend(t, testPutSubfolder) }

func testPutSubfolder(t *testing.T, be backend) {
	ctx := context.Background()
	s, fake := newStoreWith(t, be, Options{})
	if _, err := s.Put(ctx, "endpoints/chat/gpt.yaml", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if got := paths(t, s); !reflect.DeepEqual(got, []string{"endpoints/chat/gpt.yaml"}) {
		t.Errorf("List = %v", got)
	}
	if err := s.Delete(ctx, "endpoints/chat/gpt.yaml", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := fake.Stat(root + "/endpoints/chat"); !ok {
		t.Error("folder should be left in place")
	}
}

func TestInvalidPathsMakeNoCall(t *testing.T) {
	ctx := context.Background()
	s, fake := newStore(t, Options{})
	before := len(fake.Requests())
	for _, p := range []string{"", "/abs.yaml", "../up.yaml", "a/../b.yaml", "a\\b.yaml", "./a.yaml",
		"a//b.yaml", "dir/", "a.txt", ".hidden.yaml", ".git/a.yaml", "a.yaml~", "a.tmp", "#a.yaml#"} {
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
	if n := len(fake.Requests()) - before; n != 0 {
		t.Errorf("%d API calls for invalid paths", n)
	}
}

func TestListFiltersAndSorts(t *testing.T) { eachBackend(t, testListFiltersAndSorts) }

func testListFiltersAndSorts(t *testing.T, be backend) {
	s, fake := newStoreWith(t, be, Options{})
	for _, rel := range []string{
		"z.yaml", "a.yml", "m.json", "b/c.yaml", "b/a/d.yaml", "B.yaml", "bad.yaml",
		// ignored
		"readme.md", "noext", ".hidden.yaml", ".git/config.yaml", "a.yaml~", ".a.yaml.swp",
		"a.yaml.swp", "a.yaml.swx", ".#a.yaml", "#a.yaml#", "4913", "x.yaml.tmp",
		".a.yaml.123.tmp", "backup~/x.yaml",
	} {
		fake.WriteFile(root+"/"+rel, []byte("kind: x\n"))
	}
	fake.WriteFile(root+"/bad.yaml", []byte("{{{ not: [yaml")) // the store does not parse
	fake.Mkdir(root + "/dir.yaml")
	fake.Mkdir(root + "/empty")
	fake.AddNotebook(root + "/notebook.yaml") // not a file: skipped
	fake.WriteFile("/Users/me@example.com/gateway-other/x.yaml", []byte("outside"))

	want := []string{"B.yaml", "a.yml", "b/a/d.yaml", "b/c.yaml", "bad.yaml", "m.json", "z.yaml"}
	if got := paths(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v\nwant %v", got, want)
	}
	ctx := context.Background()
	doc, err := s.Get(ctx, "bad.yaml")
	if err != nil || !strings.HasPrefix(string(doc.Data), "{{{") {
		t.Errorf("Get bad.yaml = %q, %v", doc.Data, err)
	}
	for _, p := range []string{"dir.yaml", "notebook.yaml"} {
		if _, err := s.Get(ctx, p); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get %s: %v, want ErrNotFound", p, err)
		}
		if err := s.Delete(ctx, p, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete %s: %v, want ErrNotFound", p, err)
		}
	}
}

// The same folder given in its /Workspace/... form works, against a server
// that accepts only the API form.
func TestWorkspacePrefix(t *testing.T) { eachBackend(t, testWorkspacePrefix) }

func testWorkspacePrefix(t *testing.T, be backend) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	s, err := New(be.api(t, fake), "/Workspace"+root, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "sub/a.yaml", []byte("a"), ""); err != nil {
		t.Fatal(err)
	}
	if got, ok := fake.ReadFile(root + "/sub/a.yaml"); !ok || string(got) != "a" {
		t.Fatalf("file at %s/sub/a.yaml = %q, %v", root, got, ok)
	}
	if got := paths(t, s); !reflect.DeepEqual(got, []string{"sub/a.yaml"}) {
		t.Errorf("List = %v", got)
	}
	if s.Dir() != "/Workspace"+root {
		t.Errorf("Dir() = %q", s.Dir())
	}
}

// A poll downloads only what changed: the listing's (object id, modified_at,
// size) keys a cache of contents.
func TestListDownloadsOnlyChanges(t *testing.T) { eachBackend(t, testListDownloadsOnlyChanges) }

func testListDownloadsOnlyChanges(t *testing.T, be backend) {
	s, fake := newStoreWith(t, be, Options{})
	for _, name := range []string{"a.yaml", "b.yaml", "sub/c.yaml"} {
		fake.WriteFile(root+"/"+name, []byte("kind: "+name))
	}
	exports := func() int { return count(fake, "GET /api/2.0/workspace/export") }
	paths(t, s)
	if n := exports(); n != 3 {
		t.Fatalf("first List downloaded %d files, want 3", n)
	}
	paths(t, s)
	if n := exports(); n != 3 {
		t.Errorf("an unchanged List downloaded %d more files", n-3)
	}
	fake.WriteFile(root+"/b.yaml", []byte("kind: changed"))
	docs, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := exports(); n != 4 {
		t.Errorf("after one edit List downloaded %d files, want 1", n-3)
	}
	if string(docs[1].Data) != "kind: changed" {
		t.Errorf("b.yaml = %q", docs[1].Data)
	}
	// Deleted and re-created with the same size: a new object id.
	fake.Remove(root + "/a.yaml")
	fake.WriteFile(root+"/a.yaml", []byte("kind: A.yaml"))
	docs, _ = s.List(context.Background())
	if string(docs[0].Data) != "kind: A.yaml" {
		t.Errorf("re-created a.yaml = %q", docs[0].Data)
	}
}

// An edit that keeps the size within the same millisecond is invisible to
// the listing; the cache's age limit (the resync interval) still catches it.
func TestCacheExpires(t *testing.T) {
	s, fake := newStore(t, Options{ResyncInterval: time.Hour})
	now := time.Now()
	s.now = func() time.Time { return now }
	fake.WriteFile(root+"/a.yaml", []byte("aaaa"))
	paths(t, s)
	_, _, mtime, _ := fake.Stat(root + "/a.yaml")
	fake.SetModifiedAt(root+"/a.yaml", []byte("bbbb"), mtime)
	content := func() string {
		docs, err := s.List(context.Background())
		if err != nil || len(docs) != 1 {
			t.Fatalf("List = %v, %v", docs, err)
		}
		return string(docs[0].Data)
	}
	if got := content(); got != "aaaa" {
		t.Fatalf("content = %q: the cache was not used", got)
	}
	now = now.Add(time.Hour)
	if got := content(); got != "bbbb" {
		t.Errorf("content after the resync interval = %q, want bbbb", got)
	}
	// Get reads through the same cache.
	if doc, err := s.Get(context.Background(), "a.yaml"); err != nil || string(doc.Data) != "bbbb" {
		t.Errorf("Get = %q, %v", doc.Data, err)
	}
}

func TestOutageFailsList(t *testing.T) { eachBackend(t, testOutageFailsList) }

func testOutageFailsList(t *testing.T, be backend) {
	ctx := context.Background()
	s, fake := newStoreWith(t, be, Options{})
	fake.WriteFile(root+"/a.yaml", []byte("a"))
	for _, f := range []dbxfake.Fault{
		{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"},
		// Retried (by either client) for a second in tests.
		{Status: http.StatusServiceUnavailable, ErrorCode: "TEMPORARILY_UNAVAILABLE"},
		{Status: http.StatusNotFound, ErrorCode: "RESOURCE_DOES_NOT_EXIST",
			Match: func(r *http.Request) bool { return r.URL.Path == "/api/2.0/workspace/export" }},
	} {
		fake.SetFault(&f)
		if docs, err := s.List(ctx); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				t.Errorf("fault %d: List error %v must not look like a deletion", f.Status, err)
			}
		} else if f.Status != http.StatusNotFound || len(docs) != 0 {
			t.Errorf("fault %d: List = %v, want an error", f.Status, docs)
		}
	}
	fake.SetFault(nil)
	// The root itself missing is an error too, not an empty list.
	fake.Remove(root)
	if docs, err := s.List(ctx); err == nil {
		t.Errorf("List of a deleted folder = %v, want an error", docs)
	}
}

func TestCallTimeout(t *testing.T) {
	fake := dbxfake.New(t)
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	fake.SetFault(&dbxfake.Fault{Status: 200, Match: func(r *http.Request) bool { <-slow; return false }})
	s, err := New(fake.RESTClient(t), root, Options{CallTimeout: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.List(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("List against a hung server: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("List took %v despite a 100ms call timeout", d)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, fake := newStore(t, Options{})
	fake.WriteFile(root+"/a.yaml", []byte("x"))
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List: %v", err)
	}
	if _, err := s.Put(ctx, "b.yaml", nil, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put: %v", err)
	}
	if err := s.Delete(ctx, "a.yaml", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete: %v", err)
	}
}
