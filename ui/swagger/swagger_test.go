package swagger_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/api/openapi"
	"github.com/ai-gateway/gateway/ui/swagger"
)

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestDocsPage(t *testing.T) {
	h := swagger.Handler()
	w := get(t, h, "/docs")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	for _, s := range []string{`src="/docs/swagger-ui-bundle.js"`, `href="/docs/swagger-ui.css"`, `src="/docs/init.js"`, `data-openapi-url="/openapi.json"`} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	// Offline: nothing is loaded from anywhere else, and the CSP says so too.
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
		t.Error("page loads something from another origin")
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, s := range []string{"default-src 'self'", "connect-src 'self'", "script-src 'self' 'unsafe-eval'"} {
		if !strings.Contains(csp, s) {
			t.Errorf("CSP %q lacks %q", csp, s)
		}
	}
	// Every local file the page names is served, with the right type.
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		w := get(t, h, m[1])
		if w.Code != 200 || w.Body.Len() == 0 {
			t.Errorf("%s: %d", m[1], w.Code)
		}
		want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
			".png": "image/png", ".json": "application/json"}[m[1][strings.LastIndex(m[1], "."):]]
		if got := w.Header().Get("Content-Type"); got != want {
			t.Errorf("%s: Content-Type %q, want %q", m[1], got, want)
		}
	}
	// The initializer points Swagger UI at the page's document and never at
	// the public validator.
	init := get(t, h, "/docs/init.js").Body.String()
	for _, s := range []string{`getAttribute("data-openapi-url")`, "validatorUrl: null", "SwaggerUIBundle("} {
		if !strings.Contains(init, s) {
			t.Errorf("init.js lacks %s", s)
		}
	}
	if w := get(t, h, "/docs/"); w.Code != 200 || w.Body.String() != page {
		t.Errorf("/docs/: %d", w.Code)
	}
}

func TestBundle(t *testing.T) {
	h := swagger.Handler()
	w := get(t, h, "/docs/swagger-ui-bundle.js")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	plain := w.Body.Bytes()
	if len(plain) < 500_000 || !bytes.Contains(plain, []byte("SwaggerUIBundle")) {
		t.Fatalf("bundle is %d bytes", len(plain))
	}
	// Compressed for clients that take gzip.
	gz := get(t, h, "/docs/swagger-ui-bundle.js", "Accept-Encoding", "br, gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= len(plain)/2 {
		t.Fatalf("gzip: encoding %q, %d bytes", gz.Header().Get("Content-Encoding"), gz.Body.Len())
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	un, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(un, plain) {
		t.Fatalf("gzip body does not decompress to the bundle: %v", err)
	}
	if got := get(t, h, "/docs/swagger-ui-bundle.js", "Accept-Encoding", "gzip;q=0").Header().Get("Content-Encoding"); got != "" {
		t.Errorf("gzip;q=0 got %q", got)
	}
	// Revalidation.
	etag := w.Header().Get("ETag")
	if w := get(t, h, "/docs/swagger-ui-bundle.js", "If-None-Match", etag); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	if w := get(t, h, "/docs/swagger-ui.css"); w.Code != 200 || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("css: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	// HEAD answers headers only.
	r := httptest.NewRequest("HEAD", "/docs/swagger-ui.css", nil)
	hw := httptest.NewRecorder()
	h.ServeHTTP(hw, r)
	if hw.Code != 200 || hw.Body.Len() != 0 || hw.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes", hw.Code, hw.Body.Len())
	}
}

func TestOpenAPIAndErrors(t *testing.T) {
	h := swagger.Handler()
	w := get(t, h, "/openapi.json")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || !bytes.Equal(w.Body.Bytes(), openapi.Document()) {
		t.Errorf("/openapi.json: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, p := range []string{"/docs/nope.js", "/docs/../go.mod", "/docs/dist/LICENSE", "/docs/index.html"} {
		if w := get(t, h, p); w.Code != 404 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/docs", nil))
	if w.Code != 405 {
		t.Errorf("POST /docs: %d", w.Code)
	}
	// The licences ship with the files.
	if w := get(t, h, "/docs/LICENSE"); w.Code != 200 || !strings.Contains(w.Body.String(), "Apache License") {
		t.Errorf("LICENSE: %d", w.Code)
	}
}

func TestMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"/docs": true, "/docs/": true, "/docs/swagger-ui.css": true, "/openapi.json": true,
		"/doc": false, "/docsx": false, "/": false, "/api/v1alpha1/docs": false, "/openapi.yaml": false,
	} {
		if got := swagger.Match(p); got != want {
			t.Errorf("Match(%q) = %v", p, got)
		}
	}
}

func TestFastHTTPHandler(t *testing.T) {
	h := swagger.FastHTTPHandler()
	for path, ct := range map[string]string{"/docs": "text/html; charset=utf-8", "/docs/swagger-ui-bundle.js": "text/javascript; charset=utf-8", "/openapi.json": "application/json"} {
		var rc fasthttp.RequestCtx
		rc.Request.Header.SetMethod("GET")
		rc.Request.SetRequestURI(path)
		h(&rc)
		if rc.Response.StatusCode() != 200 || string(rc.Response.Header.ContentType()) != ct || len(rc.Response.Body()) == 0 {
			t.Errorf("%s: %d %q", path, rc.Response.StatusCode(), rc.Response.Header.ContentType())
		}
	}
}

// TestPinnedVersion checks that dist/ holds the release package.json pins,
// so a changed pin without `make swagger-ui` (or the reverse) fails.
func TestPinnedVersion(t *testing.T) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	for name, v := range map[string]any{"package.json": &pkg, "package-lock.json": &lock} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	pin := pkg.Dependencies["swagger-ui-dist"]
	if got := swagger.Version(); got != pin || got == "" {
		t.Errorf("dist/VERSION = %q, package.json pins %q: run make swagger-ui", got, pin)
	}
	if got := lock.Packages["node_modules/swagger-ui-dist"].Version; got != pin {
		t.Errorf("package-lock.json has %q, package.json pins %q", got, pin)
	}
}
