package localfile

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ai-gateway/gateway/controlplane/internal/atomicfile"
)

// KeyFileName is the generated key's file name inside the data folder.
const KeyFileName = "secret.key"

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// errBadEnvKey never includes the offending value.
var errBadEnvKey = errors.New("GATEWAY_SECRET_KEY must be 32 bytes encoded as base64 or hex")

// parseKey decodes 32 bytes given as 64 hex characters or as standard or URL
// base64, padded or not. Surrounding white space is ignored.
func parseKey(text string) ([]byte, bool) {
	text = strings.TrimSpace(text)
	if len(text) == 2*KeySize {
		if k, err := hex.DecodeString(text); err == nil {
			return k, true
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if k, err := enc.DecodeString(text); err == nil && len(k) == KeySize {
			return k, true
		}
	}
	return nil, false
}

// loadKey returns the key from opts.Key, or from <dataDir>/secret.key, which
// it creates (0600, in a 0700 folder) when missing.
func loadKey(dataDir string, opts Options, log *slog.Logger) ([]byte, error) {
	if opts.Key != "" {
		k, ok := parseKey(opts.Key)
		if !ok {
			return nil, errBadEnvKey
		}
		return k, nil
	}
	path := filepath.Join(dataDir, KeyFileName)
	k, err := readKeyFile(path, log)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) { // another process created it first
		return readKeyFile(path, log)
	}
	if err != nil {
		return nil, err
	}
	log.Info("generated a new secret key; back it up, or set GATEWAY_SECRET_KEY", "path", path)
	return k, nil
}

func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("secret key file is readable by group or others; chmod 600 it",
			"path", path, "mode", fi.Mode().Perm().String())
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	k, ok := parseKey(string(text))
	if !ok {
		return nil, fmt.Errorf("secret key file %s: must hold 32 bytes encoded as base64 or hex", path)
	}
	return k, nil
}

// createKeyFile writes a fresh random key to a temporary file and links it
// into place, so the key file appears complete or not at all, and never
// replaces a key another process created meanwhile (that is fs.ErrExist).
func createKeyFile(path string) ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(k) + "\n")
	f, err := os.CreateTemp(filepath.Dir(path), "."+KeyFileName+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create secret key %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	_, err = f.Write(text)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create secret key %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("create secret key %s: %w", path, err)
	}
	atomicfile.SyncDir(filepath.Dir(path))
	return k, nil
}
