package cli

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/daemon"
	"github.com/ai-gateway/gateway/dataplane/providers/openai/openaitest"
)

// canary is a recognisable credential that must never show up anywhere but
// in the upstream's Authorization header.
const canary = "sk-CANARY-5b7e1d0c9a-do-not-leak"

// TestSecretCanary applies a credential as spec.value (from a file, with
// create --from-file and from stdin) and checks that it appears in no file of
// the manifest folder or the data folder, no gatewayctl output, no API
// response and no log line, while the Endpoint using it works.
func TestSecretCanary(t *testing.T) {
	const adminToken = "admin-token-for-the-canary-test"
	fake := openaitest.New(canary)
	defer fake.Close()
	g := startGatewayd(t, nil, func(c *daemon.Config) { c.AdminToken = adminToken })
	env := map[string]string{"GATEWAY_TOKEN": adminToken}

	repo := t.TempDir()
	keyFile := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata:\n  name: canary\n  labels: {team: x}\nspec:\n" +
		"  provider: openai-compatible\n  value: " + canary + "\n  config: {baseURL: '" + fake.BaseURL() + "'}\n"
	writeFiles(t, repo, map[string]string{
		"key.yaml":      keyFile,
		"endpoint.yaml": "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: canary-chat, labels: {team: x}}\nspec:\n  targets:\n  - {model: gpt-fake, apiKeyRef: canary}\n",
		"bad/key.yaml": "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata: {name: bad}\nspec:\n  provider: openai\n  env: OPENAI_API_KEY\n  value: " + canary +
			"\n",
		"cred.txt": canary + "\n",
	})

	var outputs []result
	ctl := func(want int, stdin string, args ...string) result {
		t.Helper()
		r := g.run(env, stdin, args...)
		if r.code != want {
			t.Fatalf("gatewayctl %s: want exit %d\n%s", strings.Join(args, " "), want, r)
		}
		outputs = append(outputs, r)
		return r
	}
	ctl(0, "", "validate", "-f", repo)
	ctl(1, "", "validate", "-f", filepath.Join(repo, "bad"))
	ctl(1, "", "diff", "-f", repo)
	// Before the first apply, so that the external program sees a new object.
	if _, err := exec.LookPath("diff"); err == nil {
		r := g.run(map[string]string{"GATEWAY_TOKEN": adminToken, externalDiffEnv: "diff -u -N"}, "", "diff", "-f", repo)
		if r.code != 1 || !strings.Contains(r.out, "secretRef") {
			t.Errorf("external diff:\n%s", r)
		}
		outputs = append(outputs, r)
	}
	ctl(0, "", "apply", "-f", repo, "--dry-run")
	ctl(0, "", "apply", "-f", repo)
	ctl(1, "", "apply", "-f", filepath.Join(repo, "bad"))
	ctl(1, "", "apply", "-f", repo, "-f", filepath.Join(repo, "bad"), "--prune", "-l", "team=x")
	ctl(1, "", "diff", "-f", repo)
	ctl(0, "", "apply", "-f", repo, "--prune", "-l", "team=x")
	ctl(0, "", "create", "apikey", "canary-file", "--provider", "openai-compatible", "--base-url", fake.BaseURL(),
		"--from-file", filepath.Join(repo, "cred.txt"))
	ctl(0, canary+"\n", "create", "apikey", "canary-stdin", "--provider", "openai-compatible", "--base-url", fake.BaseURL())
	ctl(0, canary, "create", "apikey", "canary-stdin", "--provider", "openai-compatible", "--base-url", fake.BaseURL(), "--dry-run")
	for _, args := range [][]string{
		{"get", "apikeys"}, {"get", "apikeys", "-o", "wide"}, {"get", "apikeys", "-o", "yaml"}, {"get", "apikeys", "-o", "json"},
		{"get", "apikey", "canary", "-o", "yaml"}, {"get", "apikey", "canary", "-o", "json"}, {"get", "endpoints", "-o", "yaml"},
		{"describe", "apikey"}, {"describe", "endpoint", "canary-chat"},
	} {
		ctl(0, "", args...)
	}
	r := ctl(0, "", "chat", "canary-chat", "hello canary")
	if r.out != "fake: hello canary\n" {
		t.Errorf("chat through the canary key printed %q", r.out)
	}
	if _, h := fake.LastRequest(); h.Get("Authorization") != "Bearer "+canary {
		t.Errorf("the upstream did not receive the credential: Authorization %q", h.Get("Authorization"))
	}
	// The keys created from a file and from stdin carry the credential too.
	for _, key := range []string{"canary-file", "canary-stdin"} {
		body := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: via-" + key + "}\nspec:\n  targets:\n  - {model: gpt-fake, apiKeyRef: " + key + "}\n"
		ctl(0, body, "apply", "-f", "-")
		if r := ctl(0, "", "chat", "via-"+key, "hi", "--no-stream"); r.out != "fake: hi\n" {
			t.Errorf("chat via %s printed %q", key, r.out)
		}
	}

	for _, r := range outputs {
		if strings.Contains(r.out+r.err, canary) {
			t.Errorf("gatewayctl printed the credential:\n%s", r)
		}
	}
	// What the management API and the other routes answer.
	for _, p := range []string{"/api/v1alpha1/apikeys", "/api/v1alpha1/apikeys/canary", "/api/v1alpha1/endpoints",
		"/api/v1alpha1/status", "/metrics", "/ready", "/gateway/mlflow/v1/models"} {
		if body := g.raw(t, http.MethodGet, p, nil, adminToken); strings.Contains(body, canary) {
			t.Errorf("GET %s returned the credential:\n%s", p, body)
		}
	}
	for _, p := range []string{"/api/v1alpha1/apply?dryRun=true", "/api/v1alpha1/diff", "/api/v1alpha1/validate", "/api/v1alpha1/apikeys?dryRun=true"} {
		for _, body := range []string{keyFile, strings.Replace(keyFile, "name: canary", "name: canary-new", 1)} {
			if got := g.raw(t, http.MethodPost, p, []byte(body), adminToken); strings.Contains(got, canary) {
				t.Errorf("POST %s returned the credential:\n%s", p, got)
			}
		}
	}
	for _, dir := range []string{g.manifest, g.data} {
		for name, content := range snapshot(t, dir) {
			if strings.Contains(content, canary) {
				t.Errorf("%s holds the credential in plain text:\n%s", filepath.Join(dir, name), content)
			}
		}
	}
	stored, err := os.ReadFile(filepath.Join(g.manifest, "apikeys", "canary.yaml"))
	if err != nil || !bytes.Contains(stored, []byte("secretRef")) {
		t.Errorf("the stored APIKey should hold a secretRef: %v\n%s", err, stored)
	}
	if strings.Contains(g.logs.String(), canary) {
		t.Errorf("a log line holds the credential:\n%s", g.logs)
	}
}

// raw sends one request to the gateway and returns the response body.
func (g *gatewayd) raw(t *testing.T, method, path string, body []byte, token string) string {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, g.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAdminToken: with GATEWAY_ADMIN_TOKEN set on the server, gatewayctl
// without GATEWAY_TOKEN gets a hint, with a wrong one another, with the right
// one it works.
func TestAdminToken(t *testing.T) {
	g := startGatewayd(t, nil, func(c *daemon.Config) { c.AdminToken = "right-token" })
	r := g.run(nil, "", "get", "endpoints")
	if r.code != 1 || !strings.Contains(r.err, "hint: the gateway wants a token: export GATEWAY_TOKEN") {
		t.Errorf("no token:\n%s", r)
	}
	r = g.run(map[string]string{"GATEWAY_TOKEN": "wrong"}, "", "get", "endpoints")
	if r.code != 1 || !strings.Contains(r.err, "refused the token in GATEWAY_TOKEN") {
		t.Errorf("wrong token:\n%s", r)
	}
	r = g.run(map[string]string{"GATEWAY_TOKEN": "right-token"}, "", "get", "endpoints")
	if r.code != 0 {
		t.Errorf("right token:\n%s", r)
	}
	r = g.run(nil, "", "diff", "-f", "-")
	if r.code != ExitDiffError {
		t.Errorf("diff with no documents must exit %d:\n%s", ExitDiffError, r)
	}
}
