// Package databricks is a store.Store over a folder of Databricks workspace
// files, for gatewayd running as a Databricks App (or anywhere with workspace
// credentials). It follows localdir's rules exactly: the same file names count
// as manifests (*.yaml, *.yml, *.json; hidden and editor-temporary names
// skipped, checked by localdir.ValidatePath), paths are relative with forward
// slashes, sub-folders are searched, and List is sorted.
//
// Versions are content hashes (the same function as localdir), computed from
// the downloaded bytes: they are stable across restarts and replicas and
// change exactly when the content does. Downloads are cached by the listing's
// (object_id, modified_at, size), so a poll downloads only changed files.
//
// The workspace API has no ETag or conditional write, so optimistic
// concurrency is emulated: Put and Delete with a version re-read the file and
// compare before writing. Within one process the check-and-write is
// serialised; across processes (replicas, a person in the workspace UI) a
// write landing between the check and our write is overwritten — the window
// is one API round trip. Create ("" expected) is exact: it imports without
// overwrite, and the workspace refuses if the file exists.
package databricks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/store"
	"github.com/ai-gateway/gateway/controlplane/store/localdir"
)

const (
	// DefaultPollInterval is how often Watch lists the folder.
	DefaultPollInterval = 5 * time.Second
	// DefaultResyncInterval is how often Watch signals without a seen change,
	// and the age after which cached content is downloaded again (an edit
	// within the same millisecond at the same size is invisible to polling).
	DefaultResyncInterval = 5 * time.Minute
)

// API is the part of the workspace API the store uses; *dbx.Client
// implements it (and, in tests, dbxfake.SDKWorkspace over the real SDK).
// Errors are *dbx.APIError for the service's answers.
type API interface {
	List(ctx context.Context, dir string) ([]dbx.ObjectInfo, error)
	GetStatus(ctx context.Context, path string) (*dbx.ObjectInfo, error)
	Export(ctx context.Context, path string) ([]byte, error)
	Import(ctx context.Context, path string, data []byte, overwrite bool) error
	Mkdirs(ctx context.Context, path string) error
	Delete(ctx context.Context, path string, recursive bool) error
}

var _ API = (*dbx.Client)(nil)

// Options configure a Store.
type Options struct {
	// PollInterval is how often Watch lists the folder; zero means DefaultPollInterval.
	PollInterval time.Duration
	// ResyncInterval: see DefaultResyncInterval; zero means that default.
	ResyncInterval time.Duration
	// CallTimeout bounds each API call, retries included; zero means dbx.CallTimeout.
	CallTimeout time.Duration
	// Logger receives warnings; nil means slog.Default().
	Logger *slog.Logger
}

// Store is a workspace folder of manifest documents. It is safe for concurrent use.
type Store struct {
	api     API
	dir     string // as configured, for people
	root    string // API path: no /Workspace prefix, no trailing slash
	poll    time.Duration
	resync  time.Duration
	timeout time.Duration
	log     *slog.Logger
	now     func() time.Time

	// mu serialises the check-and-write of Put and Delete within the process.
	mu sync.Mutex

	cacheMu sync.Mutex
	cache   map[string]cached // by relative path

	// onWatching, when set (tests), is called once Watch has taken its first listing.
	onWatching func()
}

var _ store.Store = (*Store)(nil)

// cached is a downloaded file, valid while the listing shows the same
// object, modification time and size, and for at most the resync interval.
type cached struct {
	objectID, modifiedAt, size int64
	data                       []byte
	version                    string
	fetched                    time.Time
}

// New returns a Store over the workspace folder dir ("/Users/me/gateway";
// the /Workspace/... form of the same path is accepted). It makes no call:
// see Check.
func New(api API, dir string, opts Options) (*Store, error) {
	root, err := apiPath(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{api: api, dir: dir, root: root, poll: opts.PollInterval, resync: opts.ResyncInterval,
		timeout: opts.CallTimeout, log: opts.Logger, now: time.Now, cache: map[string]cached{}}
	if s.poll <= 0 {
		s.poll = DefaultPollInterval
	}
	if s.resync <= 0 {
		s.resync = DefaultResyncInterval
	}
	if s.timeout <= 0 {
		s.timeout = dbx.CallTimeout
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("store", "databricks", "dir", dir)
	return s, nil
}

// apiPath turns a configured folder into the path the workspace API uses.
func apiPath(dir string) (string, error) {
	if !strings.HasPrefix(dir, "/") {
		return "", fmt.Errorf("workspace folder %q: must be an absolute workspace path such as /Users/me@example.com/gateway or /Shared/gateway", dir)
	}
	p := path.Clean(dir)
	// /Workspace/... is how the folder shows in the UI and on an App's disk;
	// the API's canonical form has no such prefix.
	if rest, ok := strings.CutPrefix(p, "/Workspace/"); ok {
		p = "/" + rest
	}
	if p == "/" || p == "/Workspace" {
		return "", fmt.Errorf("workspace folder %q: the workspace root is not allowed, use a folder of its own", dir)
	}
	return p, nil
}

// Dir returns the folder as configured.
func (s *Store) Dir() string { return s.dir }

// Check makes sure the folder exists (creating it when missing) and is a
// folder, so that a wrong path or missing permission shows at startup.
func (s *Store) Check(ctx context.Context) error {
	info, err := s.getStatus(ctx, s.root)
	if dbx.IsNotFound(err) {
		if err := s.mkdirs(ctx, s.root); err != nil {
			return fmt.Errorf("create workspace folder %s: %w", s.dir, err)
		}
		s.log.Info("created the workspace folder")
		return nil
	}
	if err != nil {
		return fmt.Errorf("workspace folder %s: %w", s.dir, err)
	}
	if !isFolder(info.ObjectType) {
		return fmt.Errorf("workspace folder %s: is a %s, not a folder", s.dir, info.ObjectType)
	}
	return nil
}

// List returns every manifest document below the folder, sorted by path.
// Files that vanish while listing are skipped; any other failure fails the
// List, so a caller keeps its last good state rather than seeing deletions.
func (s *Store) List(ctx context.Context) ([]store.Document, error) {
	files, err := s.listFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.dir, err)
	}
	docs := make([]store.Document, 0, len(files))
	for _, f := range files {
		c, err := s.content(ctx, f.rel, f.info, false)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.dir, err)
		}
		docs = append(docs, store.Document{Path: f.rel, Version: c.version, Data: c.data})
	}
	s.forgetExcept(files)
	sort.Slice(docs, func(i, j int) bool { return docs[i].Path < docs[j].Path })
	return docs, nil
}

// Get returns one document, or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, p string) (store.Document, error) {
	if err := localdir.ValidatePath(p); err != nil {
		return store.Document{}, fmt.Errorf("get %s: %w", p, err)
	}
	c, err := s.read(ctx, p, false)
	if err != nil {
		return store.Document{}, fmt.Errorf("get %s: %w", p, err)
	}
	return store.Document{Path: p, Version: c.version, Data: c.data}, nil
}

// read returns a file's content, or store.ErrNotFound when it is missing or
// not a file. fresh skips the cache (for the version check of a write).
func (s *Store) read(ctx context.Context, p string, fresh bool) (cached, error) {
	info, err := s.getStatus(ctx, s.abs(p))
	if dbx.IsNotFound(err) {
		return cached{}, store.ErrNotFound
	}
	if err != nil {
		return cached{}, err
	}
	if info.ObjectType != dbx.ObjectTypeFile {
		return cached{}, store.ErrNotFound
	}
	return s.content(ctx, p, *info, fresh)
}

// Put writes a document. expectedVersion "" requires the path not to exist,
// store.AnyVersion skips the check, and any other value must equal the current
// version (else store.ErrConflict); see the package comment for the race
// that remains. Missing folders are created.
func (s *Store) Put(ctx context.Context, p string, data []byte, expectedVersion string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("put %s: %w", p, err)
	}
	if err := localdir.ValidatePath(p); err != nil {
		return "", fmt.Errorf("put %s: %w", p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.forget(p)
	switch expectedVersion {
	case store.AnyVersion, "":
	default:
		cur, err := s.read(ctx, p, true)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return "", fmt.Errorf("put %s: %w: expected version %s but the file does not exist", p, store.ErrConflict, expectedVersion)
		case err != nil:
			return "", fmt.Errorf("put %s: %w", p, err)
		case cur.version != expectedVersion:
			return "", fmt.Errorf("put %s: %w: expected version %s, found %s", p, store.ErrConflict, expectedVersion, cur.version)
		}
	}
	full := s.abs(p)
	if err := s.mkdirs(ctx, path.Dir(full)); err != nil {
		return "", fmt.Errorf("put %s: create folder: %w", p, err)
	}
	// Import's format AUTO stores a .yaml/.yml/.json as a workspace file,
	// byte for byte (only notebook extensions such as .py become notebooks).
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := s.api.Import(ctx, full, data, expectedVersion != "")
	if expectedVersion == "" && dbx.IsAlreadyExists(err) {
		return "", fmt.Errorf("put %s: %w: file already exists", p, store.ErrConflict)
	}
	if err != nil {
		return "", fmt.Errorf("put %s: import: %w", p, err)
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
	if err := localdir.ValidatePath(p); err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.forget(p)
	if expectedVersion == "" || expectedVersion == store.AnyVersion {
		// Unconditional: only whether it is a file matters, not its content.
		info, err := s.getStatus(ctx, s.abs(p))
		if dbx.IsNotFound(err) || (err == nil && info.ObjectType != dbx.ObjectTypeFile) {
			return fmt.Errorf("delete %s: %w", p, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("delete %s: %w", p, err)
		}
	} else {
		cur, err := s.read(ctx, p, true)
		if err != nil {
			return fmt.Errorf("delete %s: %w", p, err)
		}
		if cur.version != expectedVersion {
			return fmt.Errorf("delete %s: %w: expected version %s, found %s", p, store.ErrConflict, expectedVersion, cur.version)
		}
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	err := s.api.Delete(ctx, s.abs(p), false)
	if dbx.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", p, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

// remoteFile is a manifest file found by listing.
type remoteFile struct {
	rel  string
	info dbx.ObjectInfo
}

// listFiles walks the folder breadth-first, one list call per folder,
// skipping hidden and temporary folders as localdir does. A sub-folder that
// vanishes mid-walk is skipped; a missing root is an error.
func (s *Store) listFiles(ctx context.Context) ([]remoteFile, error) {
	var files []remoteFile
	queue := []string{""}
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		objs, err := s.listDir(ctx, s.abs(rel))
		if rel != "" && dbx.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			// Children are named by their last segment, so the result does
			// not depend on how the service spells the folder's own path.
			child := path.Base(o.Path)
			if rel != "" {
				child = rel + "/" + child
			}
			switch {
			case isFolder(o.ObjectType):
				if localdir.ValidatePath(child+"/x.yaml") == nil {
					queue = append(queue, child)
				}
			case o.ObjectType == dbx.ObjectTypeFile:
				if localdir.ValidatePath(child) == nil {
					files = append(files, remoteFile{rel: child, info: o})
				}
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	return files, nil
}

// isFolder reports the object types that hold files: folders, and Git folders.
func isFolder(t dbx.ObjectType) bool {
	return t == dbx.ObjectTypeDirectory || t == dbx.ObjectTypeRepo
}

// content returns a file's bytes and version, from the cache when the
// listing still shows the same object, time and size.
func (s *Store) content(ctx context.Context, rel string, info dbx.ObjectInfo, fresh bool) (cached, error) {
	now := s.now()
	if !fresh {
		s.cacheMu.Lock()
		c, ok := s.cache[rel]
		s.cacheMu.Unlock()
		if ok && c.objectID == info.ObjectID && c.modifiedAt == info.ModifiedAt && c.size == info.Size &&
			now.Sub(c.fetched) < s.resync {
			return c, nil
		}
	}
	data, err := s.download(ctx, s.abs(rel))
	if dbx.IsNotFound(err) {
		return cached{}, store.ErrNotFound
	}
	if err != nil {
		return cached{}, fmt.Errorf("read %s: %w", rel, err)
	}
	c := cached{objectID: info.ObjectID, modifiedAt: info.ModifiedAt, size: info.Size,
		data: data, version: version(data), fetched: now}
	// A size that does not match means the file changed after it was listed:
	// the content is newer than the key, so do not cache it under that key.
	if int64(len(data)) == info.Size {
		s.cacheMu.Lock()
		s.cache[rel] = c
		s.cacheMu.Unlock()
	}
	return c, nil
}

func (s *Store) forget(rel string) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	delete(s.cache, rel)
}

// forgetExcept drops cached files that are no longer listed.
func (s *Store) forgetExcept(files []remoteFile) {
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[f.rel] = true
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for rel := range s.cache {
		if !keep[rel] {
			delete(s.cache, rel)
		}
	}
}

// abs is the API path of a relative path ("" is the root).
func (s *Store) abs(rel string) string {
	if rel == "" {
		return s.root
	}
	return s.root + "/" + rel
}

// call bounds one API call and routes the client's log lines to our logger.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(dbx.WithLogger(ctx, s.log), s.timeout)
}

func (s *Store) listDir(ctx context.Context, p string) ([]dbx.ObjectInfo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	objs, err := s.api.List(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list folder %s: %w", p, err)
	}
	return objs, nil
}

func (s *Store) getStatus(ctx context.Context, p string) (*dbx.ObjectInfo, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	info, err := s.api.GetStatus(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("get status of %s: %w", p, err)
	}
	return info, nil
}

func (s *Store) download(ctx context.Context, p string) ([]byte, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	data, err := s.api.Export(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", p, err)
	}
	return data, nil
}

func (s *Store) mkdirs(ctx context.Context, p string) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.api.Mkdirs(ctx, p); err != nil {
		return fmt.Errorf("mkdirs %s: %w", p, err)
	}
	return nil
}

// version is the hex of the first 16 bytes of the SHA-256 of the content,
// as localdir computes it: a manifest keeps its version if it moves between
// a local folder and the workspace.
func version(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}
