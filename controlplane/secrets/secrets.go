// Package secrets defines the credential store the controller resolves APIKey
// secretRefs against, and into which write-only values are moved.
package secrets

import (
	"context"
	"errors"
)

// ErrNotFound is returned when a scope/key pair holds no secret.
var ErrNotFound = errors.New("secret not found")

// Store reads and writes secrets by scope and key. Implementations must never
// include a secret's value in an error or a log line.
type Store interface {
	// Get returns the secret's value or an error wrapping ErrNotFound.
	Get(ctx context.Context, scope, key string) (string, error)
	// Put creates or replaces a secret.
	Put(ctx context.Context, scope, key, value string) error
	// Delete removes a secret; deleting a missing secret is not an error.
	Delete(ctx context.Context, scope, key string) error
}
