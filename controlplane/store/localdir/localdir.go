// Package localdir is a store.Store over a local folder of manifest files
// (*.yaml, *.yml, *.json, searched recursively). Writes are atomic renames,
// versions are content hashes, and Watch combines fsnotify on every folder with
// a periodic resync (or falls back to polling when inotify is unavailable).
package localdir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/atomicfile"
	"github.com/ai-gateway/gateway/controlplane/store"
)

// DefaultResyncInterval is the resync period used when Options.ResyncInterval is zero.
const DefaultResyncInterval = 30 * time.Second

// Options configures a Store.
type Options struct {
	// ResyncInterval is how often Watch signals a change even without a file
	// event, as a safety net for missed events. Zero means DefaultResyncInterval;
	// a negative value disables the resync.
	ResyncInterval time.Duration
	// Logger receives warnings (watch limits, fallbacks). Nil means slog.Default().
	Logger *slog.Logger
}

// Store is a folder of manifest documents. It is safe for concurrent use.
type Store struct {
	dir    string
	resync time.Duration
	log    *slog.Logger
	// mu serialises the check-and-write of Put and Delete within the process.
	mu sync.Mutex
	// onWatching, when set (by tests), is called once Watch has registered its
	// watches or started polling, so events after it are guaranteed to be seen.
	onWatching func()
	// pollEvery overrides DefaultPollInterval (tests).
	pollEvery time.Duration
}

var _ store.Store = (*Store)(nil)

// New returns a Store rooted at dir, creating the folder (0755) if it is missing.
func New(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("localdir: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localdir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("localdir %s: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("localdir %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("localdir %s: not a directory", abs)
	}
	s := &Store{dir: abs, resync: opts.ResyncInterval, log: opts.Logger}
	if s.resync == 0 {
		s.resync = DefaultResyncInterval
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("store", "localdir", "dir", abs)
	return s, nil
}

// Dir returns the absolute path of the root folder.
func (s *Store) Dir() string { return s.dir }

// List returns every manifest document below the root, sorted by path. Files
// that vanish while listing are skipped; any other read error fails the List
// (so that a caller keeps its last good state rather than seeing a deletion).
func (s *Store) List(ctx context.Context) ([]store.Document, error) {
	var docs []store.Document
	err := filepath.WalkDir(s.dir, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && full != s.dir {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if full == s.dir {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if ignoredName(name) {
				return filepath.SkipDir
			}
			return nil
		}
		if !docName(name) {
			return nil
		}
		if !d.Type().IsRegular() {
			// Follow symlinks to regular files only; skip everything else.
			if d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			fi, err := os.Stat(full)
			if err != nil || !fi.Mode().IsRegular() {
				return nil // dangling link, link to a folder, device...
			}
		}
		data, err := os.ReadFile(full)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(s.dir, full)
		if err != nil {
			return err
		}
		docs = append(docs, store.Document{Path: filepath.ToSlash(rel), Version: version(data), Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.dir, err)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Path < docs[j].Path })
	return docs, nil
}

// Get returns one document, or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, p string) (store.Document, error) {
	if err := ctx.Err(); err != nil {
		return store.Document{}, fmt.Errorf("get %s: %w", p, err)
	}
	if err := ValidatePath(p); err != nil {
		return store.Document{}, fmt.Errorf("get %s: %w", p, err)
	}
	data, err := s.read(p)
	if err != nil {
		return store.Document{}, fmt.Errorf("get %s: %w", p, err)
	}
	return store.Document{Path: p, Version: version(data), Data: data}, nil
}

// read returns the content of a valid path, or store.ErrNotFound when it is
// missing or not a regular file.
func (s *Store) read(p string) ([]byte, error) {
	full := s.full(p)
	fi, err := os.Stat(full)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || (err == nil && !fi.Mode().IsRegular()) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, store.ErrNotFound
	}
	return data, err
}

// Put writes a document atomically (temporary file, fsync, rename, mode 0644).
// expectedVersion "" requires the path not to exist, store.AnyVersion skips the
// check, and any other value must equal the current version (else store.ErrConflict).
func (s *Store) Put(ctx context.Context, p string, data []byte, expectedVersion string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("put %s: %w", p, err)
	}
	if err := ValidatePath(p); err != nil {
		return "", fmt.Errorf("put %s: %w", p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if expectedVersion != store.AnyVersion {
		cur, err := s.read(p)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if expectedVersion != "" {
				return "", fmt.Errorf("put %s: %w: expected version %s but the file does not exist", p, store.ErrConflict, expectedVersion)
			}
		case err != nil:
			return "", fmt.Errorf("put %s: %w", p, err)
		case expectedVersion == "":
			return "", fmt.Errorf("put %s: %w: file already exists", p, store.ErrConflict)
		case version(cur) != expectedVersion:
			return "", fmt.Errorf("put %s: %w: expected version %s, found %s", p, store.ErrConflict, expectedVersion, version(cur))
		}
	}
	if err := writeAtomic(s.full(p), data); err != nil {
		return "", fmt.Errorf("put %s: %w", p, err)
	}
	return version(data), nil
}

// Delete removes a document. expectedVersion "" or store.AnyVersion deletes
// unconditionally; any other value must equal the current version. A missing
// document is store.ErrNotFound. Empty folders are left in place.
func (s *Store) Delete(ctx context.Context, p, expectedVersion string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	if err := ValidatePath(p); err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.read(p)
	if err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	if expectedVersion != "" && expectedVersion != store.AnyVersion && version(cur) != expectedVersion {
		return fmt.Errorf("delete %s: %w: expected version %s, found %s", p, store.ErrConflict, expectedVersion, version(cur))
	}
	full := s.full(p)
	if err := os.Remove(full); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", p, store.ErrNotFound)
		}
		return fmt.Errorf("delete %s: %w", p, err)
	}
	atomicfile.SyncDir(filepath.Dir(full))
	return nil
}

func (s *Store) full(p string) string { return filepath.Join(s.dir, filepath.FromSlash(p)) }

// writeAtomic writes data to a hidden *.tmp file beside full (a name List and
// Watch ignore), fsyncs it and renames it over full, creating its folder.
func writeAtomic(full string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(full, data, 0o644)
}

// version is the hex of the first 16 bytes of the SHA-256 of the content.
func version(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// ValidatePath reports whether p is a document path Put accepts: relative, with
// forward slashes, already clean, no "..", no hidden or editor-temporary
// segment, and ending in .yaml, .yml or .json.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return errors.New("invalid path: empty")
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("invalid path %q: backslashes are not allowed, use /", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("invalid path %q: contains NUL", p)
	case path.IsAbs(p) || filepath.IsAbs(p):
		return fmt.Errorf("invalid path %q: must be relative", p)
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "..":
			return fmt.Errorf("invalid path %q: must not contain ..", p)
		case seg == "" || seg == ".":
			return fmt.Errorf("invalid path %q: empty or . segment", p)
		case ignoredName(seg):
			return fmt.Errorf("invalid path %q: segment %q is hidden or a temporary name", p, seg)
		}
	}
	if !docName(path.Base(p)) {
		return fmt.Errorf("invalid path %q: must end in .yaml, .yml or .json", p)
	}
	return nil
}

// docName reports whether a file name is a manifest document.
func docName(name string) bool {
	if ignoredName(name) {
		return false
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ignoredName reports hidden names and editor temporary or swap files.
func ignoredName(name string) bool {
	switch {
	case name == "" || strings.HasPrefix(name, "."): // hidden, .#lock, ..data
		return true
	case name == "4913": // vim's write test file
		return true
	case strings.HasSuffix(name, "~"),
		strings.HasSuffix(name, ".swp"),
		strings.HasSuffix(name, ".swx"),
		strings.HasSuffix(name, ".tmp"):
		return true
	case len(name) > 1 && strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"):
		return true
	}
	return false
}
