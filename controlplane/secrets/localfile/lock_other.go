//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package localfile

// lockFile is a no-op where flock is unavailable: writes stay atomic, but
// concurrent writers in different processes may lose each other's updates.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
