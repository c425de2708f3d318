// Package web serves gatewayd's web UI: the page at / and its files under
// /ui/, embedded in the binary. The UI is plain HTML, CSS and ES modules in
// static/, committed as written (no build step, no npm for `make run`), and
// the page loads nothing from anywhere but this gatewayd: it talks to the
// management API (/api/v1alpha1) and, for "try it", to the data plane
// (/gateway/mlflow/v1).
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/ai-gateway/gateway/ui/internal/assets"
)

// Paths served.
const (
	// IndexPath is the page; its routes are hash routes (/#/gateway, /#/apikeys).
	IndexPath = "/"
	// AssetPrefix is where the page's scripts, styles and icon are served.
	AssetPrefix = "/ui/"
)

//go:embed static
var files embed.FS

// CSP keeps the page to this gatewayd and to code it ships: scripts and
// styles from this origin only (no inline script or style, no eval),
// requests to this origin only, and Trusted Types enforced so that no
// string can become HTML (the UI builds every element with the DOM API).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"manifest-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; " +
	"require-trusted-types-for 'script'; trusted-types 'none'"

// uiFiles maps / to static/index.html and /ui/NAME to every other file of static/.
var uiFiles = sync.OnceValue(func() *assets.Set {
	routes := map[string]string{IndexPath: "static/index.html"}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "static/index.html" {
			return err
		}
		routes[AssetPrefix+p[len("static/"):]] = p
		return nil
	})
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	s, err := assets.New(files, routes, CSP)
	if err != nil {
		panic(err)
	}
	return s
})

// Match reports whether Handler serves p: the page at / and the UI's own
// files under /ui/. Any other path (including an unknown /ui/ file) is not
// the UI's, so gatewayd answers it with its JSON 404.
func Match(p string) bool {
	return uiFiles().Has(p)
}

// Paths returns every path the UI serves.
func Paths() []string {
	return uiFiles().Paths()
}

// Handler serves the UI (GET and HEAD). It needs no authentication: the
// files hold no secret, and every call the page makes to the management API
// is authenticated there.
func Handler() http.Handler {
	return uiFiles()
}

// FastHTTPHandler is Handler for fasthttp, for gatewayd's fallback handler:
//
//	if web.Match(string(rc.Path())) { ui(rc); return }
func FastHTTPHandler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(Handler())
}
