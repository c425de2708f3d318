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
	"github.com/ai-gateway/gateway/controlplane/store/storetest"
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

// TestConformance runs the store contract once per client.
func TestConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, be backend) {
		storetest.Run(t, func(t *testing.T) storetest.Harness {
			s, fake := newStoreWith(t, be, Options{PollInterval: 20 * time.Millisecond})
			return storetest.Harness{
				Store:      s,
				Write:      func(_ *testing.T, rel string, data []byte) { fake.WriteFile(root+"/"+rel, data) },
				Remove:     func(_ *testing.T, rel string) { fake.Remove(root + "/" + rel) },
				Mkdir:      func(_ *testing.T, rel string) { fake.Mkdir(root + "/" + rel) },
				OnWatching: func(ready func()) { s.onWatching = ready },
			}
		})
	})
}

// What Put and Delete leave in the workspace: the bytes as given, emptied
// folders kept, nothing else.
func TestWorkspaceFiles(t *testing.T) { eachBackend(t, testWorkspaceFiles) }

func testWorkspaceFiles(t *testing.T, be backend) {
	ctx := context.Background()
	s, fake := newStoreWith(t, be, Options{})
	v, err := s.Put(ctx, "a.yaml", []byte("one"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 32 {
		t.Errorf("version %q: want 32 hex chars", v)
	}
	if got, _ := fake.ReadFile(root + "/a.yaml"); string(got) != "one" {
		t.Errorf("workspace file = %q", got)
	}
	// A refused write leaves the file alone.
	fake.WriteFile(root+"/a.yaml", []byte("edited in the workspace UI"))
	if _, err := s.Put(ctx, "a.yaml", []byte("three"), v); !errors.Is(err, store.ErrConflict) {
		t.Errorf("put after a concurrent edit: %v, want ErrConflict", err)
	}
	if got, _ := fake.ReadFile(root + "/a.yaml"); string(got) != "edited in the workspace UI" {
		t.Errorf("the refused write changed the file: %q", got)
	}
	if _, err := s.Put(ctx, "endpoints/chat/gpt.yaml", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a.yaml", "endpoints/chat/gpt.yaml"} {
		if err := s.Delete(ctx, p, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, ok := fake.Stat(root + "/endpoints/chat"); !ok {
		t.Error("folder should be left in place")
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

// Invalid paths are refused before any API call (the conformance suite
// checks that they are refused).
func TestInvalidPathsMakeNoCall(t *testing.T) {
	ctx := context.Background()
	s, fake := newStore(t, Options{})
	before := len(fake.Requests())
	for _, p := range storetest.InvalidPaths {
		_, _ = s.Put(ctx, p, []byte("x"), store.AnyVersion)
		_, _ = s.Get(ctx, p)
		_ = s.Delete(ctx, p, "")
	}
	if n := len(fake.Requests()) - before; n != 0 {
		t.Errorf("%d API calls for invalid paths", n)
	}
}

// Workspace objects that are not files (notebooks) are not documents, and a
// sibling folder whose name starts like the root's is not part of it.
func TestListSkipsOtherObjects(t *testing.T) { eachBackend(t, testListSkipsOtherObjects) }

func testListSkipsOtherObjects(t *testing.T, be backend) {
	ctx := context.Background()
	s, fake := newStoreWith(t, be, Options{})
	fake.WriteFile(root+"/a.yaml", []byte("a"))
	fake.AddNotebook(root + "/notebook.yaml")
	fake.WriteFile("/Users/me@example.com/gateway-other/x.yaml", []byte("outside"))
	if got := storetest.Paths(t, s); !reflect.DeepEqual(got, []string{"a.yaml"}) {
		t.Errorf("List = %v, want [a.yaml]", got)
	}
	if _, err := s.Get(ctx, "notebook.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get notebook.yaml: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "notebook.yaml", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete notebook.yaml: %v, want ErrNotFound", err)
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
	if got := storetest.Paths(t, s); !reflect.DeepEqual(got, []string{"sub/a.yaml"}) {
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
	storetest.Paths(t, s)
	if n := exports(); n != 3 {
		t.Fatalf("first List downloaded %d files, want 3", n)
	}
	storetest.Paths(t, s)
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
	storetest.Paths(t, s)
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
