package localfile

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/secrets"
)

const canary = "sk-canary-7f3a9c1e-DO-NOT-LEAK"

var ctx = context.Background()

func open(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

func rawKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestRoundTrip(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	if _, err := s.Get(ctx, "openai", "prod"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "openai", "prod"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	if err := s.Put(ctx, "openai", "prod", canary); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "anthropic", "prod", ""); err != nil { // empty values are allowed
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "openai", "prod"); err != nil || got != canary {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got, err := s.Get(ctx, "anthropic", "prod"); err != nil || got != "" {
		t.Fatalf("Get empty = %q, %v", got, err)
	}
	if err := s.Put(ctx, "openai", "prod", "replaced"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "openai", "prod"); got != "replaced" {
		t.Fatalf("Get after replace = %q", got)
	}
	if err := s.Delete(ctx, "openai", "prod"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "openai", "prod")
	if !errors.Is(err, secrets.ErrNotFound) || err.Error() != "secret openai/prod: secret not found" {
		t.Fatalf("Get deleted: %v", err)
	}
}

func TestPersistenceAndOtherWriters(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, Options{})
	b := open(t, dir, Options{}) // same generated key file
	if err := a.Put(ctx, "s", "k", canary); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "s", "k"); err != nil || got != canary {
		t.Fatalf("other instance Get = %q, %v", got, err)
	}
	if err := b.Put(ctx, "s", "k2", "two"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(ctx, "s", "k2"); err != nil || got != "two" {
		t.Fatalf("reload after another writer = %q, %v", got, err)
	}
	c := open(t, dir, Options{})
	for k, want := range map[string]string{"k": canary, "k2": "two"} {
		if got, err := c.Get(ctx, "s", k); err != nil || got != want {
			t.Errorf("after reopen Get(%s) = %q, %v", k, got, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{Key: base64.StdEncoding.EncodeToString(rawKey(1))})
	if err := s.Put(ctx, "s", "k", canary); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	other := open(t, dir, Options{Key: base64.StdEncoding.EncodeToString(rawKey(2)), Logger: logTo(&logs)})
	_, err := other.Get(ctx, "s", "k")
	if err == nil || err.Error() != "decrypt secret s/k: wrong GATEWAY_SECRET_KEY or corrupted store" {
		t.Fatalf("Get with wrong key: %v", err)
	}
	if errors.Is(err, secrets.ErrNotFound) {
		t.Error("wrong key must not look like a missing secret")
	}
	if !strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), canary) {
		t.Errorf("want a warning without the value at Open, got %q", logs.String())
	}
}

func TestKeyEncodings(t *testing.T) {
	dir := t.TempDir()
	k := rawKey(7)
	s := open(t, dir, Options{Key: hex.EncodeToString(k)})
	if err := s.Put(ctx, "s", "k", canary); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		hex.EncodeToString(k),
		strings.ToUpper(hex.EncodeToString(k)),
		base64.StdEncoding.EncodeToString(k),
		base64.RawStdEncoding.EncodeToString(k),
		base64.URLEncoding.EncodeToString(k),
		base64.RawURLEncoding.EncodeToString(k),
		" " + base64.StdEncoding.EncodeToString(k) + "\n",
	} {
		got, err := open(t, dir, Options{Key: text}).Get(ctx, "s", "k")
		if err != nil || got != canary {
			t.Errorf("key %q: Get = %q, %v", text, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Errorf("a key file was created although a key was given: %v", err)
	}
}

func TestBadKey(t *testing.T) {
	for _, bad := range []string{
		"hunter2-super-secret",
		base64.StdEncoding.EncodeToString(rawKey(1)[:31]),
		base64.StdEncoding.EncodeToString(append(rawKey(1), 1)),
		hex.EncodeToString(rawKey(1)[:31]) + "zz",
		hex.EncodeToString(rawKey(1)[:16]),
	} {
		_, err := Open(t.TempDir(), Options{Key: bad})
		if err == nil {
			t.Errorf("key %q accepted", bad)
			continue
		}
		if err.Error() != "GATEWAY_SECRET_KEY must be 32 bytes encoded as base64 or hex" {
			t.Errorf("error = %q", err)
		}
		if strings.Contains(err.Error(), bad) {
			t.Errorf("error echoes the key: %q", err)
		}
	}
}

func TestFileModesAndCiphertext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := open(t, dir, Options{})
	if err := s.Put(ctx, "openai", "prod", canary); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"": 0o700, KeyFileName: 0o600, DataFileName: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%q mode = %v, %v; want %v", name, fi.Mode().Perm(), err, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, DataFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{canary, base64.StdEncoding.EncodeToString([]byte(canary)), "canary"} {
		if bytes.Contains(data, []byte(leak)) {
			t.Errorf("data file contains %q", leak)
		}
	}
	var f struct {
		Version int                          `json:"version"`
		Entries map[string]map[string]string `json:"entries"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		t.Fatalf("format: %v, version %d", err, f.Version)
	}
	e := f.Entries["openai/prod"]
	if e["nonce"] == "" || e["ciphertext"] == "" {
		t.Errorf("entry = %v", e)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // key, data, lock
		t.Errorf("leftover files: %v", entries)
	}
}

func TestGroupReadableKeyFileWarns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(rawKey(3))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := open(t, dir, Options{Logger: logTo(&logs)})
	if !strings.Contains(logs.String(), "readable by group or others") {
		t.Errorf("no warning: %q", logs.String())
	}
	if err := s.Put(ctx, "s", "k", "v"); err != nil {
		t.Fatal(err)
	}
	// The file's key is the one used.
	if got, err := open(t, dir, Options{Key: hex.EncodeToString(rawKey(3))}).Get(ctx, "s", "k"); err != nil || got != "v" {
		t.Errorf("Get with the file's key = %q, %v", got, err)
	}
}

func TestSwappedEntriesFail(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	if err := s.Put(ctx, "a", "x", "value-x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a", "y", "value-y"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, DataFileName)
	data, _ := os.ReadFile(path)
	var f fileFormat
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	f.Entries["a/x"], f.Entries["a/y"] = f.Entries["a/y"], f.Entries["a/x"]
	data, _ = json.Marshal(f)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, Options{})
	for _, k := range []string{"x", "y"} {
		got, err := s2.Get(ctx, "a", k)
		if err == nil || !strings.Contains(err.Error(), "wrong GATEWAY_SECRET_KEY or corrupted store") {
			t.Errorf("Get a/%s after swap = %q, %v; want decrypt error", k, got, err)
		}
	}
}

func TestInvalidNames(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	for _, n := range [][2]string{{"", "k"}, {"s", ""}, {"a/b", "k"}, {"s", "k/2"}, {"s\x00", "k"}, {"s", "k\x00"}} {
		if err := s.Put(ctx, n[0], n[1], "v"); err == nil {
			t.Errorf("Put(%q, %q) accepted", n[0], n[1])
		}
		if _, err := s.Get(ctx, n[0], n[1]); err == nil || errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("Get(%q, %q) = %v, want a validation error", n[0], n[1], err)
		}
		if err := s.Delete(ctx, n[0], n[1]); err == nil {
			t.Errorf("Delete(%q, %q) accepted", n[0], n[1])
		}
	}
}

func TestCorruptedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DataFileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Error("Open of a corrupted file: want error")
	}
}

func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, Options{})
	b := open(t, dir, Options{}) // a second view, reloading from disk
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if w%2 == 1 {
				s = b
			}
			for i := range 20 {
				key := fmt.Sprintf("w%d-%d", w, i)
				if err := s.Put(ctx, "scope", key, key); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Get(ctx, "scope", key); err != nil || got != key {
					t.Errorf("Get(%s) = %q, %v", key, got, err)
					return
				}
				if i%3 == 0 {
					if err := s.Delete(ctx, "scope", key); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	// The two instances stand for two processes: the file lock keeps their
	// read-modify-write cycles from losing each other's updates.
	for w := range 8 {
		s := a
		if w%2 == 1 {
			s = b
		}
		for i := range 20 {
			key := fmt.Sprintf("w%d-%d", w, i)
			got, err := s.Get(ctx, "scope", key)
			switch {
			case i%3 == 0 && !errors.Is(err, secrets.ErrNotFound):
				t.Errorf("Get(%s) after delete: %v", key, err)
			case i%3 != 0 && (err != nil || got != key):
				t.Errorf("Get(%s) = %q, %v", key, got, err)
			}
		}
	}
}
