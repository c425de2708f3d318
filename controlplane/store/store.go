// Package store defines where manifests live. A Store is a flat set of documents
// (files) addressed by a relative path, each with an opaque version; it fits both a
// watched local folder and a polled remote one (Databricks workspace files).
package store

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get and Delete for a path that does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by Put and Delete when the expected version does not
// match the stored one (optimistic concurrency).
var ErrConflict = errors.New("version conflict")

// AnyVersion as an expected version makes Put and Delete unconditional.
const AnyVersion = "*"

// Document is one manifest file.
type Document struct {
	// Path is relative to the store's root, with forward slashes ("endpoints/chat.yaml").
	Path string
	// Version changes whenever the content changes (a content hash for a local
	// file, the modification time for a workspace file).
	Version string
	// Data is the raw file content.
	Data []byte
}

// Store lists, reads, writes and watches manifest documents.
type Store interface {
	// List returns every manifest document, sorted by path.
	List(ctx context.Context) ([]Document, error)
	// Get returns one document or ErrNotFound.
	Get(ctx context.Context, path string) (Document, error)
	// Put writes a document atomically. expectedVersion is the version the caller
	// last saw: "" means the path must not exist yet, AnyVersion skips the check.
	// It returns the new version.
	Put(ctx context.Context, path string, data []byte, expectedVersion string) (string, error)
	// Delete removes a document, with expectedVersion as for Put.
	Delete(ctx context.Context, path, expectedVersion string) error
	// Watch blocks until ctx ends, sending on changed (without blocking: the
	// channel should have a buffer of one so signals coalesce) whenever the set
	// may have changed, including a periodic resync as a safety net.
	Watch(ctx context.Context, changed chan<- struct{}) error
}

// Notify sends on a one-slot channel without blocking; a pending signal already
// says "something changed", so a second one adds nothing.
func Notify(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
