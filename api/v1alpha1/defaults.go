package v1alpha1

import "time"

// Defaults applied by Default.
const (
	// DefaultTask is the task of an Endpoint that names none.
	DefaultTask = TaskChat
	// DefaultRetryAttempts is the number of tries when `retry` is given without attempts.
	DefaultRetryAttempts int32 = 2
	// DefaultRetryBackoff is the pause before a retry when `retry` is given without one.
	DefaultRetryBackoff = 250 * time.Millisecond
)

// Default fills defaults in place. It is idempotent and never invents a
// credential, a weight or a timeout:
//
//   - apiVersion and kind, when empty, are set from the Go type;
//   - Endpoint: spec.task defaults to chat; a `retry` block without attempts gets
//     2 attempts and, without a backoff, 250ms. No `retry` block means no retry
//     (one attempt) and stays nil. Timeout and weights stay unset: the data plane
//     has its own timeout, and targets without a weight share traffic equally.
//   - APIKey: nothing beyond apiVersion and kind.
func Default(obj Object) {
	switch o := obj.(type) {
	case *Endpoint:
		if o == nil {
			return
		}
		defaultTypeMeta(&o.TypeMeta, KindEndpoint)
		defaultEndpointSpec(&o.Spec)
	case *APIKey:
		if o == nil {
			return
		}
		defaultTypeMeta(&o.TypeMeta, KindAPIKey)
	}
}

func defaultTypeMeta(tm *TypeMeta, kind string) {
	if tm.APIVersion == "" {
		tm.APIVersion = GroupVersion
	}
	if tm.Kind == "" {
		tm.Kind = kind
	}
}

func defaultEndpointSpec(s *EndpointSpec) {
	if s.Task == "" {
		s.Task = DefaultTask
	}
	if s.Retry != nil {
		if s.Retry.Attempts == 0 {
			s.Retry.Attempts = DefaultRetryAttempts
		}
		if s.Retry.Backoff == nil {
			s.Retry.Backoff = &Duration{Duration: DefaultRetryBackoff}
		}
	}
}
