package web_test

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/ui/web"
)

func get(t *testing.T, p string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", p, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	web.Handler().ServeHTTP(w, r)
	return w
}

func TestPage(t *testing.T) {
	w := get(t, "/")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	csp := w.Header().Get("Content-Security-Policy")
	for _, s := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "connect-src 'self'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, s) {
			t.Errorf("CSP %q lacks %q", csp, s)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	// No inline script or style (the CSP would block them), nothing from
	// another origin, and the hash route the design names.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>|<style|\sstyle=|\son[a-z]+=`).MatchString(page) {
		t.Error("page has an inline script, style or event handler")
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) {
		t.Error("page loads something from another origin")
	}
	if !strings.Contains(page, `href="#/gateway"`) || !strings.Contains(page, `type="module" src="/ui/app.js"`) {
		t.Error("page lacks the gateway route or its entry module")
	}
	// Every local file the page names is served with its type.
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]*)"`).FindAllStringSubmatch(page, -1) {
		if m[1] == "/docs" {
			continue // Swagger UI, served by ui/swagger
		}
		w := get(t, m[1])
		if w.Code != 200 || w.Body.Len() == 0 {
			t.Errorf("%s: %d", m[1], w.Code)
		}
	}
}

// TestModules checks that every ES module import resolves to a served file
// and that no script builds HTML from strings or calls another origin.
func TestModules(t *testing.T) {
	importRE := regexp.MustCompile(`(?m)^import\s[^"]*"(\./[^"]+)";|^\s*} from "(\./[^"]+)";`)
	var modules int
	for _, p := range web.Paths() {
		if path.Ext(p) != ".js" {
			continue
		}
		modules++
		w := get(t, p)
		if w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", p, w.Header().Get("Content-Type"))
		}
		src := w.Body.String()
		for _, m := range importRE.FindAllStringSubmatch(src, -1) {
			dep := m[1] + m[2]
			if !web.Match(path.Join(path.Dir(p), dep)) {
				t.Errorf("%s imports %s, which is not served", p, dep)
			}
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage.setItem", "fetch(\"http", "fetch(`http"} {
			if strings.Contains(src, bad) {
				t.Errorf("%s uses %s", p, bad)
			}
		}
	}
	if modules < 5 {
		t.Errorf("only %d modules served", modules)
	}
}

func TestAssetsAndErrors(t *testing.T) {
	w := get(t, "/ui/style.css", "Accept-Encoding", "gzip")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/css; charset=utf-8" || w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("style.css: %d %v", w.Code, w.Header())
	}
	if w.Header().Get("Content-Security-Policy") != "" {
		t.Error("CSP sent on a stylesheet")
	}
	if w := get(t, "/ui/favicon.svg"); w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %q", w.Header().Get("Content-Type"))
	}
	etag := get(t, "/ui/app.js").Header().Get("ETag")
	if w := get(t, "/ui/app.js", "If-None-Match", etag); etag == "" || w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/", nil)
	pw := httptest.NewRecorder()
	web.Handler().ServeHTTP(pw, r)
	if pw.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", pw.Code)
	}
}

func TestMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/ui/app.js": true, "/ui/style.css": true, "/ui/favicon.svg": true,
		"/ui/": false, "/ui/nope.js": false, "/ui/index.html": false, "/index.html": false, "/ui": false,
		"/docs": false, "/api/v1alpha1/endpoints": false, "/gateway/mlflow/v1/models": false, "/health": false,
	} {
		if got := web.Match(p); got != want {
			t.Errorf("Match(%q) = %v", p, got)
		}
	}
	if !slices.Contains(web.Paths(), web.IndexPath) {
		t.Error("Paths lacks /")
	}
	for _, p := range web.Paths() {
		if p != web.IndexPath && !strings.HasPrefix(p, web.AssetPrefix) {
			t.Errorf("%s is outside %s", p, web.AssetPrefix)
		}
	}
}

func TestFastHTTPHandler(t *testing.T) {
	h := web.FastHTTPHandler()
	for p, ct := range map[string]string{"/": "text/html; charset=utf-8", "/ui/app.js": "text/javascript; charset=utf-8"} {
		var rc fasthttp.RequestCtx
		rc.Request.Header.SetMethod("GET")
		rc.Request.SetRequestURI(p)
		h(&rc)
		if rc.Response.StatusCode() != 200 || string(rc.Response.Header.ContentType()) != ct || len(rc.Response.Body()) == 0 {
			t.Errorf("%s: %d %q", p, rc.Response.StatusCode(), rc.Response.Header.ContentType())
		}
	}
}
