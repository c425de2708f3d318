// Package mgmt is the management REST API under /api/v1alpha1, used by
// gatewayctl and the web UI. Every write goes through the controller, so it is
// validated by the same code as reconcile and lands in the manifest store as a
// file a Git repository can hold.
package mgmt

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1alpha1"

// Catalog lists providers.
type Catalog interface {
	List() []providers.Info
}

// Options configure the API.
type Options struct {
	Controller *controller.Controller
	Catalog    Catalog
	// AdminToken, when set, must be presented as a bearer token. When empty,
	// only loopback clients are served.
	AdminToken string
	// TrustForwardedUser accepts requests carrying X-Forwarded-Email or
	// X-Forwarded-User (set by the Databricks Apps proxy, which authenticates
	// users before they reach the app).
	TrustForwardedUser bool
	Logger             *slog.Logger
}

// Server is the management API.
type Server struct {
	opts Options
	ctrl *controller.Controller
	log  *slog.Logger
	mux  *http.ServeMux
}

// APIRoute is one route of the management API: an HTTP method and a path
// pattern with {name} wildcards (the syntax of net/http patterns and of
// OpenAPI paths alike). The Route type is an Endpoint's effective routing,
// shown by diff.
type APIRoute struct {
	Method  string
	Pattern string
}

// route is a table row: an APIRoute and the handler that serves it.
type route struct {
	APIRoute
	handler func(*Server) http.HandlerFunc
}

// routeTable is every route New registers, in a stable order.
func routeTable() []route {
	var out []route
	add := func(method, path string, h func(*Server) http.HandlerFunc) {
		out = append(out, route{APIRoute{Method: method, Pattern: Prefix + path}, h})
	}
	for _, k := range []kindInfo{endpointKind, apiKeyKind} {
		coll, item := "/"+k.plural, "/"+k.plural+"/{name}"
		add(http.MethodGet, coll, func(s *Server) http.HandlerFunc { return s.list(k) })
		add(http.MethodPost, coll, func(s *Server) http.HandlerFunc { return s.create(k) })
		add(http.MethodGet, item, func(s *Server) http.HandlerFunc { return s.get(k) })
		add(http.MethodPut, item, func(s *Server) http.HandlerFunc { return s.replace(k) })
		add(http.MethodDelete, item, func(s *Server) http.HandlerFunc { return s.delete(k) })
	}
	add(http.MethodPost, "/apply", func(s *Server) http.HandlerFunc { return s.apply })
	add(http.MethodPost, "/diff", func(s *Server) http.HandlerFunc { return s.diff })
	add(http.MethodPost, "/validate", func(s *Server) http.HandlerFunc { return s.validate })
	add(http.MethodGet, "/providers", func(s *Server) http.HandlerFunc { return s.providers })
	add(http.MethodGet, "/status", func(s *Server) http.HandlerFunc { return s.status })
	return out
}

// Routes lists every route of the management API, from the table New
// registers, so that the OpenAPI document can be checked against it.
func Routes() []APIRoute {
	t := routeTable()
	out := make([]APIRoute, len(t))
	for i, r := range t {
		out[i] = r.APIRoute
	}
	return out
}

// New returns the API handler.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{opts: opts, ctrl: opts.Controller, log: opts.Logger, mux: http.NewServeMux()}
	allow := map[string][]string{}
	var patterns []string
	for _, r := range routeTable() {
		s.mux.HandleFunc(r.Method+" "+r.Pattern, r.handler(s))
		if _, ok := allow[r.Pattern]; !ok {
			patterns = append(patterns, r.Pattern)
		}
		allow[r.Pattern] = append(allow[r.Pattern], r.Method)
	}
	// A known path with another method: 405 in the API's JSON error format
	// (net/http's own 405 is plain text).
	for _, p := range patterns {
		methods := strings.Join(allow[p], ", ")
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", methods)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method "+r.Method+" not allowed on "+r.URL.Path+"; use "+methods)
		})
	}
	s.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no management route "+r.Method+" "+r.URL.Path)
	})
	return s
}

// ServeHTTP authenticates, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ai-gateway"`)
		msg := "missing or wrong bearer token: send Authorization: Bearer $GATEWAY_ADMIN_TOKEN"
		if s.opts.AdminToken == "" {
			msg = "the management API only answers loopback clients when GATEWAY_ADMIN_TOKEN is not set"
		}
		writeError(w, http.StatusUnauthorized, "unauthorized", msg)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.TrustForwardedUser && (r.Header.Get("X-Forwarded-Email") != "" || r.Header.Get("X-Forwarded-User") != "") {
		return true
	}
	if s.opts.AdminToken != "" {
		// The scheme is case-insensitive (RFC 9110 §11.1).
		scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		got = strings.TrimSpace(got)
		return ok && strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.AdminToken)) == 1
	}
	return isLoopback(r.RemoteAddr)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiError is the API's error body, shaped like the data plane's.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string   `json:"message"`
	Type    string   `json:"type"`
	Code    string   `json:"code"`
	Details []string `json:"details,omitempty"`
	// Fields names each wrong field of an invalid object, for forms to mark.
	Fields v1alpha1.FieldErrors `json:"fields,omitempty"`
}

// writeInvalid answers 400 for an invalid object, naming its fields as data
// too when the error knows them.
func writeInvalid(w http.ResponseWriter, msg string, fields v1alpha1.FieldErrors) {
	writeJSON(w, http.StatusBadRequest, apiError{Error: apiErrorBody{Message: msg, Type: "invalid_request_error", Code: "invalid", Fields: fields}})
}

func writeError(w http.ResponseWriter, status int, code, msg string, details ...string) {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status >= 500:
		typ = "api_error"
	}
	writeJSON(w, status, apiError{Error: apiErrorBody{Message: msg, Type: typ, Code: code, Details: details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeControllerError maps controller errors to statuses.
func writeControllerError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, controller.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, controller.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, controller.ErrNotEditable):
		writeError(w, http.StatusConflict, "not_editable", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}
