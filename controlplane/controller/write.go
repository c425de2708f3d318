package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/store"
)

// Errors the management API maps to HTTP statuses.
var (
	// ErrNotFound: no such resource (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource changed since the caller read it, or exists
	// when it should not (409).
	ErrConflict = errors.New("conflict")
	// ErrNotEditable: the resource lives where the server does not edit (a
	// List or a JSON array in a hand-written file); the caller must move it
	// to a file of its own first (409).
	ErrNotEditable = errors.New("not editable by the server")
)

// Apply actions.
const (
	ActionCreated    = "created"
	ActionConfigured = "configured"
	ActionUnchanged  = "unchanged"
	ActionInvalid    = "invalid"
	ActionConflict   = "conflict"
	ActionPruned     = "pruned"
	ActionDeleted    = "deleted"
)

// SecretScope is the scope write-only values are moved into.
func (c *Controller) SecretScope() string { return c.opts.SecretScope }

// DefaultSecretScope is where write-only values go when an APIKey has no
// secretRef yet.
const DefaultSecretScope = "ai-gateway"

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// DryRun validates and reports what would change without writing.
	DryRun bool
	// Prune deletes resources matching Selector that the applied set lacks.
	Prune bool
	// Selector is a label selector (all pairs must match); required with Prune.
	Selector map[string]string
	// Create fails with ErrConflict for a resource that already exists.
	Create bool
}

// Result is the outcome for one object.
type Result struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
	// Fields names each wrong field of an invalid object, as Error does in words.
	Fields v1alpha1.FieldErrors `json:"fields,omitempty"`
	Object v1alpha1.Object      `json:"object,omitempty"`
}

// Apply writes decoded objects (from v1alpha1.Load) to the store: write-only
// values move into the secret store and become secretRefs, each resource goes
// to one file, and the change is reconciled before Apply returns, so results
// carry the resulting status.
func (c *Controller) Apply(ctx context.Context, objs []v1alpha1.Decoded, opts ApplyOptions) ([]Result, error) {
	if opts.Prune && len(opts.Selector) == 0 {
		return nil, fmt.Errorf("prune needs a label selector, so that it cannot delete everything")
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	results := make([]Result, 0, len(objs))
	applied := map[Key]bool{}
	wrote := false
	for _, d := range objs {
		if d.Object == nil {
			results = append(results, Result{Action: ActionInvalid, Error: errText(d.Err), Fields: v1alpha1.FieldsOf(d.Err)})
			continue
		}
		k := Key{d.Object.GetTypeMeta().Kind, d.Object.GetMetadata().Name}
		applied[k] = true
		if d.Err != nil {
			results = append(results, Result{Kind: k.Kind, Name: k.Name, Action: ActionInvalid, Error: d.Err.Error(), Fields: v1alpha1.FieldsOf(d.Err)})
			continue
		}
		r, changed, err := c.applyOne(ctx, k, v1alpha1.DeepCopyObject(d.Object), opts)
		if err != nil {
			action := ActionInvalid
			if errors.Is(err, ErrConflict) {
				action = ActionConflict
			}
			results = append(results, Result{Kind: k.Kind, Name: k.Name, Action: action, Error: err.Error(), Fields: v1alpha1.FieldsOf(err)})
			continue
		}
		wrote = wrote || changed
		results = append(results, r)
	}
	if opts.Prune {
		for _, kind := range []string{v1alpha1.KindEndpoint, v1alpha1.KindAPIKey} {
			for _, r := range c.List(kind) {
				k := Key{kind, r.Object.GetMetadata().Name}
				if applied[k] || !matches(r.Object.GetMetadata().Labels, opts.Selector) {
					continue
				}
				res := Result{Kind: kind, Name: k.Name, Action: ActionPruned}
				if !opts.DryRun {
					if err := c.remove(ctx, r); err != nil {
						res.Action, res.Error = ActionInvalid, fmt.Sprintf("prune: %v", err)
					}
					wrote = true
				}
				results = append(results, res)
			}
		}
	}
	if wrote {
		if err := c.Reconcile(ctx); err != nil {
			return results, err
		}
	}
	for i := range results {
		r := &results[i]
		if r.Object != nil || r.Action == ActionInvalid || r.Action == ActionConflict || r.Action == ActionPruned {
			continue
		}
		if cur, ok := c.Get(r.Kind, r.Name); ok {
			r.Object = cur.Object
		}
	}
	return results, nil
}

// applyOne writes one valid object; changed reports whether the store changed.
func (c *Controller) applyOne(ctx context.Context, k Key, obj v1alpha1.Object, opts ApplyOptions) (Result, bool, error) {
	cur, exists := c.Get(k.Kind, k.Name)
	meta := obj.GetMetadata()
	if opts.Create && exists {
		return Result{}, false, fmt.Errorf("%s %q already exists: %w", k.Kind, k.Name, ErrConflict)
	}
	if rv := meta.ResourceVersion; rv != "" {
		if !exists {
			return Result{}, false, fmt.Errorf("%s %q does not exist (resourceVersion %s was given): %w", k.Kind, k.Name, rv, ErrConflict)
		}
		if rv != cur.Object.GetMetadata().ResourceVersion {
			return Result{}, false, fmt.Errorf("%s %q was changed since resourceVersion %s (now %s); get it again and retry: %w",
				k.Kind, k.Name, rv, cur.Object.GetMetadata().ResourceVersion, ErrConflict)
		}
	}
	secretValue := ""
	if key, ok := obj.(*v1alpha1.APIKey); ok && key.Spec.Value != "" {
		secretValue = key.Spec.Value.Reveal()
		key.Spec.Value, key.Spec.Env, key.Spec.SecretRef = "", "", c.SecretRefFor(k.Name)
	}
	action := ActionCreated
	if exists {
		action = ActionConfigured
		old := cur.Object.GetMetadata()
		if secretValue == "" && len(cur.Locations) == 1 && v1alpha1.SpecEqual(cur.Object, obj) &&
			maps.Equal(old.Labels, meta.Labels) && maps.Equal(old.Annotations, meta.Annotations) {
			action = ActionUnchanged
		}
	}
	res := Result{Kind: k.Kind, Name: k.Name, Action: action}
	if opts.DryRun || action == ActionUnchanged {
		if opts.DryRun {
			res.Object = obj
		}
		return res, false, nil
	}
	var storeSecret func() error
	if secretValue != "" {
		ref := obj.(*v1alpha1.APIKey).Spec.SecretRef
		storeSecret = func() error {
			if err := c.opts.Secrets.Put(ctx, ref.Scope, ref.Key, secretValue); err != nil {
				return fmt.Errorf("store credential in secret %s/%s: %w", ref.Scope, ref.Key, err)
			}
			return nil
		}
	}
	data, err := v1alpha1.Marshal(obj)
	if err != nil {
		return Result{}, false, err
	}
	if err := c.write(ctx, k, cur, exists, data, storeSecret); err != nil {
		return Result{}, false, err
	}
	return res, true, nil
}

// DefaultPath is where the server writes a resource that has no file yet.
func DefaultPath(kind, name string) string {
	return strings.ToLower(kind) + "s/" + name + ".yaml"
}

// write stores data as the one definition of k: in its own file if it had
// one, else in DefaultPath (or NAME-2.yaml, NAME-3.yaml, ... beside it when
// that path is taken), removing it from any multi-object file and any
// duplicate definitions. beforePut, when set, runs once the write is known
// not to conflict and before anything is written (it stores the credential,
// which must not change when the write is refused).
func (c *Controller) write(ctx context.Context, k Key, cur Resource, exists bool, data []byte, beforePut func() error) error {
	st := c.opts.Store
	// "" (the path must not exist yet): a file already at the default path
	// belongs to something else (a hand-written multi-document file, say) and
	// must not be overwritten.
	ownFile := false
	target, expected := DefaultPath(k.Kind, k.Name), ""
	var others []Location
	if exists {
		for _, l := range cur.Locations {
			if l.Objects == 1 && !ownFile {
				ownFile = true
				target, expected = l.Path, l.Version
				continue
			}
			others = append(others, l)
		}
	}
	// Check that every other definition can be removed before writing anything,
	// so a refusal leaves the store as it was.
	edits, err := c.plannedRemovals(ctx, others)
	if err != nil {
		return err
	}
	if beforePut != nil {
		if ownFile {
			// Put checks the version too, but only after beforePut has had
			// its effect: refuse a stale write first.
			doc, err := st.Get(ctx, target)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read %s: %w", target, err)
			}
			if err != nil || doc.Version != expected {
				return fmt.Errorf("%s was changed by someone else; retry: %w", target, ErrConflict)
			}
		}
		if err := beforePut(); err != nil {
			return err
		}
	}
	_, err = st.Put(ctx, target, data, expected)
	for i := 2; !ownFile && errors.Is(err, store.ErrConflict) && i <= 100; i++ {
		if c.defines(ctx, target, k) {
			// Someone wrote this resource's file an instant ago and it is
			// not reconciled yet: that is a concurrent create, not a
			// name clash with another file's contents.
			return fmt.Errorf("%s %q was just written to %s by someone else: %w", k.Kind, k.Name, target, ErrConflict)
		}
		target = strings.TrimSuffix(DefaultPath(k.Kind, k.Name), ".yaml") + "-" + strconv.Itoa(i) + ".yaml"
		_, err = st.Put(ctx, target, data, "")
	}
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%s was changed by someone else; retry: %w", target, ErrConflict)
		}
		return fmt.Errorf("write %s: %w", target, err)
	}
	return c.applyRemovals(ctx, edits)
}

// defines reports whether the document at path (one the index has not seen)
// defines k.
func (c *Controller) defines(ctx context.Context, path string, k Key) bool {
	doc, err := c.opts.Store.Get(ctx, path)
	if err != nil {
		return false
	}
	for _, d := range v1alpha1.Load(path, doc.Data) {
		if d.Object != nil && d.Object.GetTypeMeta().Kind == k.Kind && d.Object.GetMetadata().Name == k.Name {
			return true
		}
	}
	return false
}

type removal struct {
	loc  Location
	data []byte // nil: delete the file
}

func (c *Controller) plannedRemovals(ctx context.Context, locs []Location) ([]removal, error) {
	// Several objects may leave one file: remove from the highest index down.
	sort.Slice(locs, func(i, j int) bool { return locs[i].Index > locs[j].Index })
	var out []removal
	files := map[string][]byte{}
	for _, l := range locs {
		if l.Objects == 1 {
			out = append(out, removal{loc: l})
			continue
		}
		data, ok := files[l.Path]
		if !ok {
			doc, err := c.opts.Store.Get(ctx, l.Path)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", l.Path, err)
			}
			if doc.Version != l.Version {
				return nil, fmt.Errorf("%s changed since it was read; retry: %w", l.Path, ErrConflict)
			}
			data = doc.Data
		}
		edited, ok := v1alpha1.RemoveObject(data, l.Index)
		if !ok {
			return nil, fmt.Errorf("%s defines this resource inside a List or JSON array, which the gateway does not edit; move it to a file of its own first: %w", l.Path, ErrNotEditable)
		}
		files[l.Path] = edited
	}
	for path, data := range files {
		for _, l := range locs {
			if l.Path == path {
				out = append(out, removal{loc: l, data: data})
				break
			}
		}
	}
	return out, nil
}

func (c *Controller) applyRemovals(ctx context.Context, rs []removal) error {
	for _, r := range rs {
		var err error
		if r.data == nil {
			err = c.opts.Store.Delete(ctx, r.loc.Path, r.loc.Version)
		} else {
			_, err = c.opts.Store.Put(ctx, r.loc.Path, r.data, r.loc.Version)
		}
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%s was changed by someone else; retry: %w", r.loc.Path, ErrConflict)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("update %s: %w", r.loc.Path, err)
		}
	}
	return nil
}

func (c *Controller) remove(ctx context.Context, r Resource) error {
	edits, err := c.plannedRemovals(ctx, append([]Location(nil), r.Locations...))
	if err != nil {
		return err
	}
	return c.applyRemovals(ctx, edits)
}

// Delete removes a resource from the store (every definition of it) and
// reconciles. resourceVersion, when set, must match.
func (c *Controller) Delete(ctx context.Context, kind, name, resourceVersion string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	cur, ok := c.Get(kind, name)
	if !ok {
		return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	if resourceVersion != "" && resourceVersion != cur.Object.GetMetadata().ResourceVersion {
		return fmt.Errorf("%s %q was changed since resourceVersion %s: %w", kind, name, resourceVersion, ErrConflict)
	}
	if err := c.remove(ctx, cur); err != nil {
		return err
	}
	return c.Reconcile(ctx)
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func errText(err error) string {
	if err == nil {
		return "invalid document"
	}
	return err.Error()
}

// SecretRefFor is where a write-only value for the named APIKey is stored:
// its existing secretRef, unless other APIKeys read that entry too (a new
// value would silently change their credential), else the default scope
// with the APIKey's name as key.
func (c *Controller) SecretRefFor(name string) *v1alpha1.SecretRef {
	if cur, ok := c.Get(v1alpha1.KindAPIKey, name); ok {
		if old := cur.Object.(*v1alpha1.APIKey); old.Spec.SecretRef != nil && !c.secretShared(name, *old.Spec.SecretRef) {
			return old.Spec.SecretRef
		}
	}
	return &v1alpha1.SecretRef{Scope: c.opts.SecretScope, Key: name}
}

// secretShared reports whether an APIKey other than name reads ref: a new
// value for name must then go to an entry of its own, or it would silently
// change the other APIKeys' credential too.
func (c *Controller) secretShared(name string, ref v1alpha1.SecretRef) bool {
	for _, r := range c.List(v1alpha1.KindAPIKey) {
		other := r.Object.(*v1alpha1.APIKey)
		if other.Metadata.Name != name && other.Spec.SecretRef != nil && *other.Spec.SecretRef == ref {
			return true
		}
	}
	return false
}
