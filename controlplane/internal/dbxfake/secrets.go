package dbxfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
)

// secretKeyRE is the documented key charset and length limit.
var secretKeyRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// maxSecret is the documented value limit (128 KB).
const maxSecret = 128 << 10

func (s *Server) routeSecrets(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/2.0/secrets/scopes/create", s.secCreateScope)
	mux.HandleFunc("GET /api/2.0/secrets/scopes/list", s.secListScopes)
	mux.HandleFunc("POST /api/2.0/secrets/put", s.secPut)
	mux.HandleFunc("GET /api/2.0/secrets/get", s.secGet)
	mux.HandleFunc("GET /api/2.0/secrets/list", s.secList)
	mux.HandleFunc("POST /api/2.0/secrets/delete", s.secDelete)
}

func noScope(w http.ResponseWriter, scope string) {
	writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Scope "+scope+" does not exist!")
}

func (s *Server) secCreateScope(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scope string `json:"scope"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Scope == "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "scope is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.scopes[req.Scope]; ok {
		writeError(w, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS", "Scope "+req.Scope+" already exists!")
		return
	}
	s.scopes[req.Scope] = map[string]secretEntry{}
	writeJSON(w, struct{}{})
}

func (s *Server) secListScopes(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type scope struct {
		Name        string `json:"name"`
		BackendType string `json:"backend_type"`
	}
	var out []scope
	for name := range s.scopes {
		out = append(out, scope{name, "DATABRICKS"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		writeJSON(w, struct{}{})
		return
	}
	writeJSON(w, map[string]any{"scopes": out})
}

// secPut takes exactly one of string_value and bytes_value (base64); the
// presence of the key counts, so an empty string is a value.
func (s *Server) secPut(w http.ResponseWriter, r *http.Request) {
	var req map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", "Could not parse request object")
		return
	}
	var scope, key, str, bytesB64 string
	_ = json.Unmarshal(req["scope"], &scope)
	_ = json.Unmarshal(req["key"], &key)
	rawStr, hasStr := req["string_value"]
	rawBytes, hasBytes := req["bytes_value"]
	_ = json.Unmarshal(rawStr, &str)
	_ = json.Unmarshal(rawBytes, &bytesB64)
	var value []byte
	switch {
	case !secretKeyRE.MatchString(key):
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE",
			"Invalid secret key: must consist of alphanumeric characters, dashes, underscores, and periods, and may not exceed 128 characters.")
		return
	case hasStr == hasBytes:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Exactly one of string_value and bytes_value must be specified.")
		return
	case hasStr:
		value = []byte(str)
	default:
		var err error
		if value, err = base64.StdEncoding.DecodeString(bytesB64); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "bytes_value is not base64")
			return
		}
	}
	if len(value) > maxSecret {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Secret value is too large: the limit is 128 KB.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, ok := s.scopes[scope]
	if !ok {
		noScope(w, scope)
		return
	}
	entries[key] = secretEntry{value: value, updated: s.now()}
	writeJSON(w, struct{}{})
}

// secGet answers {"key","value"} with the value base64-encoded, as the real
// API does even for a string_value.
func (s *Server) secGet(w http.ResponseWriter, r *http.Request) {
	scope, key := r.URL.Query().Get("scope"), r.URL.Query().Get("key")
	s.mu.Lock()
	entries, scopeOK := s.scopes[scope]
	e, ok := entries[key]
	s.mu.Unlock()
	switch {
	case !scopeOK:
		noScope(w, scope)
	case !ok:
		writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Failed to get secret "+key+" for scope "+scope+".")
	default:
		writeJSON(w, map[string]string{"key": key, "value": b64(e.value)})
	}
}

func (s *Server) secList(w http.ResponseWriter, r *http.Request) {
	scope := r.URL.Query().Get("scope")
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, ok := s.scopes[scope]
	if !ok {
		noScope(w, scope)
		return
	}
	type meta struct {
		Key         string `json:"key"`
		LastUpdated int64  `json:"last_updated_timestamp"`
	}
	var out []meta
	for k, e := range entries {
		out = append(out, meta{k, e.updated})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(out) == 0 {
		writeJSON(w, struct{}{})
		return
	}
	writeJSON(w, map[string]any{"secrets": out})
}

func (s *Server) secDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scope string `json:"scope"`
		Key   string `json:"key"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", "Could not parse request object")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, ok := s.scopes[req.Scope]
	if !ok {
		noScope(w, req.Scope)
		return
	}
	if _, ok := entries[req.Key]; !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Failed to delete secret "+req.Key+" for scope "+req.Scope+".")
		return
	}
	delete(entries, req.Key)
	writeJSON(w, struct{}{})
}

// CreateScope creates an empty secret scope (no-op if it exists).
func (s *Server) CreateScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.scopes[scope]; !ok {
		s.scopes[scope] = map[string]secretEntry{}
	}
}

// Secret returns a stored secret's value.
func (s *Server) Secret(scope, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.scopes[scope][key]
	return string(e.value), ok
}

// PutSecret stores a secret behind the client's back, creating the scope.
func (s *Server) PutSecret(scope, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.scopes[scope]; !ok {
		s.scopes[scope] = map[string]secretEntry{}
	}
	s.scopes[scope][key] = secretEntry{value: []byte(value), updated: s.now()}
}
