package providers

import "sort"

// Registry maps provider ids to their adapters and descriptions. It is built
// once in main and read-only afterwards, so lookups need no lock.
type Registry struct {
	entries map[string]registered
}

type registered struct {
	info    Info
	adapter Adapter
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[string]registered{}} }

// Register adds a provider; a later registration of the same id replaces it.
func (r *Registry) Register(info Info, a Adapter) {
	r.entries[info.ID] = registered{info: info, adapter: a}
}

// Adapter returns the adapter for a provider id.
func (r *Registry) Adapter(id string) (Adapter, bool) {
	e, ok := r.entries[id]
	return e.adapter, ok
}

// Info describes a provider id.
func (r *Registry) Info(id string) (Info, bool) {
	e, ok := r.entries[id]
	return e.info, ok
}

// List returns every provider, sorted by id.
func (r *Registry) List() []Info {
	out := make([]Info, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
