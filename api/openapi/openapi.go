// Package openapi holds the OpenAPI 3 document of gatewayd's HTTP API: the
// data-plane routes and the management API. The document is written by hand
// in openapi.yaml (readable, commented) and served as JSON. Its tests check it
// against the real routes, so it cannot drift from them.
package openapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"

	"sigs.k8s.io/yaml"
)

// Path is where gatewayd serves the document.
const Path = "/openapi.json"

//go:embed openapi.yaml
var source []byte

// compiled converts the YAML source to JSON once.
var compiled = sync.OnceValues(func() ([]byte, error) {
	j, err := yaml.YAMLToJSON(source)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return j, nil
})

// Document returns the OpenAPI 3.0.3 document as JSON. Each call returns a
// fresh copy the caller may keep or modify.
func Document() []byte {
	j, err := compiled()
	if err != nil {
		panic(err) // openapi.yaml is embedded and checked by the tests
	}
	return bytes.Clone(j)
}

// Handler serves the document (GET and HEAD) wherever it is mounted,
// conventionally at Path.
func Handler() http.Handler {
	// Built on first use: most gateways never serve the document, and the
	// YAML-to-JSON conversion would otherwise cost every process at start.
	served := sync.OnceValues(func() ([]byte, string) {
		doc := Document()
		sum := sha256.Sum256(doc)
		return doc, `"` + hex.EncodeToString(sum[:8]) + `"`
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, etag := served()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", etag)
		// Swagger UI or an editor served elsewhere may read it.
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(doc)
	})
}
