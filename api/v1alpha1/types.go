// Package v1alpha1 holds the gateway's resource types: Endpoint and APIKey, in the
// Kubernetes shape (TypeMeta, ObjectMeta, Spec, Status) without Kubernetes' libraries.
// It also owns strict decoding, defaulting and validation, so that the controller,
// the management API and offline `gatewayctl validate` share one set of rules.
package v1alpha1

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// GroupVersion is the apiVersion every manifest carries.
const GroupVersion = "gateway/v1alpha1"

// Kinds served by this API version.
const (
	KindEndpoint = "Endpoint"
	KindAPIKey   = "APIKey"
)

// TypeMeta names the kind and version of a manifest document.
type TypeMeta struct {
	// APIVersion is always "gateway/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind is "Endpoint" or "APIKey".
	Kind string `json:"kind"`
}

// ObjectMeta is the metadata every resource carries.
type ObjectMeta struct {
	// Name is a DNS-1123 label; for an Endpoint it is what clients send as "model".
	Name string `json:"name"`
	// Labels select resources, for example for `gatewayctl apply --prune -l team=x`.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations hold free-form, non-identifying notes.
	Annotations map[string]string `json:"annotations,omitempty"`
	// ResourceVersion is set by the server and used for optimistic concurrency.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Generation increases each time the spec changes; set by the server.
	Generation int64 `json:"generation,omitempty"`
}

// Condition reports one aspect of a resource's state, as Kubernetes conditions do.
type Condition struct {
	// Type is the aspect reported, for example "Ready".
	Type string `json:"type"`
	// Status is "True", "False" or "Unknown".
	Status string `json:"status"`
	// Reason is a CamelCase machine-readable cause, for example "APIKeyNotFound".
	Reason string `json:"reason"`
	// Message is a human-readable explanation; empty when all is well.
	Message string `json:"message"`
	// ObservedGeneration is the generation the condition was computed from.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// Status is written by the controller and never read from a manifest.
type Status struct {
	// ObservedGeneration is the generation the controller last reconciled.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions hold at least a Ready condition once reconciled.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("250ms", "2m").
type Duration struct {
	time.Duration
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a duration string such as \"250ms\" or \"2m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: must look like \"250ms\" or \"2m\"", s)
	}
	d.Duration = v
	return nil
}

// SecretString holds a credential in memory. It redacts itself whenever it is
// printed, logged or marshalled, so that a stray log line or API response cannot
// leak it; code that needs the value calls Reveal.
type SecretString string

const redacted = "[REDACTED]"

// Reveal returns the credential itself.
func (s SecretString) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s SecretString) String() string { return redacted }

// GoString implements fmt.GoStringer so %#v redacts too.
func (s SecretString) GoString() string { return redacted }

// Format redacts under every fmt verb (%s, %v, %q, %x, ...).
func (s SecretString) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s SecretString) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON never writes the credential.
func (s SecretString) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// UnmarshalJSON reads the credential from a manifest.
func (s *SecretString) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("must be a string")
	}
	*s = SecretString(v)
	return nil
}

// Object is implemented by every resource kind.
type Object interface {
	// GetTypeMeta returns the kind and version.
	GetTypeMeta() *TypeMeta
	// GetMetadata returns the object's metadata for reading and writing.
	GetMetadata() *ObjectMeta
	// GetStatus returns the controller-owned status.
	GetStatus() *Status
}
