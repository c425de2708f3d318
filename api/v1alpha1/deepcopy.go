package v1alpha1

import (
	"maps"
	"slices"
)

// DeepCopy returns a copy of the Endpoint that shares no memory with it.
func (in *Endpoint) DeepCopy() *Endpoint {
	if in == nil {
		return nil
	}
	out := *in
	out.Metadata = *in.Metadata.DeepCopy()
	out.Status = *in.Status.DeepCopy()
	s := &out.Spec
	s.Targets = copyTargets(in.Spec.Targets)
	s.Fallbacks = copyTargets(in.Spec.Fallbacks)
	if in.Spec.Retry != nil {
		r := *in.Spec.Retry
		r.Backoff = copyPtr(r.Backoff)
		s.Retry = &r
	}
	s.Timeout = copyPtr(in.Spec.Timeout)
	s.RateLimit = copyPtr(in.Spec.RateLimit)
	return &out
}

// DeepCopy returns a copy of the APIKey that shares no memory with it.
func (in *APIKey) DeepCopy() *APIKey {
	if in == nil {
		return nil
	}
	out := *in
	out.Metadata = *in.Metadata.DeepCopy()
	out.Status = *in.Status.DeepCopy()
	out.Spec.SecretRef = copyPtr(in.Spec.SecretRef)
	if c := in.Spec.Config; c != nil {
		cc := *c
		cc.Headers = maps.Clone(c.Headers)
		cc.Azure = copyPtr(c.Azure)
		cc.AWS = copyPtr(c.AWS)
		cc.Vertex = copyPtr(c.Vertex)
		out.Spec.Config = &cc
	}
	return &out
}

// DeepCopy returns a copy of the metadata that shares no memory with it.
func (in *ObjectMeta) DeepCopy() *ObjectMeta {
	if in == nil {
		return nil
	}
	out := *in
	out.Labels = maps.Clone(in.Labels)
	out.Annotations = maps.Clone(in.Annotations)
	return &out
}

// DeepCopy returns a copy of the status that shares no memory with it.
func (in *Status) DeepCopy() *Status {
	if in == nil {
		return nil
	}
	out := *in
	out.Conditions = slices.Clone(in.Conditions)
	return &out
}

// DeepCopyObject deep-copies an *Endpoint or *APIKey; it returns nil for
// anything else.
func DeepCopyObject(obj Object) Object {
	switch o := obj.(type) {
	case *Endpoint:
		if o != nil {
			return o.DeepCopy()
		}
	case *APIKey:
		if o != nil {
			return o.DeepCopy()
		}
	}
	return nil
}

func copyTargets(in []Target) []Target {
	if in == nil {
		return nil
	}
	out := make([]Target, len(in))
	for i, t := range in {
		t.Weight = copyPtr(t.Weight)
		out[i] = t
	}
	return out
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
