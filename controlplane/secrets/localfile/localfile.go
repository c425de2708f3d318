// Package localfile is a secrets.Store kept in one encrypted JSON file in the
// gateway's data folder. Each value is sealed with AES-256-GCM under a fresh
// random nonce, with the scope and key as additional data so that entries
// cannot be swapped. The key comes from GATEWAY_SECRET_KEY or a generated
// 0600 key file beside the data.
package localfile

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ai-gateway/gateway/controlplane/internal/atomicfile"
	"github.com/ai-gateway/gateway/controlplane/secrets"
)

// DataFileName is the encrypted store's file name inside the data folder.
const DataFileName = "secrets.json"

// LockFileName guards read-modify-write cycles across processes.
const LockFileName = "secrets.lock"

const fileVersion = 1

// Options configures Open.
type Options struct {
	// Key is the value of GATEWAY_SECRET_KEY: 32 bytes as base64 (standard or
	// URL, padded or not) or 64 hex characters. Empty means the key file
	// <dataDir>/secret.key, generated on first use.
	Key string
	// Logger receives warnings. Nil means slog.Default().
	Logger *slog.Logger
}

// Store is an encrypted file of secrets. It is safe for concurrent use, and it
// re-reads the file when another process has replaced it.
type Store struct {
	path string
	aead cipher.AEAD
	log  *slog.Logger

	mu      sync.Mutex
	entries map[string]entry // sealed values, by "scope/key"
	stat    fs.FileInfo      // of the file entries were read from; nil if missing
}

var _ secrets.Store = (*Store)(nil)

type fileFormat struct {
	Version int              `json:"version"`
	Entries map[string]entry `json:"entries"`
}

type entry struct {
	Nonce      []byte `json:"nonce"`      // base64 in JSON
	Ciphertext []byte `json:"ciphertext"` // base64 in JSON, GCM tag included
}

// Open opens (or creates on first Put) the store in dataDir, creating the
// folder with mode 0700 if it is missing.
func Open(dataDir string, opts Options) (*Store, error) {
	if dataDir == "" {
		return nil, errors.New("secret store: empty data directory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("store", "localfile", "dir", dataDir)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("secret store %s: %w", dataDir, err)
	}
	key, err := loadKey(dataDir, opts, log)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret store: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret store: %w", err)
	}
	s := &Store{path: filepath.Join(dataDir, DataFileName), aead: aead, log: log}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	// A wrong key is reported on Get, but say so early too.
	undecryptable := 0
	for name, e := range s.entries {
		scope, key, _ := strings.Cut(name, "/")
		if _, err := s.open(scope, key, e); err != nil {
			undecryptable++
		}
	}
	if undecryptable > 0 {
		log.Warn("the secret key does not decrypt some stored secrets; wrong GATEWAY_SECRET_KEY?",
			"path", s.path, "undecryptable", undecryptable, "total", len(s.entries))
	}
	return s, nil
}

// LogValue keeps the key material out of logs if a Store is ever logged.
func (s *Store) LogValue() slog.Value {
	return slog.GroupValue(slog.String("path", s.path))
}

// Get returns a secret's value, or an error wrapping secrets.ErrNotFound.
func (s *Store) Get(ctx context.Context, scope, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("get secret %s/%s: %w", scope, key, err)
	}
	if err := validName(scope, key); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return "", err
	}
	e, ok := s.entries[scope+"/"+key]
	if !ok {
		return "", fmt.Errorf("secret %s/%s: %w", scope, key, secrets.ErrNotFound)
	}
	value, err := s.open(scope, key, e)
	if err != nil {
		return "", err
	}
	return value, nil
}

// Put creates or replaces a secret.
func (s *Store) Put(ctx context.Context, scope, key, value string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put secret %s/%s: %w", scope, key, err)
	}
	if err := validName(scope, key); err != nil {
		return err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("put secret %s/%s: %w", scope, key, err)
	}
	e := entry{Nonce: nonce, Ciphertext: s.aead.Seal(nil, nonce, []byte(value), aad(scope, key))}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("put secret %s/%s: %w", scope, key, err)
	}
	defer unlock()
	if err := s.refresh(); err != nil {
		return err
	}
	next := maps.Clone(s.entries)
	if next == nil {
		next = make(map[string]entry)
	}
	next[scope+"/"+key] = e
	if err := s.write(next); err != nil {
		return fmt.Errorf("put secret %s/%s: %w", scope, key, err)
	}
	return nil
}

// Delete removes a secret; a missing one is not an error.
func (s *Store) Delete(ctx context.Context, scope, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete secret %s/%s: %w", scope, key, err)
	}
	if err := validName(scope, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock()
	if err != nil {
		return fmt.Errorf("delete secret %s/%s: %w", scope, key, err)
	}
	defer unlock()
	if err := s.refresh(); err != nil {
		return err
	}
	name := scope + "/" + key
	if _, ok := s.entries[name]; !ok {
		return nil
	}
	next := maps.Clone(s.entries)
	delete(next, name)
	if err := s.write(next); err != nil {
		return fmt.Errorf("delete secret %s/%s: %w", scope, key, err)
	}
	return nil
}

// lock takes the cross-process write lock. s.mu must be held.
func (s *Store) lock() (func(), error) {
	return lockFile(filepath.Join(filepath.Dir(s.path), LockFileName))
}

// open decrypts one entry. Its error never contains the value.
func (s *Store) open(scope, key string, e entry) (string, error) {
	if len(e.Nonce) != s.aead.NonceSize() {
		return "", fmt.Errorf("decrypt secret %s/%s: wrong GATEWAY_SECRET_KEY or corrupted store", scope, key)
	}
	plain, err := s.aead.Open(nil, e.Nonce, e.Ciphertext, aad(scope, key))
	if err != nil {
		return "", fmt.Errorf("decrypt secret %s/%s: wrong GATEWAY_SECRET_KEY or corrupted store", scope, key)
	}
	return string(plain), nil
}

// refresh re-reads the file if it is not the one last read (another process
// replaced it) or changed size or modification time. s.mu must be held.
func (s *Store) refresh() error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.entries, s.stat = nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("read secret store %s: %w", s.path, err)
	}
	if s.stat != nil && os.SameFile(fi, s.stat) && fi.Size() == s.stat.Size() && fi.ModTime().Equal(s.stat.ModTime()) {
		return nil
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("read secret store %s: %w", s.path, err)
	}
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("read secret store %s: corrupted: %w", s.path, err)
	}
	if f.Version != fileVersion {
		return fmt.Errorf("read secret store %s: unsupported version %d", s.path, f.Version)
	}
	s.entries, s.stat = f.Entries, fi
	return nil
}

// write replaces the file atomically (temporary file, fsync, rename; mode
// 0600) and makes entries the cached state. s.mu must be held.
func (s *Store) write(entries map[string]entry) error {
	data, err := json.MarshalIndent(fileFormat{Version: fileVersion, Entries: entries}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.path, append(data, '\n'), 0o600); err != nil {
		return err
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		fi = nil // force a re-read next time
	}
	s.entries, s.stat = entries, fi
	return nil
}

// aad binds a ciphertext to its scope and key.
func aad(scope, key string) []byte { return []byte(scope + "\x00" + key) }

func validName(scope, key string) error {
	for _, part := range []struct{ what, v string }{{"scope", scope}, {"key", key}} {
		if part.v == "" || strings.ContainsAny(part.v, "/\x00") {
			return fmt.Errorf("invalid secret %s %q: must be non-empty without / or NUL", part.what, part.v)
		}
	}
	return nil
}
