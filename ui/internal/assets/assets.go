// Package assets serves a fixed set of embedded files over HTTP the way
// gatewayd's pages need: each URL maps to one file, answered with its content
// type, a strong ETag (revalidated, so a changed binary is picked up at once),
// gzip when the client takes it and it pays, nosniff, and a strict
// Content-Security-Policy on HTML pages. Swagger UI (/docs) and the web UI (/)
// share it.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// Set is an immutable map from URL path to embedded file. It is safe for
// concurrent use.
type Set struct {
	files map[string]*file
	csp   string
}

type file struct {
	data        []byte
	contentType string
	etag        string
	gzipOnce    sync.Once
	gz          []byte // nil when compression does not pay
}

// New reads every file named in routes (URL path → file name in fsys) and
// returns the Set serving them. csp is the Content-Security-Policy sent with
// HTML files. A missing file is an error: the files are embedded, so it is a
// build mistake.
func New(fsys fs.FS, routes map[string]string, csp string) (*Set, error) {
	s := &Set{files: make(map[string]*file, len(routes)), csp: csp}
	for urlPath, name := range routes {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("asset %s: %w", urlPath, err)
		}
		sum := sha256.Sum256(data)
		s.files[urlPath] = &file{data: data, contentType: ContentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return s, nil
}

// Has reports whether the Set serves urlPath.
func (s *Set) Has(urlPath string) bool {
	_, ok := s.files[urlPath]
	return ok
}

// Data returns the bytes served at urlPath, or nil. The caller must not
// modify them.
func (s *Set) Data(urlPath string) []byte {
	if f, ok := s.files[urlPath]; ok {
		return f.data
	}
	return nil
}

// Paths returns every URL path served, in no particular order.
func (s *Set) Paths() []string {
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	return out
}

// ContentType is the media type of a file name, by extension.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	}
	return "text/plain; charset=utf-8" // LICENSE, NOTICE, VERSION, *.LICENSE.txt
}

// ServeHTTP answers GET and HEAD for the Set's paths; any other path gets a
// plain-text 404 and any other method a 405.
func (s *Set) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.URL.Path]
	if !ok {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache") // revalidate: the ETag makes that a 304
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if strings.HasPrefix(f.contentType, "text/html") {
		h.Set("Content-Security-Policy", s.csp)
		h.Set("Referrer-Policy", "no-referrer")
	}
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.data
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		if gz := f.gzipped(); gz != nil {
			h.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func (f *file) gzipped() []byte {
	f.gzipOnce.Do(func() {
		if len(f.data) < 1024 {
			return
		}
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = w.Write(f.data)
		_ = w.Close()
		if b.Len() < len(f.data)*9/10 {
			f.gz = b.Bytes()
		}
	})
	return f.gz
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
