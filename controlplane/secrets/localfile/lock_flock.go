//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package localfile

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on path (created 0600 if missing),
// so that read-modify-write cycles of several processes sharing the data
// folder do not lose each other's updates.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
