package localdir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/store"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir(), Options{ResyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
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

func TestNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "manifests")
	s, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("folder not created: %v", err)
	}
	if s.Dir() != dir || s.resync != DefaultResyncInterval {
		t.Errorf("Dir() = %q, resync = %v", s.Dir(), s.resync)
	}
	file := filepath.Join(t.TempDir(), "file.yaml")
	writeFile(t, filepath.Dir(file), "file.yaml", "x")
	if _, err := New(file, Options{}); err == nil {
		t.Error("New on a regular file: want error")
	}
}

func TestCRUD(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)

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
	fi, err := os.Stat(filepath.Join(s.Dir(), "a.yaml"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v; want 0644", fi.Mode(), err)
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
	// No temporary files are left behind.
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 0 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestVersionTracksContentNotMtime(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	writeFile(t, s.Dir(), "a.yaml", "aaaa")
	before, _ := s.Get(ctx, "a.yaml")
	fi, _ := os.Stat(filepath.Join(s.Dir(), "a.yaml"))
	writeFile(t, s.Dir(), "a.yaml", "bbbb") // same size
	_ = os.Chtimes(filepath.Join(s.Dir(), "a.yaml"), fi.ModTime(), fi.ModTime())
	after, _ := s.Get(ctx, "a.yaml")
	if before.Version == after.Version {
		t.Error("same-size same-mtime edit kept the version")
	}
}

func TestPutSubfolder(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Put(ctx, "endpoints/chat/gpt.yaml", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	if got := paths(t, s); !reflect.DeepEqual(got, []string{"endpoints/chat/gpt.yaml"}) {
		t.Errorf("List = %v", got)
	}
	if err := s.Delete(ctx, "endpoints/chat/gpt.yaml", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "endpoints", "chat")); err != nil {
		t.Errorf("folder should be left in place: %v", err)
	}
}

func TestValidatePath(t *testing.T) {
	ok := []string{"a.yaml", "a.yml", "a.json", "A.YAML", "dir/sub/a.yaml", "my-endpoint.v2.yaml"}
	bad := []string{
		"", "/abs.yaml", "../up.yaml", "a/../b.yaml", "a\\b.yaml", "./a.yaml", "a//b.yaml",
		"dir/", "a.txt", "noext", ".hidden.yaml", ".git/a.yaml", "a.yaml~", "a.yaml.swp",
		"a.tmp", "#a.yaml#", "4913", "a\x00.yaml",
	}
	for _, p := range ok {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", p, err)
		}
	}
	ctx := context.Background()
	s := newStore(t)
	for _, p := range bad {
		if err := ValidatePath(p); err == nil {
			t.Errorf("ValidatePath(%q) = nil, want error", p)
		}
		if _, err := s.Put(ctx, p, []byte("x"), store.AnyVersion); err == nil {
			t.Errorf("Put(%q) = nil, want error", p)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir()), "up.yaml")); err == nil {
		t.Error("Put escaped the root")
	}
}

func TestListFiltersAndSorts(t *testing.T) {
	s := newStore(t)
	for _, rel := range []string{
		"z.yaml", "a.yml", "m.json", "b/c.yaml", "b/a/d.yaml", "B.yaml", "bad.yaml",
		// ignored
		"readme.md", "noext", ".hidden.yaml", ".git/config.yaml", "a.yaml~", ".a.yaml.swp",
		"a.yaml.swp", "a.yaml.swx", ".#a.yaml", "#a.yaml#", "4913", "x.yaml.tmp",
		".a.yaml.123.tmp", "backup~/x.yaml",
	} {
		writeFile(t, s.Dir(), rel, "kind: x\n")
	}
	writeFile(t, s.Dir(), "bad.yaml", "{{{ not: [yaml") // the store does not parse
	if err := os.Mkdir(filepath.Join(s.Dir(), "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	want := []string{"B.yaml", "a.yml", "b/a/d.yaml", "b/c.yaml", "bad.yaml", "m.json", "z.yaml"}
	if got := paths(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("List = %v\nwant %v", got, want)
	}
	doc, err := s.Get(context.Background(), "bad.yaml")
	if err != nil || !strings.HasPrefix(string(doc.Data), "{{{") {
		t.Errorf("Get bad.yaml = %q, %v", doc.Data, err)
	}
	if _, err := s.Get(context.Background(), "dir.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get on a folder: %v, want ErrNotFound", err)
	}
}

func TestIgnoredName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.yaml": false, "4913.yaml": false, "a#.yaml": false,
		".a.yaml": true, "..data": true, "a.yaml~": true, "a.swp": true, "a.swx": true,
		".#a.yaml": true, "#a.yaml#": true, "4913": true, "a.tmp": true, "#": false,
	} {
		if got := ignoredName(name); got != want {
			t.Errorf("ignoredName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSymlinks(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	// Kubernetes ConfigMap layout: ..2024/a.yaml, ..data -> ..2024, a.yaml -> ..data/a.yaml
	writeFile(t, s.Dir(), "..2024_01/a.yaml", "from configmap")
	mustSymlink(t, "..2024_01", filepath.Join(s.Dir(), "..data"))
	mustSymlink(t, "..data/a.yaml", filepath.Join(s.Dir(), "a.yaml"))
	// Dangling link and link to a folder are skipped.
	mustSymlink(t, "missing.yaml", filepath.Join(s.Dir(), "dangling.yaml"))
	mustSymlink(t, "..2024_01", filepath.Join(s.Dir(), "dirlink.yaml"))

	docs, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Path != "a.yaml" || string(docs[0].Data) != "from configmap" {
		t.Fatalf("List = %+v", docs)
	}
	if doc, err := s.Get(ctx, "a.yaml"); err != nil || string(doc.Data) != "from configmap" {
		t.Errorf("Get = %q, %v", doc.Data, err)
	}
	if _, err := s.Get(ctx, "dangling.yaml"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get dangling: %v, want ErrNotFound", err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newStore(t)
	writeFile(t, s.Dir(), "a.yaml", "x")
	if _, err := s.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List: %v", err)
	}
	if _, err := s.Put(ctx, "b.yaml", nil, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Put: %v", err)
	}
}
