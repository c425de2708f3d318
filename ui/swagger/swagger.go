// Package swagger serves Swagger UI at /docs and the OpenAPI document at
// /openapi.json, from the binary: the UI's files are the swagger-ui-dist npm
// package's, copied into dist/ by `make swagger-ui` and committed, so builds
// need no npm and the page needs no network beyond gatewayd.
package swagger

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/ai-gateway/gateway/api/openapi"
	"github.com/ai-gateway/gateway/ui/internal/assets"
)

// Paths served.
const (
	// DocsPath is Swagger UI's page; its files are under DocsPath + "/".
	DocsPath = "/docs"
	// OpenAPIPath is the OpenAPI document (openapi.Path).
	OpenAPIPath = openapi.Path
)

//go:embed index.html init.js dist
var files embed.FS

// csp keeps the page to this gatewayd: no script, style, image or request
// goes anywhere else. Swagger UI sets inline styles, and one of its bundled
// libraries probes for the global object with new Function, hence the two
// 'unsafe-' sources; scripts still load only from this origin.
const csp = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
	"frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"

// docsFiles maps each request path to its file: /docs and /docs/ are the page,
// /docs/init.js its initializer, /docs/NAME each file of dist/.
var docsFiles = sync.OnceValue(func() *assets.Set {
	routes := map[string]string{DocsPath: "index.html", DocsPath + "/": "index.html", DocsPath + "/init.js": "init.js"}
	entries, err := fs.ReadDir(files, "dist")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	for _, e := range entries {
		routes[DocsPath+"/"+e.Name()] = "dist/" + e.Name()
	}
	s, err := assets.New(files, routes, csp)
	if err != nil {
		panic(err)
	}
	return s
})

// Match reports whether Handler serves p: /openapi.json, /docs and the
// files under /docs/. Use it to route requests to Handler.
func Match(p string) bool {
	return p == OpenAPIPath || p == DocsPath || strings.HasPrefix(p, DocsPath+"/")
}

// Version is the swagger-ui-dist release embedded.
func Version() string {
	return strings.TrimSpace(string(docsFiles().Data(DocsPath + "/VERSION")))
}

// Handler serves /openapi.json, /docs (Swagger UI) and its files under
// /docs/ (GET and HEAD). Other paths under /docs/ get 404. It needs no
// authentication: the document holds no secret.
func Handler() http.Handler {
	doc := openapi.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == OpenAPIPath {
			doc.ServeHTTP(w, r)
			return
		}
		// Swagger UI's 1.5 MB are read on the first visit to /docs, not
		// held by every gateway from the start.
		docsFiles().ServeHTTP(w, r)
	})
}

// FastHTTPHandler is Handler for fasthttp, for gatewayd's fallback handler:
//
//	if swagger.Match(string(rc.Path())) { docs(rc); return }
func FastHTTPHandler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(Handler())
}
