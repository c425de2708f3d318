package mgmt

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
)

// ApplyResponse is the answer to apply and validate.
type ApplyResponse struct {
	DryRun  bool                `json:"dryRun"`
	Results []controller.Result `json:"results"`
}

func readManifests(w http.ResponseWriter, r *http.Request) ([]v1alpha1.Decoded, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", MaxBodySize))
		return nil, false
	}
	name := r.URL.Query().Get("filename")
	if name == "" {
		name = "request body"
	}
	ds := v1alpha1.Load(name, body)
	if len(ds) == 0 {
		writeError(w, http.StatusBadRequest, "invalid", name+": no Endpoint or APIKey documents found")
		return nil, false
	}
	return ds, true
}

// ParseSelector parses "k=v,k2=v2".
func ParseSelector(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || !v1alpha1.IsLabelKey(k) || !v1alpha1.IsLabelValue(strings.TrimSpace(v)) {
			return nil, fmt.Errorf("selector %q: want key=value[,key=value]", s)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := controller.ApplyOptions{DryRun: dryRun(r), Prune: q.Get("prune") == "true"}
	if sel := q.Get("selector"); sel != "" {
		m, err := ParseSelector(sel)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		opts.Selector = m
	}
	if opts.Prune && len(opts.Selector) == 0 {
		writeError(w, http.StatusBadRequest, "invalid", "prune needs a label selector (selector=key=value), so that it cannot delete everything")
		return
	}
	ds, ok := readManifests(w, r)
	if !ok {
		return
	}
	results, err := s.ctrl.Apply(r.Context(), ds, opts)
	if err != nil {
		writeControllerError(w, err)
		return
	}
	for _, res := range results {
		redact(res.Object) // a hand-written file may still hold a value
		if res.Action != controller.ActionUnchanged && res.Action != controller.ActionInvalid && !opts.DryRun {
			s.log.Info("resource applied", "kind", res.Kind, "name", res.Name, "action", res.Action)
		}
	}
	writeJSON(w, http.StatusOK, ApplyResponse{DryRun: opts.DryRun, Results: results})
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	ds, ok := readManifests(w, r)
	if !ok {
		return
	}
	resp := ApplyResponse{DryRun: true}
	for _, d := range ds {
		res := controller.Result{Action: "valid"}
		if d.Object != nil {
			res.Kind, res.Name = d.Object.GetTypeMeta().Kind, d.Object.GetMetadata().Name
		}
		if d.Err != nil {
			res.Action, res.Error = controller.ActionInvalid, d.Err.Error()
		}
		resp.Results = append(resp.Results, res)
	}
	writeJSON(w, http.StatusOK, resp)
}

// Route is an Endpoint's effective routing, for review.
type Route struct {
	Task      string        `json:"task"`
	Targets   []RouteTarget `json:"targets"`
	Fallbacks []RouteTarget `json:"fallbacks,omitempty"`
}

// RouteTarget is one target with its normalised share of traffic.
type RouteTarget struct {
	Model    string  `json:"model"`
	APIKey   string  `json:"apiKey"`
	Provider string  `json:"provider,omitempty"`
	Percent  float64 `json:"percent,omitempty"`
}

// DiffEntry is the difference for one object.
type DiffEntry struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"` // create | update | unchanged | invalid
	Error  string `json:"error,omitempty"`
	// Diff is a unified diff from the stored object to the submitted one.
	Diff string `json:"diff,omitempty"`
	// RoutingBefore and RoutingAfter show the effective routing of an Endpoint.
	RoutingBefore *Route `json:"routingBefore,omitempty"`
	RoutingAfter  *Route `json:"routingAfter,omitempty"`
}

// DiffResponse is the answer to diff.
type DiffResponse struct {
	Changed bool        `json:"changed"`
	Entries []DiffEntry `json:"entries"`
}

func (s *Server) diff(w http.ResponseWriter, r *http.Request) {
	ds, ok := readManifests(w, r)
	if !ok {
		return
	}
	resp := DiffResponse{Entries: []DiffEntry{}}
	for _, d := range ds {
		e := s.diffOne(d)
		if e.Action != "unchanged" {
			resp.Changed = true
		}
		resp.Entries = append(resp.Entries, e)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) diffOne(d v1alpha1.Decoded) DiffEntry {
	var e DiffEntry
	if d.Object != nil {
		e.Kind, e.Name = d.Object.GetTypeMeta().Kind, d.Object.GetMetadata().Name
	}
	if d.Err != nil {
		e.Action, e.Error = "invalid", d.Err.Error()
		return e
	}
	desired := v1alpha1.DeepCopyObject(d.Object)
	newSecret := false
	if key, ok := desired.(*v1alpha1.APIKey); ok && key.Spec.Value != "" {
		// The value would move into the secret store; show the reference it becomes.
		newSecret = true
		key.Spec.Value, key.Spec.Env, key.Spec.SecretRef = "", "", s.ctrl.SecretRefFor(e.Name)
	}
	after, _ := v1alpha1.Marshal(desired)
	var before []byte
	cur, exists := s.ctrl.Get(e.Kind, e.Name)
	if exists {
		before, _ = v1alpha1.Marshal(cur.Object)
	}
	switch {
	case !exists:
		e.Action = "create"
	case string(before) == string(after) && !newSecret:
		e.Action = "unchanged"
	default:
		e.Action = "update"
	}
	if e.Action != "unchanged" {
		label := e.Kind + "/" + e.Name
		e.Diff, _ = difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(string(before)), B: difflib.SplitLines(string(after)),
			FromFile: "live/" + label, ToFile: "desired/" + label, Context: 3,
		})
		if newSecret {
			e.Diff += "# the credential in spec.value would be stored in the secret store (value not shown)\n"
		}
	}
	if ep, ok := desired.(*v1alpha1.Endpoint); ok {
		e.RoutingAfter = s.route(ep)
		if exists {
			e.RoutingBefore = s.route(cur.Object.(*v1alpha1.Endpoint))
		}
	}
	return e
}

func (s *Server) route(ep *v1alpha1.Endpoint) *Route {
	provider := func(key string) string {
		if r, ok := s.ctrl.Get(v1alpha1.KindAPIKey, key); ok {
			return r.Object.(*v1alpha1.APIKey).Spec.Provider
		}
		return ""
	}
	rt := &Route{Task: string(ep.Spec.Task)}
	weights := controller.EffectiveWeights(ep.Spec.Targets)
	var sum float64
	for _, w := range weights {
		sum += float64(w)
	}
	for i, t := range ep.Spec.Targets {
		pct := 0.0
		if sum > 0 {
			// Two decimals: 66.67, not 66.66666666666667.
			pct = math.Round(float64(weights[i])*10000/sum) / 100
		}
		rt.Targets = append(rt.Targets, RouteTarget{Model: t.Model, APIKey: t.APIKeyRef, Provider: provider(t.APIKeyRef), Percent: pct})
	}
	for _, t := range ep.Spec.Fallbacks {
		rt.Fallbacks = append(rt.Fallbacks, RouteTarget{Model: t.Model, APIKey: t.APIKeyRef, Provider: provider(t.APIKeyRef)})
	}
	return rt
}

// ProviderInfo describes a provider for the UI and gatewayctl.
type ProviderInfo struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	Tasks           []string `json:"tasks"`
	NeedsCredential bool     `json:"needsCredential"`
	NeedsBaseURL    bool     `json:"needsBaseURL"`
	DefaultBaseURL  string   `json:"defaultBaseURL,omitempty"`
}

func (s *Server) providers(w http.ResponseWriter, r *http.Request) {
	out := []ProviderInfo{}
	for _, p := range s.opts.Catalog.List() {
		pi := ProviderInfo{ID: p.ID, DisplayName: p.DisplayName, NeedsCredential: p.NeedsCredential,
			NeedsBaseURL: p.NeedsBaseURL, DefaultBaseURL: p.DefaultBaseURL}
		for _, t := range p.Tasks {
			pi.Tasks = append(pi.Tasks, string(t))
		}
		out = append(out, pi)
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": out})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	errs := s.ctrl.FileErrors()
	if errs == nil {
		errs = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"endpoints":  len(s.ctrl.List(v1alpha1.KindEndpoint)),
		"apikeys":    len(s.ctrl.List(v1alpha1.KindAPIKey)),
		"fileErrors": errs,
		// Where a write-only value would go, so that a client previewing a
		// change offline (gatewayctl's external diff) shows the same secretRef.
		"secretScope": s.ctrl.SecretScope(),
	})
}
