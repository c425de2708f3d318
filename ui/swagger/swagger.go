// Package swagger serves Swagger UI at /docs and the OpenAPI document at
// /openapi.json, from the binary: the UI's files are the swagger-ui-dist npm
// package's, copied into dist/ by `make swagger-ui` and committed, so builds
// need no npm and the page needs no network beyond gatewayd.
package swagger

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/ai-gateway/gateway/api/openapi"
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

type asset struct {
	data        []byte
	contentType string
	etag        string
	gzipOnce    sync.Once
	gz          []byte // nil when compression does not pay
}

func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		if len(a.data) < 1024 {
			return
		}
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = w.Write(a.data)
		_ = w.Close()
		if b.Len() < len(a.data)*9/10 {
			a.gz = b.Bytes()
		}
	})
	return a.gz
}

// assets maps a request path to its file.
var assets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	add := func(urlPath, name string) {
		data, err := fs.ReadFile(files, name)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		sum := sha256.Sum256(data)
		m[urlPath] = &asset{data: data, contentType: contentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	add(DocsPath, "index.html")
	add(DocsPath+"/", "index.html")
	add(DocsPath+"/init.js", "init.js")
	entries, err := fs.ReadDir(files, "dist")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		add(DocsPath+"/"+e.Name(), "dist/"+e.Name())
	}
	return m
})

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".png":
		return "image/png"
	}
	return "text/plain; charset=utf-8" // LICENSE, NOTICE, VERSION, *.LICENSE.txt
}

// Match reports whether Handler serves p: /openapi.json, /docs and the
// files under /docs/. Use it to route requests to Handler.
func Match(p string) bool {
	return p == OpenAPIPath || p == DocsPath || strings.HasPrefix(p, DocsPath+"/")
}

// Version is the swagger-ui-dist release embedded.
func Version() string {
	return strings.TrimSpace(string(assets()[DocsPath+"/VERSION"].data))
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
		a, ok := assets()[r.URL.Path]
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
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "no-cache") // revalidate: the ETag makes that a 304
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Vary", "Accept-Encoding")
		if strings.HasPrefix(a.contentType, "text/html") {
			h.Set("Content-Security-Policy", csp)
			h.Set("Referrer-Policy", "no-referrer")
		}
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := a.data
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			if gz := a.gzipped(); gz != nil {
				h.Set("Content-Encoding", "gzip")
				body = gz
			}
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// FastHTTPHandler is Handler for fasthttp, for gatewayd's fallback handler:
//
//	if swagger.Match(string(rc.Path())) { docs(rc); return }
func FastHTTPHandler() fasthttp.RequestHandler {
	return fasthttpadaptor.NewFastHTTPHandler(Handler())
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
