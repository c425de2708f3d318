package v1alpha1

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits enforced by Validate.
const (
	MaxRetryAttempts = 10
	MaxRetryBackoff  = time.Minute
	MaxTimeout       = time.Hour
)

// Detail texts shared by several checks.
const (
	dns1123LabelDetail = "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
	labelKeyDetail     = "invalid key: must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/'"
	labelValueDetail   = "invalid value: must be at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
)

var (
	dns1123LabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1123SubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedNameRE    = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
)

// IsDNS1123Label reports whether s is a DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?,
// at most 63 characters. Resource names and apiKeyRefs must be one.
func IsDNS1123Label(s string) bool {
	return len(s) <= 63 && dns1123LabelRE.MatchString(s)
}

// IsDNS1123Subdomain reports whether s is DNS-1123 labels joined by dots, at most
// 253 characters.
func IsDNS1123Subdomain(s string) bool {
	return len(s) <= 253 && dns1123SubdomainRE.MatchString(s)
}

// IsLabelKey reports whether s is a valid label key: a name of at most 63
// characters of [A-Za-z0-9_.-] starting and ending with a letter or digit,
// optionally prefixed by a DNS-1123 subdomain and '/' ("example.com/team").
func IsLabelKey(s string) bool {
	prefix, name, found := strings.Cut(s, "/")
	if found && !IsDNS1123Subdomain(prefix) {
		return false
	}
	if !found {
		name = prefix
	}
	return len(name) <= 63 && qualifiedNameRE.MatchString(name)
}

// IsLabelValue reports whether s is a valid label value: empty, or at most 63
// characters of [A-Za-z0-9_.-] starting and ending with a letter or digit.
func IsLabelValue(s string) bool {
	return s == "" || (len(s) <= 63 && qualifiedNameRE.MatchString(s))
}

// Validate checks an object's structure and returns every problem found, each
// with its field path, or nil when the object is valid. It does not resolve
// references (whether an APIKey exists, whether its provider serves the task,
// whether the provider needs a credential): the controller does, and reports
// the outcome in status. Zero values that Default fills (task, retry attempts,
// apiVersion, kind) are accepted. No error text ever contains spec.value.
func Validate(obj Object) FieldErrors {
	var v validator
	switch o := obj.(type) {
	case *Endpoint:
		if o == nil {
			return FieldErrors{{Detail: "nil Endpoint"}}
		}
		v.typeMeta(o.TypeMeta, KindEndpoint)
		v.metadata(&o.Metadata)
		v.endpointSpec(&o.Spec)
	case *APIKey:
		if o == nil {
			return FieldErrors{{Detail: "nil APIKey"}}
		}
		v.typeMeta(o.TypeMeta, KindAPIKey)
		v.metadata(&o.Metadata)
		v.apiKeySpec(&o.Spec)
	default:
		return FieldErrors{{Detail: fmt.Sprintf("unsupported object type %T", obj)}}
	}
	return v.errs
}

type validator struct {
	errs FieldErrors
}

func (v *validator) fail(path, detail string) {
	v.errs = append(v.errs, FieldError{Field: path, Detail: detail})
}

func (v *validator) typeMeta(tm TypeMeta, kind string) {
	if tm.APIVersion != "" && tm.APIVersion != GroupVersion {
		v.fail("apiVersion", fmt.Sprintf("unsupported version %q: must be %s", tm.APIVersion, GroupVersion))
	}
	if tm.Kind != "" && tm.Kind != kind {
		v.fail("kind", fmt.Sprintf("must be %s, got %q", kind, tm.Kind))
	}
}

func (v *validator) metadata(m *ObjectMeta) {
	switch {
	case m.Name == "":
		v.fail("metadata.name", "required")
	case !IsDNS1123Label(m.Name):
		v.fail("metadata.name", dns1123LabelDetail)
	}
	v.labels("metadata.labels", m.Labels, true)
	v.labels("metadata.annotations", m.Annotations, false)
	if m.Generation < 0 {
		v.fail("metadata.generation", "must not be negative")
	}
}

// labels checks label keys and, when checkValues, label values; annotation
// values are free-form.
func (v *validator) labels(path string, m map[string]string, checkValues bool) {
	for _, k := range sortedKeys(m) {
		p := keyPath(path, k)
		if !IsLabelKey(k) {
			v.fail(p, labelKeyDetail)
		}
		if checkValues && !IsLabelValue(m[k]) {
			v.fail(p, labelValueDetail)
		}
	}
}

func (v *validator) endpointSpec(s *EndpointSpec) {
	switch s.Task {
	case "", TaskChat, TaskCompletions, TaskEmbeddings:
	default:
		v.fail("spec.task", fmt.Sprintf("unsupported value %q: must be one of %s, %s, %s", s.Task, TaskChat, TaskCompletions, TaskEmbeddings))
	}
	if len(s.Targets) == 0 {
		v.fail("spec.targets", "at least one target is required")
	}
	allWeighted, anyPositive := true, false
	for i := range s.Targets {
		t := &s.Targets[i]
		p := "spec.targets[" + strconv.Itoa(i) + "]"
		v.target(p, t)
		switch {
		case t.Weight == nil:
			allWeighted = false
		case *t.Weight < 0:
			v.fail(p+".weight", "must not be negative")
		case *t.Weight > 0:
			anyPositive = true
		}
	}
	if len(s.Targets) > 0 && allWeighted && !anyPositive {
		v.fail("spec.targets", "at least one target must have a positive weight")
	}
	for i := range s.Fallbacks {
		t := &s.Fallbacks[i]
		p := "spec.fallbacks[" + strconv.Itoa(i) + "]"
		v.target(p, t)
		if t.Weight != nil {
			v.fail(p+".weight", "not allowed on fallbacks")
		}
	}
	if r := s.Retry; r != nil {
		if r.Attempts < 0 || r.Attempts > MaxRetryAttempts {
			v.fail("spec.retry.attempts", fmt.Sprintf("must be between 1 and %d", MaxRetryAttempts))
		}
		if r.Backoff != nil {
			switch {
			case r.Backoff.Duration < 0:
				v.fail("spec.retry.backoff", "must not be negative")
			case r.Backoff.Duration > MaxRetryBackoff:
				v.fail("spec.retry.backoff", "must be at most 1m")
			}
		}
	}
	if s.Timeout != nil {
		switch {
		case s.Timeout.Duration <= 0:
			v.fail("spec.timeout", "must be positive")
		case s.Timeout.Duration > MaxTimeout:
			v.fail("spec.timeout", "must be at most 1h")
		}
	}
	if rl := s.RateLimit; rl != nil {
		if rl.RequestsPerMinute < 0 {
			v.fail("spec.rateLimit.requestsPerMinute", "must not be negative")
		}
		if rl.TokensPerMinute < 0 {
			v.fail("spec.rateLimit.tokensPerMinute", "must not be negative")
		}
	}
}

// target checks what targets and fallbacks share; weights are checked by the caller.
func (v *validator) target(p string, t *Target) {
	if strings.TrimSpace(t.Model) == "" {
		v.fail(p+".model", "required")
	}
	switch {
	case t.APIKeyRef == "":
		v.fail(p+".apiKeyRef", "required")
	case !IsDNS1123Label(t.APIKeyRef):
		v.fail(p+".apiKeyRef", dns1123LabelDetail)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
