// Package controller reconciles manifests into the data plane's read model.
// It is level-triggered: every pass re-lists the whole store, decodes,
// defaults, validates, resolves references and secrets, and commits the
// result in one write; per-resource status is kept in memory. A resource that
// stops being valid keeps serving its last good version.
package controller

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/secrets"
	"github.com/ai-gateway/gateway/controlplane/store"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// ProviderCatalog describes the providers this build can reach.
type ProviderCatalog interface {
	Info(id string) (providers.Info, bool)
}

// Writer is the data plane's narrow write interface (state.Index).
type Writer interface {
	Replace(endpoints []*state.Endpoint, creds []*providers.Credential) (bool, error)
	Snapshot() *state.Snapshot
}

// Options configure a Controller.
type Options struct {
	Store     store.Store
	Secrets   secrets.Store
	Writer    Writer
	Providers ProviderCatalog
	// Getenv reads credentials named by `env:`; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	Logger *slog.Logger
	// Quiet is how long the store must be still before a reconcile (default 100ms).
	Quiet time.Duration
	// OnSwap is called after each configuration swap with the new generation.
	OnSwap func(generation uint64)
	// Now is the clock (tests).
	Now func() time.Time
	// SecretScope receives write-only values (default DefaultSecretScope).
	SecretScope string
}

// Key identifies a resource.
type Key struct {
	Kind string
	Name string
}

func (k Key) String() string { return k.Kind + "/" + k.Name }

// Resource is the controller's view of one named resource.
type Resource struct {
	// Object is the resource as last read, metadata and status filled in.
	Object v1alpha1.Object
	// Sources are where it is defined (more than one means a duplicate), for people.
	Sources []string
	// Locations are the same places, for writers.
	Locations []Location
	// Serving is true while some version of it is live in the data plane.
	Serving bool
}

// Controller reconciles a Store into a Writer.
type Controller struct {
	opts Options
	log  *slog.Logger

	mu         sync.RWMutex // guards resources and fileErrors
	resources  map[Key]*Resource
	fileErrors []string

	recMu      sync.Mutex // serialises reconcile passes and guards the fields below
	gens       map[Key]generation
	files      map[Key][]string // the files each resource was last read from
	lastGoodEP map[string]*state.Endpoint
	// lastGoodEPCreds pins, per Endpoint, the credentials its last good
	// version was compiled with, so a held Endpoint keeps them even when an
	// APIKey it uses has since changed (to a provider that cannot serve it).
	lastGoodEPCreds map[string]map[string]*providers.Credential
	lastGoodCred    map[string]*providers.Credential
	warnedValue     map[string]bool

	writeMu sync.Mutex // serialises writes through the API

	ready     chan struct{}
	readyOnce sync.Once
	trigger   chan struct{}
}

type generation struct {
	obj v1alpha1.Object
	gen int64
}

// New returns a controller; call Run to start it.
func New(opts Options) *Controller {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Quiet <= 0 {
		opts.Quiet = 100 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.SecretScope == "" {
		opts.SecretScope = DefaultSecretScope
	}
	return &Controller{
		opts: opts, log: opts.Logger,
		resources:       map[Key]*Resource{},
		gens:            map[Key]generation{},
		files:           map[Key][]string{},
		lastGoodEP:      map[string]*state.Endpoint{},
		lastGoodEPCreds: map[string]map[string]*providers.Credential{},
		lastGoodCred:    map[string]*providers.Credential{},
		warnedValue:     map[string]bool{},
		ready:           make(chan struct{}),
		trigger:         make(chan struct{}, 1),
	}
}

// Ready is closed once the first reconcile has finished.
func (c *Controller) Ready() <-chan struct{} { return c.ready }

// Trigger asks for a reconcile soon (after a write through the API, say).
func (c *Controller) Trigger() { store.Notify(c.trigger) }

// Run reconciles once, then on every store change, until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	changed := make(chan struct{}, 1)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		c.watch(ctx, changed)
	}()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.trigger:
				store.Notify(changed)
			}
		}
	}()
	c.reconcileAndLog(ctx, changed)
	store.Debounce(ctx, changed, c.opts.Quiet, 10*c.opts.Quiet+time.Second, func() { c.reconcileAndLog(ctx, changed) })
	<-watchDone
	return nil
}

// watch runs the store's watch until ctx ends. A watch that fails (a remote
// store's outage, say) is restarted with backoff, with a full resync after
// each restart, so the gateway never silently serves a frozen configuration.
func (c *Controller) watch(ctx context.Context, changed chan struct{}) {
	backoff := time.Second
	for {
		err := c.opts.Store.Watch(ctx, changed)
		if ctx.Err() != nil {
			return
		}
		c.log.Error("watching manifests failed; restarting the watch", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
		store.Notify(changed) // changes during the gap are picked up by a full re-list
	}
}

func (c *Controller) reconcileAndLog(ctx context.Context, changed chan struct{}) {
	if err := c.Reconcile(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		// The store is unreachable: keep serving the last good state and try again.
		c.log.Error("reconcile failed; still serving the last good configuration", "error", err)
		time.AfterFunc(2*time.Second, func() { store.Notify(changed) })
	}
}

type definition struct {
	obj     v1alpha1.Object
	source  string
	loc     Location
	version string
	err     error
}

// Location is one definition of a resource in the store.
type Location struct {
	// Path is the document's path in the store.
	Path string
	// Index is the object's position in the file, as v1alpha1.Decode counts.
	Index int
	// Version is the file's version when it was read.
	Version string
	// Objects is how many objects the file holds.
	Objects int
}

// Reconcile runs one full pass.
func (c *Controller) Reconcile(ctx context.Context) error {
	c.recMu.Lock()
	defer c.recMu.Unlock()
	docs, err := c.opts.Store.List(ctx)
	if err != nil {
		return fmt.Errorf("list manifests: %w", err)
	}
	defs := map[Key][]definition{}
	var fileErrs []string
	unreadable := map[string]string{} // file → its first error not tied to a named resource
	for _, doc := range docs {
		if len(bytes.TrimSpace(doc.Data)) == 0 {
			// An editor that truncates and rewrites in place shows an empty
			// file for a moment; that is not a deletion. Resources read from
			// it keep serving until the content arrives (or the file goes).
			unreadable[doc.Path] = doc.Path + ": file is empty; delete the file to delete its resources"
			continue
		}
		decoded := v1alpha1.Load(doc.Path, doc.Data)
		for _, d := range decoded {
			if d.Object == nil || d.Object.GetMetadata().Name == "" {
				if d.Err != nil {
					fileErrs = append(fileErrs, d.Err.Error())
					if _, ok := unreadable[doc.Path]; !ok {
						unreadable[doc.Path] = d.Err.Error()
					}
				}
				continue
			}
			k := Key{Kind: d.Object.GetTypeMeta().Kind, Name: d.Object.GetMetadata().Name}
			defs[k] = append(defs[k], definition{obj: d.Object, source: fmt.Sprintf("%s (document %d)", doc.Path, d.Source.Index+1),
				loc:     Location{Path: doc.Path, Index: d.Source.Index, Version: doc.Version, Objects: len(decoded)},
				version: doc.Version, err: d.Err})
		}
	}

	now := c.opts.Now()
	p := &pass{c: c, ctx: ctx, now: now, defs: defs,
		res: map[Key]*Resource{}, keys: map[string]*v1alpha1.APIKey{}, creds: map[string]*providers.Credential{},
		credProblem: map[string]string{}}
	held := c.heldResources(defs, unreadable)
	p.classify()
	p.hold(held)
	p.resolveAPIKeys()
	p.compileEndpoints()
	c.forgetDeleted(defs, held)

	endpoints, creds := c.serving()
	swapped, err := c.opts.Writer.Replace(endpoints, creds)
	if err != nil {
		// Should not happen: the controller only sends resolved endpoints.
		return fmt.Errorf("commit configuration: %w", err)
	}
	if swapped {
		gen := c.opts.Writer.Snapshot().Generation
		c.log.Info("configuration applied", "generation", gen, "endpoints", len(endpoints), "apikeys", len(creds))
		if c.opts.OnSwap != nil {
			c.opts.OnSwap(gen)
		}
	}
	servingEP := map[string]bool{}
	for _, e := range endpoints {
		servingEP[e.Name] = true
	}
	c.publish(p.res, servingEP, creds, fileErrs)
	c.readyOnce.Do(func() { close(c.ready) })
	return nil
}

// heldResources returns the resources that were read last pass but are
// missing now because a file they came from no longer decodes (a YAML syntax
// error, say), each with that file's first error. Such a resource has turned
// invalid, not been deleted, so it keeps its last good version; deleting the
// file, or fixing it without the resource, deletes the resource.
func (c *Controller) heldResources(defs map[Key][]definition, unreadable map[string]string) map[Key]string {
	held := map[Key]string{}
	for k, files := range c.files {
		if _, ok := defs[k]; ok {
			continue
		}
		for _, f := range files {
			if why, ok := unreadable[f]; ok {
				held[k] = why
				break
			}
		}
	}
	return held
}

// forgetDeleted drops last-good state of resources no longer defined anywhere
// (held ones excepted), and records which files the others were read from.
func (c *Controller) forgetDeleted(defs map[Key][]definition, held map[Key]string) {
	gone := func(k Key) bool {
		_, defined := defs[k]
		_, kept := held[k]
		return !defined && !kept
	}
	for name := range c.lastGoodEP {
		if gone(Key{v1alpha1.KindEndpoint, name}) {
			delete(c.lastGoodEP, name)
			delete(c.lastGoodEPCreds, name)
		}
	}
	for k := range c.gens {
		if gone(k) {
			delete(c.gens, k)
		}
	}
	for k := range c.files {
		if gone(k) {
			delete(c.files, k)
		}
	}
	for k, ds := range defs {
		files := make([]string, 0, len(ds))
		for _, d := range ds {
			if !slices.Contains(files, d.loc.Path) {
				files = append(files, d.loc.Path)
			}
		}
		c.files[k] = files
	}
}

// serving returns what the data plane should serve: the last good version of
// every Endpoint and the credentials they use (current if valid, else last good).
func (c *Controller) serving() ([]*state.Endpoint, []*providers.Credential) {
	eps := make([]*state.Endpoint, 0, len(c.lastGoodEP))
	used := map[string]*providers.Credential{}
	for name, e := range c.lastGoodEP {
		pinned := c.lastGoodEPCreds[name]
		alias := map[string]string{}
		for _, t := range allTargets(e) {
			cur, want := c.lastGoodCred[t.Credential], pinned[t.Credential]
			if want == nil || reflect.DeepEqual(cur, want) {
				used[t.Credential] = cur
				continue
			}
			// The APIKey changed since this Endpoint's last good version and
			// the Endpoint does not reconcile with the new one: serve it with
			// the credential it was good with, under a name of its own (the
			// snapshot keys credentials by name; '~' cannot be in an APIKey name).
			held := *want
			held.Name = t.Credential + "~" + name
			used[held.Name] = &held
			alias[t.Credential] = held.Name
		}
		if len(alias) > 0 {
			e = withCredentials(e, alias)
		}
		eps = append(eps, e)
	}
	for name := range c.lastGoodCred {
		if _, ok := used[name]; !ok {
			delete(c.lastGoodCred, name)
		}
	}
	creds := make([]*providers.Credential, 0, len(used))
	for _, cr := range used {
		creds = append(creds, cr)
	}
	return eps, creds
}

func allTargets(e *state.Endpoint) []state.Target {
	return append(append([]state.Target(nil), e.Targets...), e.Fallbacks...)
}

// withCredentials returns a copy of e whose targets use renamed credentials.
func withCredentials(e *state.Endpoint, alias map[string]string) *state.Endpoint {
	out := *e
	rename := func(ts []state.Target) []state.Target {
		cp := append([]state.Target(nil), ts...)
		for i := range cp {
			if a, ok := alias[cp[i].Credential]; ok {
				cp[i].Credential = a
			}
		}
		return cp
	}
	out.Targets, out.Fallbacks = rename(e.Targets), rename(e.Fallbacks)
	return &out
}

// publish swaps in the new status view and logs transitions.
func (c *Controller) publish(res map[Key]*Resource, servingEP map[string]bool, creds []*providers.Credential, fileErrs []string) {
	servingKey := map[string]bool{}
	for _, cr := range creds {
		name, _, _ := strings.Cut(cr.Name, "~") // a held copy still serves its APIKey
		servingKey[name] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, r := range res {
		switch k.Kind {
		case v1alpha1.KindEndpoint:
			r.Serving = servingEP[k.Name]
		case v1alpha1.KindAPIKey:
			r.Serving = servingKey[k.Name]
		}
		cond := readyCondition(r.Object.GetStatus())
		var prev *v1alpha1.Condition
		if old := c.resources[k]; old != nil {
			prev = readyCondition(old.Object.GetStatus())
		}
		if cond != nil && prev != nil && prev.Status == cond.Status {
			cond.LastTransitionTime = prev.LastTransitionTime
		}
		if cond != nil && (prev == nil || prev.Status != cond.Status || prev.Reason != cond.Reason || prev.Message != cond.Message) {
			if cond.Status == "True" {
				c.log.Info("resource ready", "resource", k.String())
			} else {
				c.log.Warn("resource not ready", "resource", k.String(), "reason", cond.Reason, "message", cond.Message,
					"serving_last_good", r.Serving)
			}
		}
	}
	for k := range c.resources {
		if _, ok := res[k]; !ok {
			c.log.Info("resource removed", "resource", k.String())
		}
	}
	if strings.Join(fileErrs, "\n") != strings.Join(c.fileErrors, "\n") {
		for _, e := range fileErrs {
			c.log.Warn("manifest rejected", "error", e)
		}
	}
	c.resources = res
	c.fileErrors = fileErrs
}

// Get returns a copy of one resource's view.
func (c *Controller) Get(kind, name string) (Resource, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.resources[Key{kind, name}]
	if !ok {
		return Resource{}, false
	}
	return copyResource(r), true
}

// List returns copies of every resource of a kind, sorted by name.
func (c *Controller) List(kind string) []Resource {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Resource
	for k, r := range c.resources {
		if k.Kind == kind {
			out = append(out, copyResource(r))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Object.GetMetadata().Name < out[j].Object.GetMetadata().Name
	})
	return out
}

// FileErrors returns problems that could not be tied to a named resource
// (YAML syntax errors, documents without a name).
func (c *Controller) FileErrors() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string(nil), c.fileErrors...)
}

func copyResource(r *Resource) Resource {
	out := *r
	out.Sources = append([]string(nil), r.Sources...)
	out.Locations = append([]Location(nil), r.Locations...)
	switch o := r.Object.(type) {
	case *v1alpha1.Endpoint:
		out.Object = o.DeepCopy()
	case *v1alpha1.APIKey:
		out.Object = o.DeepCopy()
	}
	return out
}
