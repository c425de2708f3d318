// Package state is the data plane's read model: resolved Endpoints and provider
// credentials in a go-memdb database, plus the compiled routing snapshot the
// request path reads. The control plane writes it through Index.Replace; the
// data plane never sees a manifest.
package state

import (
	"time"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Endpoint is a resolved Endpoint: every target names a credential that exists.
type Endpoint struct {
	// Name is what clients send as "model".
	Name string
	// Task is what the Endpoint serves.
	Task providers.Task
	// Targets split traffic by Weight.
	Targets []Target
	// Fallbacks are tried in order after the chosen target fails retryably.
	Fallbacks []Target
	// Retry re-sends a failed attempt to the same target.
	Retry Retry
	// Timeout bounds a whole client request; zero means DefaultTimeout.
	Timeout time.Duration
	// RateLimit caps traffic; zero values mean no cap.
	RateLimit RateLimit
	// Generation is the manifest generation this was compiled from.
	Generation int64
	// Labels are the manifest's labels, for listing.
	Labels map[string]string
}

// Target is one model behind one credential.
type Target struct {
	// Model is the provider's model name.
	Model string
	// Credential names a Credential in the same snapshot.
	Credential string
	// Weight is the share of traffic; zero-weight targets get none.
	Weight uint32
}

// Retry is how often one target is tried.
type Retry struct {
	// Attempts per target, the first included; values below 1 mean 1.
	Attempts int
	// Backoff before the first retry; it doubles for each further one.
	Backoff time.Duration
}

// RateLimit caps an Endpoint per minute.
type RateLimit struct {
	RequestsPerMinute int64
	TokensPerMinute   int64
}

// DefaultTimeout applies to Endpoints that set none: long enough for slow
// reasoning models, short enough that a hung upstream is noticed.
const DefaultTimeout = 5 * time.Minute
