package localdir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/ai-gateway/gateway/controlplane/store"
)

// DefaultPollInterval is how often Watch re-lists the folder when fsnotify is
// unavailable (no inotify, watch limit reached, root folder replaced).
const DefaultPollInterval = 2 * time.Second

// k8sDataLink is the symlink a Kubernetes ConfigMap or Secret volume swaps
// atomically on update; its visible files are symlinks through it, so the swap
// is the only event there is. It is hidden, yet must not be filtered out.
const k8sDataLink = "..data"

// Watch signals on changed (through store.Notify, never blocking) whenever a
// manifest file below the root may have been created, written, renamed or
// removed, and every ResyncInterval as a safety net. It watches the root and
// every sub-folder, adding folders created later. If fsnotify cannot be used it
// logs a warning and polls every DefaultPollInterval instead. It does not
// debounce: that is store.Debounce's job. It returns nil when ctx ends.
func (s *Store) Watch(ctx context.Context, changed chan<- struct{}) error {
	var resync <-chan time.Time
	if s.resync > 0 {
		t := time.NewTicker(s.resync)
		defer t.Stop()
		resync = t.C
	}
	err := s.watchEvents(ctx, changed, resync)
	if err == nil || ctx.Err() != nil {
		return nil
	}
	s.log.Warn("file watching unavailable, falling back to polling",
		"interval", s.pollInterval(), "err", err)
	store.Notify(changed) // events may have been lost while switching
	s.poll(ctx, changed, resync)
	return nil
}

// watchEvents runs the fsnotify loop. It returns nil when ctx ends and an error
// when watching can no longer be trusted and the caller should poll instead.
func (s *Store) watchEvents(ctx context.Context, changed chan<- struct{}, resync <-chan time.Time) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("create watcher: %w", err)
	}
	defer func() { _ = w.Close() }()
	dirs := make(map[string]struct{})
	if err := addTree(w, dirs, s.dir); err != nil {
		return err
	}
	// The caller may have listed the folder before the watches existed (a
	// controller reconciles once as Watch starts); a change in between made no
	// event, so say "may have changed" once now.
	store.Notify(changed)
	s.watching()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync:
			store.Notify(changed)
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watcher closed")
			}
			relevant, err := s.handle(w, dirs, ev)
			if relevant {
				store.Notify(changed)
			}
			if err != nil {
				return err
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watcher closed")
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				s.log.Warn("file events were lost; re-listing", "err", err)
			} else {
				s.log.Warn("file watcher error", "err", err)
			}
			store.Notify(changed)
		}
	}
}

// handle updates the watched folders for one event and reports whether the set
// of documents may have changed.
func (s *Store) handle(w *fsnotify.Watcher, dirs map[string]struct{}, ev fsnotify.Event) (bool, error) {
	name := filepath.Clean(ev.Name)
	base := filepath.Base(name)
	if name == s.dir {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			return true, errors.New("root folder was removed or renamed")
		}
		return false, nil
	}
	if base == k8sDataLink {
		return true, nil
	}
	if ignoredName(base) {
		return false, nil
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
			// Files may already be inside (mkdir -p, mv of a folder): signal
			// anyway, the caller re-lists.
			return true, addTree(w, dirs, name)
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if _, ok := dirs[name]; ok {
			for d := range dirs {
				if d == name || strings.HasPrefix(d, name+string(filepath.Separator)) {
					_ = w.Remove(d) // often already gone with the folder
					delete(dirs, d)
				}
			}
			return true, nil
		}
	}
	if !docName(base) {
		return false, nil
	}
	// Chmod alone is ignored: it does not change content and is noisy.
	return ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) ||
		ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename), nil
}

// addTree watches root and every non-ignored folder below it. Folders that
// vanish meanwhile are skipped; any other failure (such as the inotify watch
// limit, ENOSPC) is returned.
func addTree(w *fsnotify.Watcher, dirs map[string]struct{}, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != root {
				return nil
			}
			return fmt.Errorf("watch %s: %w", p, err)
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && ignoredName(d.Name()) {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return fmt.Errorf("watch %s: %w", p, err)
		}
		dirs[filepath.Clean(p)] = struct{}{}
		return nil
	})
}

// poll re-lists the folder every poll interval and signals when the set of
// paths and versions differs from the previous listing.
func (s *Store) poll(ctx context.Context, changed chan<- struct{}, resync <-chan time.Time) {
	t := time.NewTicker(s.pollInterval())
	defer t.Stop()
	last := s.fingerprint(ctx)
	s.watching()
	for {
		select {
		case <-ctx.Done():
			return
		case <-resync:
			store.Notify(changed)
		case <-t.C:
			if fp := s.fingerprint(ctx); fp != last && ctx.Err() == nil {
				last = fp
				store.Notify(changed)
			}
		}
	}
}

// fingerprint summarises the current listing (paths and content versions), or
// the error that prevented it, so that recovering from an error also signals.
func (s *Store) fingerprint(ctx context.Context) string {
	docs, err := s.List(ctx)
	if err != nil {
		return "error: " + err.Error()
	}
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%s\x00%s\n", d.Path, d.Version)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Store) pollInterval() time.Duration {
	if s.pollEvery > 0 {
		return s.pollEvery
	}
	return DefaultPollInterval
}

func (s *Store) watching() {
	if s.onWatching != nil {
		s.onWatching()
	}
}
