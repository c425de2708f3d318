package mgmt_test

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
	"github.com/ai-gateway/gateway/controlplane/secrets/localfile"
	"github.com/ai-gateway/gateway/controlplane/store/localdir"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/internal/logbuf"
)

// testSecretKey is a fixed AES-256 key (base64 of 32 bytes) for the local secret store.
const testSecretKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// loopback is the RemoteAddr of a local client.
const loopback = "127.0.0.1:54321"

// env is the management API over a real controller: a manifest folder on
// disk, an encrypted local secret store and a real read model.
type env struct {
	t         *testing.T
	dir       string // manifest folder
	secretDir string
	secrets   *localfile.Store
	index     *state.Index
	ctrl      *controller.Controller
	api       *mgmt.Server
	logs      *logbuf.Buffer
}

// newEnv writes files (path → content) into a fresh manifest folder, runs
// one reconcile and returns the API. opts may adjust the API's options.
func newEnv(t *testing.T, files map[string]string, opts ...func(*mgmt.Options)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), secretDir: t.TempDir(), logs: &logbuf.Buffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := localdir.New(e.dir, localdir.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if e.secrets, err = localfile.Open(e.secretDir, localfile.Options{Key: testSecretKey, Logger: log}); err != nil {
		t.Fatal(err)
	}
	reg := builtin.Registry()
	if e.index, err = state.New(reg.Adapter); err != nil {
		t.Fatal(err)
	}
	e.ctrl = controller.New(controller.Options{
		Store: st, Secrets: e.secrets, Writer: e.index, Providers: reg, Logger: log,
		Getenv: func(string) (string, bool) { return "", false },
		Quiet:  20 * time.Millisecond,
	})
	for name, content := range files {
		e.write(name, content)
	}
	e.reconcile()
	o := mgmt.Options{Controller: e.ctrl, Catalog: reg, Logger: log}
	for _, f := range opts {
		f(&o)
	}
	e.api = mgmt.New(o)
	return e
}

func (e *env) write(name, content string) {
	e.t.Helper()
	full := filepath.Join(e.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) reconcile() {
	e.t.Helper()
	if err := e.ctrl.Reconcile(e.t.Context()); err != nil {
		e.t.Fatalf("Reconcile: %v", err)
	}
}

// files returns every file under the manifest folder, path → content.
func (e *env) files() map[string]string {
	e.t.Helper()
	return readTree(e.t, e.dir)
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// file returns one manifest file's content, failing if it does not exist.
func (e *env) file(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, filepath.FromSlash(name)))
	if err != nil {
		e.t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func (e *env) exists(name string) bool {
	_, err := os.Stat(filepath.Join(e.dir, filepath.FromSlash(name)))
	return err == nil
}

// do sends a request from a loopback client.
func (e *env) do(method, target, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.serve(newRequest(method, target, body))
}

func newRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.RemoteAddr = loopback
	if body != "" {
		r.Header.Set("Content-Type", "application/yaml")
	}
	return r
}

func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, r)
	return w
}

// expect fails unless the response has the status; it returns the body.
func expect(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", w.Code, status, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	return w.Body.String()
}

// decodeJSON decodes a response body.
func decodeJSON[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
	return v
}

// apiError is the management API's error body.
type apiError struct {
	Error struct {
		Message string               `json:"message"`
		Type    string               `json:"type"`
		Code    string               `json:"code"`
		Details []string             `json:"details"`
		Fields  v1alpha1.FieldErrors `json:"fields"`
	} `json:"error"`
}

// expectError fails unless the response is an error with the status, code
// and a message containing each of want.
func expectError(t *testing.T, w *httptest.ResponseRecorder, status int, code string, want ...string) apiError {
	t.Helper()
	e := decodeJSON[apiError](t, expect(t, w, status))
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", e.Error.Code, code, e.Error.Message)
	}
	for _, s := range want {
		if !strings.Contains(e.Error.Message, s) {
			t.Errorf("error message %q does not contain %q", e.Error.Message, s)
		}
	}
	return e
}

// ready returns an object's Ready condition, failing if it has none.
func ready(t *testing.T, obj v1alpha1.Object) v1alpha1.Condition {
	t.Helper()
	for _, c := range obj.GetStatus().Conditions {
		if c.Type == "Ready" {
			return c
		}
	}
	t.Fatalf("%s/%s has no Ready condition: %+v", obj.GetTypeMeta().Kind, obj.GetMetadata().Name, obj.GetStatus())
	return v1alpha1.Condition{}
}

// applyResponse mirrors mgmt.ApplyResponse with concrete objects.
type applyResponse struct {
	DryRun  bool `json:"dryRun"`
	Results []struct {
		Kind   string               `json:"kind"`
		Name   string               `json:"name"`
		Action string               `json:"action"`
		Error  string               `json:"error"`
		Fields v1alpha1.FieldErrors `json:"fields"`
		Object json.RawMessage      `json:"object"`
	} `json:"results"`
}

// actions renders results as "Kind/name=action" lines, for comparison.
func (a applyResponse) actions() string {
	var lines []string
	for _, r := range a.Results {
		lines = append(lines, r.Kind+"/"+r.Name+"="+r.Action)
	}
	return strings.Join(lines, "\n")
}

// Manifests shared by the tests.
const (
	mockKey = `apiVersion: gateway/v1alpha1
kind: APIKey
metadata:
  name: mock
spec:
  provider: mock
`
	chatEndpoint = `apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: chat
  labels: {team: a}
spec:
  task: chat
  targets:
  - model: mock-1
    apiKeyRef: mock
`
	embeddingsEndpoint = `apiVersion: gateway/v1alpha1
kind: Endpoint
metadata:
  name: emb
  labels: {team: a}
spec:
  task: embeddings
  targets:
  - model: mock-embed
    apiKeyRef: mock
`
)

// baseFiles is a small configuration: one APIKey, two Endpoints, one file each.
func baseFiles() map[string]string {
	return map[string]string{
		"apikeys/mock.yaml":   mockKey,
		"endpoints/chat.yaml": chatEndpoint,
		"endpoints/emb.yaml":  embeddingsEndpoint,
	}
}

// endpointYAML renders a one-target Endpoint manifest.
func endpointYAML(name, labels, model, extra string) string {
	s := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata:\n  name: " + name + "\n"
	if labels != "" {
		s += "  labels: " + labels + "\n"
	}
	s += "spec:\n  targets:\n  - model: " + model + "\n    apiKeyRef: mock\n" + extra
	return s
}
