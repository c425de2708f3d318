package daemon_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWebUIRoutes checks how gatewayd's fallback shares the paths the data
// plane does not own: the web UI at / and /ui/, Swagger UI at /docs, the
// OpenAPI document, the management API, and a JSON 404 for anything else
// (an unknown /ui/ file included). The UI itself is tested in a browser by
// ui/web's TestBrowser.
func TestWebUIRoutes(t *testing.T) {
	d := startGateway(t, map[string]string{"mock.yaml": mockManifests()}, nil)
	for _, c := range []struct {
		path, contentType, body string
		status                  int
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/ui/app.js">`, 200},
		{"/ui/app.js", "text/javascript; charset=utf-8", "#/gateway", 200},
		{"/ui/style.css", "text/css; charset=utf-8", "prefers-color-scheme", 200},
		{"/docs", "text/html; charset=utf-8", "swagger-ui", 200},
		{"/openapi.json", "application/json", `"openapi"`, 200},
		{"/api/v1alpha1/endpoints", "application/json", `"mock-chat"`, 200},
		{"/gateway/mlflow/v1/models", "application/json", `"mock-chat"`, 200},
		{"/ui/nope.js", "application/json", `"code":"not_found"`, 404},
		{"/index.html", "application/json", `"code":"not_found"`, 404},
		{"/nope", "application/json", `"code":"not_found"`, 404},
	} {
		resp, err := d.client.Get(d.base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.contentType || !strings.Contains(string(b), c.body) {
			t.Errorf("GET %s: %d %q, body %.120q; want %d %q with %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), b, c.status, c.contentType, c.body)
		}
		if c.path == "/" && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self';") {
			t.Errorf("GET /: CSP %q", resp.Header.Get("Content-Security-Policy"))
		}
	}
	req, _ := http.NewRequest("POST", d.base+"/", nil)
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", resp.StatusCode)
	}
}
