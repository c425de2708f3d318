// Package atomicfile replaces files so that a reader, or the next start
// after a crash, sees the old content or the new one, never a part: the
// manifest folder and the secret store both write this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile writes data to a hidden temporary file beside path
// (".<name>.*.tmp", a name folder watchers can ignore) with mode perm,
// fsyncs it, renames it over path and fsyncs the folder. On failure the
// temporary file is removed and path is left as it was.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// Mode first, so that a secret is never on disk readable by others.
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	committed = true
	SyncDir(dir)
	return nil
}

// SyncDir makes a rename, link or removal in dir durable; failures are
// ignored because some filesystems do not support fsync on folders.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
