package mgmt

import (
	"fmt"
	"io"
	"net/http"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
)

// MaxBodySize bounds management request bodies.
const MaxBodySize = 8 << 20

type kindInfo struct {
	kind, plural, list string
}

var (
	endpointKind = kindInfo{kind: v1alpha1.KindEndpoint, plural: "endpoints", list: "EndpointList"}
	apiKeyKind   = kindInfo{kind: v1alpha1.KindAPIKey, plural: "apikeys", list: "APIKeyList"}
)

// List is a list response.
type List struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []v1alpha1.Object `json:"items"`
}

// public is a resource as the API returns it.
func public(r controller.Resource) v1alpha1.Object {
	redact(r.Object)
	return r.Object
}

// redact drops a write-only credential from an object about to be returned:
// never returned, not even as "[REDACTED]".
func redact(obj v1alpha1.Object) {
	if key, ok := obj.(*v1alpha1.APIKey); ok && key != nil {
		key.Spec.Value = ""
	}
}

func (s *Server) list(k kindInfo) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		items := []v1alpha1.Object{}
		for _, res := range s.ctrl.List(k.kind) {
			items = append(items, public(res))
		}
		writeJSON(w, http.StatusOK, List{APIVersion: v1alpha1.GroupVersion, Kind: k.list, Items: items})
	}
}

func (s *Server) get(k kindInfo) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		res, ok := s.ctrl.Get(k.kind, r.PathValue("name"))
		if !ok {
			writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("%s %q not found", k.kind, r.PathValue("name")))
			return
		}
		writeJSON(w, http.StatusOK, public(res))
	}
}

// readOne decodes a body holding exactly one object of kind k.
func readOne(w http.ResponseWriter, r *http.Request, k kindInfo) (v1alpha1.Decoded, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", MaxBodySize))
		return v1alpha1.Decoded{}, false
	}
	ds := v1alpha1.Load("request body", body)
	if len(ds) != 1 {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("body must hold exactly one %s, got %d objects", k.kind, len(ds)))
		return v1alpha1.Decoded{}, false
	}
	d := ds[0]
	if d.Err != nil {
		writeInvalid(w, d.Err.Error(), v1alpha1.FieldsOf(d.Err))
		return d, false
	}
	if got := d.Object.GetTypeMeta().Kind; got != k.kind {
		writeInvalid(w, fmt.Sprintf("kind: this route takes %s, got %s", k.kind, got), v1alpha1.FieldErrors{{Field: "kind", Detail: "this route takes " + k.kind + ", got " + got}})
		return d, false
	}
	return d, true
}

func (s *Server) create(k kindInfo) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := readOne(w, r, k)
		if !ok {
			return
		}
		s.writeOne(w, r, d, controller.ApplyOptions{Create: true, DryRun: dryRun(r)})
	}
}

func (s *Server) replace(k kindInfo) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, ok := readOne(w, r, k)
		if !ok {
			return
		}
		if name := d.Object.GetMetadata().Name; name != r.PathValue("name") {
			writeInvalid(w, fmt.Sprintf("metadata.name: %q does not match the URL's %q", name, r.PathValue("name")),
				v1alpha1.FieldErrors{{Field: "metadata.name", Detail: fmt.Sprintf("%q does not match the URL's %q", name, r.PathValue("name"))}})
			return
		}
		s.writeOne(w, r, d, controller.ApplyOptions{DryRun: dryRun(r)})
	}
}

// writeOne creates or replaces one object: 201 when it is (or, with dryRun,
// would be) created, 200 otherwise.
func (s *Server) writeOne(w http.ResponseWriter, r *http.Request, d v1alpha1.Decoded, opts controller.ApplyOptions) {
	results, err := s.ctrl.Apply(r.Context(), []v1alpha1.Decoded{d}, opts)
	if err != nil {
		writeControllerError(w, err)
		return
	}
	res := results[0]
	switch res.Action {
	case controller.ActionConflict:
		writeError(w, http.StatusConflict, "conflict", res.Error)
	case controller.ActionInvalid:
		writeInvalid(w, res.Error, res.Fields)
	default:
		status := http.StatusOK
		if res.Action == controller.ActionCreated {
			status = http.StatusCreated
		}
		redact(res.Object)
		writeJSON(w, status, res.Object)
	}
}

func (s *Server) delete(k kindInfo) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, rv := r.PathValue("name"), r.URL.Query().Get("resourceVersion")
		if dryRun(r) {
			// Check what Delete would, without deleting.
			cur, ok := s.ctrl.Get(k.kind, name)
			switch {
			case !ok:
				writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("%s %q: not found", k.kind, name))
				return
			case rv != "" && rv != cur.Object.GetMetadata().ResourceVersion:
				writeError(w, http.StatusConflict, "conflict", fmt.Sprintf("%s %q was changed since resourceVersion %s: conflict", k.kind, name, rv))
				return
			}
		} else if err := s.ctrl.Delete(r.Context(), k.kind, name, rv); err != nil {
			writeControllerError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, controller.Result{Kind: k.kind, Name: name, Action: controller.ActionDeleted})
	}
}

func dryRun(r *http.Request) bool {
	v := r.URL.Query().Get("dryRun")
	return v == "true" || v == "1" || v == "All"
}
