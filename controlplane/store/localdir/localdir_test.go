package localdir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/store"
	"github.com/ai-gateway/gateway/controlplane/store/storetest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir(), Options{ResyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// harness is a fresh store whose folder the test changes directly on disk.
func harness(t *testing.T) storetest.Harness {
	s := newStore(t)
	full := func(rel string) string { return filepath.Join(s.Dir(), filepath.FromSlash(rel)) }
	return storetest.Harness{
		Store: s,
		Write: func(t *testing.T, rel string, data []byte) { writeFile(t, s.Dir(), rel, string(data)) },
		Remove: func(t *testing.T, rel string) {
			if err := os.RemoveAll(full(rel)); err != nil {
				t.Fatal(err)
			}
		},
		Mkdir: func(t *testing.T, rel string) {
			if err := os.MkdirAll(full(rel), 0o755); err != nil {
				t.Fatal(err)
			}
		},
		OnWatching: func(ready func()) { s.onWatching = ready },
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

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
	if _, err := New("", Options{}); err == nil {
		t.Error("New with an empty folder: want error")
	}
}

// What Put and Delete leave on disk: files of mode 0644, versions of 32 hex
// characters, no temporary files, and emptied folders kept.
func TestFilesOnDisk(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v, err := s.Put(ctx, "a.yaml", []byte("one"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 32 {
		t.Errorf("version %q: want 32 hex chars", v)
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), "a.yaml"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v; want 0644", fi.Mode(), err)
	}
	if _, err := s.Put(ctx, "endpoints/chat/gpt.yaml", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a.yaml", "endpoints/chat/gpt.yaml"} {
		if err := s.Delete(ctx, p, store.AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "endpoints", "chat")); err != nil {
		t.Errorf("folder should be left in place: %v", err)
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 1 || entries[0].Name() != "endpoints" {
		t.Errorf("leftover files: %v", entries)
	}
}

// The version is a content hash: an edit that keeps the size and the
// modification time still changes it.
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

func TestValidatePath(t *testing.T) {
	ok := []string{"a.yaml", "a.yml", "a.json", "A.YAML", "dir/sub/a.yaml", "my-endpoint.v2.yaml"}
	for _, p := range ok {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range storetest.InvalidPaths {
		if err := ValidatePath(p); err == nil {
			t.Errorf("ValidatePath(%q) = nil, want error", p)
		}
	}
	s := newStore(t)
	if _, err := s.Put(context.Background(), "../up.yaml", []byte("x"), store.AnyVersion); err == nil {
		t.Error("Put(../up.yaml) = nil, want error")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir()), "up.yaml")); err == nil {
		t.Error("Put escaped the root")
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
	storetest.ExpectContent(t, s, "a.yaml", "from configmap")
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
