package assets_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ai-gateway/gateway/ui/internal/assets"
)

func TestSet(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><p>hi</p>")},
		"app.js":     {Data: []byte(strings.Repeat("console.log('x');\n", 200))},
	}
	if _, err := assets.New(fsys, map[string]string{"/x": "missing.js"}, ""); err == nil {
		t.Error("a missing file is not an error")
	}
	s, err := assets.New(fsys, map[string]string{"/": "index.html", "/app.js": "app.js"}, "default-src 'self'")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has("/") || s.Has("/index.html") || string(s.Data("/")) != "<!doctype html><p>hi</p>" || len(s.Paths()) != 2 {
		t.Errorf("Has/Data/Paths: %v", s.Paths())
	}
	serve := func(method, p string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, p, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	page := serve("GET", "/")
	if page.Code != 200 || page.Header().Get("Content-Security-Policy") != "default-src 'self'" || page.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET /: %d %v", page.Code, page.Header())
	}
	if page.Header().Get("Content-Encoding") != "" {
		t.Error("a small file is compressed")
	}
	js := serve("GET", "/app.js", "Accept-Encoding", "gzip, br")
	if js.Header().Get("Content-Encoding") != "gzip" || js.Header().Get("Content-Security-Policy") != "" || js.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET /app.js: %v", js.Header())
	}
	if w := serve("GET", "/app.js", "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 was compressed")
	}
	if w := serve("GET", "/app.js", "If-None-Match", js.Header().Get("ETag")); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := serve("HEAD", "/"); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d %d", w.Code, w.Body.Len())
	}
	if w := serve("DELETE", "/"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE: %d", w.Code)
	}
	if w := serve("GET", "/nope"); w.Code != 404 {
		t.Errorf("GET /nope: %d", w.Code)
	}
	for name, want := range map[string]string{"a.svg": "image/svg+xml", "a.mjs": "text/javascript; charset=utf-8", "LICENSE": "text/plain; charset=utf-8"} {
		if got := assets.ContentType(name); got != want {
			t.Errorf("ContentType(%s) = %s", name, got)
		}
	}
}
