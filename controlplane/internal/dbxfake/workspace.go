package dbxfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
)

// maxImport is the workspace import limit (MAX_NOTEBOOK_SIZE_EXCEEDED above it).
const maxImport = 10 << 20

// workspaceObject is ObjectInfo on the wire.
type workspaceObject struct {
	Path       string `json:"path"`
	ObjectType string `json:"object_type"`
	ObjectID   int64  `json:"object_id"`
	Size       int64  `json:"size,omitempty"`
	CreatedAt  int64  `json:"created_at,omitempty"`
	ModifiedAt int64  `json:"modified_at,omitempty"`
}

func (s *Server) routeWorkspace(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/2.0/workspace/list", s.wsList)
	mux.HandleFunc("GET /api/2.0/workspace/get-status", s.wsGetStatus)
	mux.HandleFunc("GET /api/2.0/workspace/export", s.wsExport)
	mux.HandleFunc("POST /api/2.0/workspace/import", s.wsImport)
	mux.HandleFunc("POST /api/2.0/workspace/mkdirs", s.wsMkdirs)
	mux.HandleFunc("POST /api/2.0/workspace/delete", s.wsDelete)
}

// clean canonicalises an API path; "" when it is not absolute. The fake is
// strict: it does not accept the /Workspace prefix of the FUSE view, so a
// client that sends it is caught.
func clean(p string) string {
	if !strings.HasPrefix(p, "/") {
		return ""
	}
	return path.Clean(p)
}

func notExist(w http.ResponseWriter, p string) {
	writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Path ("+p+") doesn't exist.")
}

func (s *Server) wsList(w http.ResponseWriter, r *http.Request) {
	p := clean(r.URL.Query().Get("path"))
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, ok := s.objects[p]
	if !ok {
		notExist(w, r.URL.Query().Get("path"))
		return
	}
	var out []workspaceObject
	if dir.info.ObjectType != "DIRECTORY" {
		out = append(out, dir.info) // listing a file lists the file (fake's choice)
	} else {
		for _, o := range s.children(p) {
			out = append(out, o.info)
		}
	}
	// An empty folder has no "objects" key at all: the SDK tags it omitempty.
	if len(out) == 0 {
		writeJSON(w, struct{}{})
		return
	}
	writeJSON(w, map[string]any{"objects": out})
}

// children returns the direct children of dir, sorted by path. s.mu must be held.
func (s *Server) children(dir string) []*object {
	var out []*object
	for p, o := range s.objects {
		if p != "/" && path.Dir(p) == dir {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].info.Path < out[j].info.Path })
	return out
}

func (s *Server) wsGetStatus(w http.ResponseWriter, r *http.Request) {
	p := clean(r.URL.Query().Get("path"))
	s.mu.Lock()
	o, ok := s.objects[p]
	var info workspaceObject
	if ok {
		info = o.info
	}
	s.mu.Unlock()
	if !ok {
		notExist(w, r.URL.Query().Get("path"))
		return
	}
	writeJSON(w, info)
}

// wsExport answers direct_download=true with the raw bytes and otherwise with
// {"content": base64, "file_type"}.
func (s *Server) wsExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := clean(q.Get("path"))
	s.mu.Lock()
	o, ok := s.objects[p]
	var data []byte
	var kind string
	if ok {
		data, kind = append([]byte(nil), o.data...), o.info.ObjectType
	}
	s.mu.Unlock()
	switch {
	case !ok:
		notExist(w, q.Get("path"))
	case kind != "FILE":
		// Fake's choice: folders export only as DBC or zip archives, which
		// nothing here asks for.
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Cannot export a directory in this format.")
	case q.Get("direct_download") == "true":
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	default:
		writeJSON(w, map[string]string{"content": b64(data), "file_type": path.Ext(p)})
	}
}

type importRequest struct {
	Path      string `json:"path"`
	Content   string `json:"content"`
	Format    string `json:"format"`
	Language  string `json:"language"`
	Overwrite bool   `json:"overwrite"`
}

// wsImport takes JSON (content base64, from Import) or multipart/form-data
// (fields path, format, overwrite and a file part "content", from Upload).
func (s *Server) wsImport(w http.ResponseWriter, r *http.Request) {
	var req importRequest
	var data []byte
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxImport + 1<<20); err != nil {
			writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", "bad multipart body: "+err.Error())
			return
		}
		req.Path, req.Format, req.Language = r.FormValue("path"), r.FormValue("format"), r.FormValue("language")
		req.Overwrite = r.FormValue("overwrite") == "true"
		f, _, err := r.FormFile("content")
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "content is required")
			return
		}
		data, err = io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", err.Error())
			return
		}
	} else {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", "Could not parse request object: "+err.Error())
			return
		}
		var err error
		if data, err = base64.StdEncoding.DecodeString(req.Content); err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "content is not base64")
			return
		}
	}
	if len(data) > maxImport {
		writeError(w, http.StatusBadRequest, "MAX_NOTEBOOK_SIZE_EXCEEDED", "File size imported is too large.")
		return
	}
	// Only workspace files are modelled: SOURCE without a language, or a
	// notebook extension, would make a notebook in the real service.
	if req.Format != "AUTO" && req.Format != "RAW" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "the fake only imports files: use format AUTO or RAW")
		return
	}
	p := clean(req.Path)
	if p == "" || p == "/" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Path ("+req.Path+") is not absolute.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.objects[path.Dir(p)]
	if !ok || parent.info.ObjectType != "DIRECTORY" {
		writeError(w, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "The parent folder ("+path.Dir(p)+") does not exist.")
		return
	}
	old, exists := s.objects[p]
	if exists && (!req.Overwrite || old.info.ObjectType != "FILE") {
		writeError(w, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS", "Path ("+p+") already exists.")
		return
	}
	s.putLocked(p, data)
	writeJSON(w, struct{}{})
}

// putLocked creates or replaces a file; its parent must exist. s.mu must be held.
func (s *Server) putLocked(p string, data []byte) {
	now := s.now()
	if old, ok := s.objects[p]; ok {
		old.data = append([]byte(nil), data...)
		old.info.Size, old.info.ModifiedAt = int64(len(data)), now
		return
	}
	s.objects[p] = &object{data: append([]byte(nil), data...), info: workspaceObject{Path: p, ObjectType: "FILE",
		ObjectID: s.id(), Size: int64(len(data)), CreatedAt: now, ModifiedAt: now}}
}

func (s *Server) wsMkdirs(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path string `json:"path"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || clean(req.Path) == "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "path must be absolute")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.mkdirsLocked(clean(req.Path)); !ok {
		writeError(w, http.StatusBadRequest, "RESOURCE_ALREADY_EXISTS", "Cannot create directory "+req.Path+" because "+p+" is an existing file.")
		return
	}
	writeJSON(w, struct{}{})
}

// mkdirsLocked creates p and its parents; it fails, naming the culprit, when
// one of them is a file. s.mu must be held.
func (s *Server) mkdirsLocked(p string) (string, bool) {
	if p == "/" {
		return "", true
	}
	if culprit, ok := s.mkdirsLocked(path.Dir(p)); !ok {
		return culprit, false
	}
	if o, ok := s.objects[p]; ok {
		return p, o.info.ObjectType == "DIRECTORY"
	}
	s.objects[p] = &object{info: workspaceObject{Path: p, ObjectType: "DIRECTORY", ObjectID: s.id()}}
	return "", true
}

func (s *Server) wsDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path      string `json:"path"`
		Recursive bool   `json:"recursive"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "MALFORMED_REQUEST", err.Error())
		return
	}
	p := clean(req.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[p]
	switch {
	case !ok || p == "/":
		notExist(w, req.Path)
		return
	case o.info.ObjectType == "DIRECTORY" && !req.Recursive && len(s.children(p)) > 0:
		writeError(w, http.StatusBadRequest, "DIRECTORY_NOT_EMPTY", "Folder ("+p+") is not empty.")
		return
	}
	s.deleteLocked(p)
	writeJSON(w, struct{}{})
}

// deleteLocked removes p and everything below it. s.mu must be held.
func (s *Server) deleteLocked(p string) {
	for q := range s.objects {
		if q == p || strings.HasPrefix(q, p+"/") {
			delete(s.objects, q)
		}
	}
}

// WriteFile creates or replaces a workspace file behind the client's back
// (a person editing in the workspace UI), creating its folders.
func (s *Server) WriteFile(p string, data []byte) {
	p = clean(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if culprit, ok := s.mkdirsLocked(path.Dir(p)); !ok {
		panic("dbxfake: WriteFile " + p + ": " + culprit + " is a file")
	}
	s.putLocked(p, data)
}

// ReadFile returns a workspace file's content.
func (s *Server) ReadFile(p string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[clean(p)]
	if !ok || o.info.ObjectType != "FILE" {
		return nil, false
	}
	return append([]byte(nil), o.data...), true
}

// Remove deletes a file or folder (recursively) behind the client's back.
func (s *Server) Remove(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteLocked(clean(p))
}

// Mkdir creates a folder and its parents.
func (s *Server) Mkdir(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if culprit, ok := s.mkdirsLocked(clean(p)); !ok {
		panic("dbxfake: Mkdir " + p + ": " + culprit + " is a file")
	}
}

// AddNotebook creates a notebook object (which has no modified_at or size),
// to check that clients skip what is not a file.
func (s *Server) AddNotebook(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = clean(p)
	s.mkdirsLocked(path.Dir(p))
	s.objects[p] = &object{info: workspaceObject{Path: p, ObjectType: "NOTEBOOK", ObjectID: s.id()}}
}

// SetModifiedAt rewrites a file's content and modified_at as given, keeping
// the size when the new content has the same length: an edit that a poll of
// (modified_at, size) alone cannot see.
func (s *Server) SetModifiedAt(p string, data []byte, modifiedAt int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.objects[clean(p)]
	o.data = append([]byte(nil), data...)
	o.info.Size, o.info.ModifiedAt = int64(len(data)), modifiedAt
}

// Stat returns a file's ObjectInfo fields (object id, size, modified_at).
func (s *Server) Stat(p string) (objectID, size, modifiedAt int64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[clean(p)]
	if !ok {
		return 0, 0, 0, false
	}
	return o.info.ObjectID, o.info.Size, o.info.ModifiedAt, true
}

// Files returns every file path with its content.
func (s *Server) Files() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for p, o := range s.objects {
		if o.info.ObjectType == "FILE" {
			out[p] = append([]byte(nil), o.data...)
		}
	}
	return out
}
