package mgmt_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

// TestWriteOnlySecretCanary applies a recognisable credential as `value:` and
// looks for it everywhere the API could leak it: answers, manifest files, the
// secret store's file, logs. It must only be in the secret store (encrypted)
// and in the data plane's credentials.
func TestWriteOnlySecretCanary(t *testing.T) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	canary := "sk-canary-" + hex.EncodeToString(b)
	e := newEnv(t, baseFiles())
	var answers []string
	record := func(body string) string { answers = append(answers, body); return body }

	keyDoc := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata:\n  name: openai-prod\nspec:\n  provider: openai\n  value: " + canary + "\n"
	gpt := "apiVersion: gateway/v1alpha1\nkind: Endpoint\nmetadata: {name: gpt}\nspec:\n  targets:\n  - {model: gpt-4o-mini, apiKeyRef: openai-prod}\n"

	// Diff and validate first: nothing stored yet, nothing echoed.
	record(expect(t, e.do("POST", "/api/v1alpha1/diff", keyDoc), 200))
	record(expect(t, e.do("POST", "/api/v1alpha1/validate", keyDoc), 200))
	record(expect(t, e.do("POST", "/api/v1alpha1/apply?dryRun=true", keyDoc), 200))

	resp := decodeJSON[applyResponse](t, record(expect(t, e.do("POST", "/api/v1alpha1/apply", keyDoc+"---\n"+gpt), 200)))
	if got := resp.actions(); got != "APIKey/openai-prod=created\nEndpoint/gpt=created" {
		t.Fatalf("actions:\n%s", got)
	}

	// The manifest holds a reference, not the value.
	wantFile := "apiVersion: gateway/v1alpha1\nkind: APIKey\nmetadata:\n  name: openai-prod\nspec:\n  provider: openai\n  secretRef:\n    key: openai-prod\n    scope: ai-gateway\n"
	if got := e.file("apikeys/openai-prod.yaml"); got != wantFile {
		t.Errorf("apikeys/openai-prod.yaml:\n%s\nwant:\n%s", got, wantFile)
	}
	// The secret store holds the value under ai-gateway/openai-prod.
	if got, err := e.secrets.Get(t.Context(), "ai-gateway", "openai-prod"); err != nil || got != canary {
		t.Errorf("secret store: %q, %v", got, err)
	}
	// The data plane serves with it.
	route := e.index.Snapshot().Route("gpt")
	if route == nil {
		t.Fatal("gpt is not served")
	}
	if got := route.Pick().Credential.Secret.Reveal(); got != canary {
		t.Error("the data plane does not have the credential")
	}
	key := decodeJSON[v1alpha1.APIKey](t, record(expect(t, e.do("GET", "/api/v1alpha1/apikeys/openai-prod", ""), 200)))
	if c := ready(t, &key); c.Status != "True" || key.Spec.SecretRef == nil || key.Spec.Value != "" {
		t.Errorf("GET openai-prod: %+v %+v", key.Spec, c)
	}
	rv := key.Metadata.ResourceVersion
	record(expect(t, e.do("GET", "/api/v1alpha1/apikeys", ""), 200))

	// The same value again: configured (the secret is written again), the file
	// and the resourceVersion stay as they are.
	fileBefore := e.file("apikeys/openai-prod.yaml")
	again := decodeJSON[applyResponse](t, record(expect(t, e.do("POST", "/api/v1alpha1/apply", keyDoc), 200)))
	if got := again.actions(); got != "APIKey/openai-prod=configured" {
		t.Errorf("second apply: %s", got)
	}
	if e.file("apikeys/openai-prod.yaml") != fileBefore {
		t.Error("second apply changed the file")
	}
	key = decodeJSON[v1alpha1.APIKey](t, record(expect(t, e.do("GET", "/api/v1alpha1/apikeys/openai-prod", ""), 200)))
	if key.Metadata.ResourceVersion != rv || key.Metadata.Generation != 1 {
		t.Errorf("resourceVersion %q (was %q), generation %d", key.Metadata.ResourceVersion, rv, key.Metadata.Generation)
	}

	// Rotation through PUT: a new value lands in the same secret entry.
	rotated := canary + "-rotated"
	record(expect(t, e.do("PUT", "/api/v1alpha1/apikeys/openai-prod", strings.Replace(keyDoc, canary, rotated, 1)), 200))
	if got, _ := e.secrets.Get(t.Context(), "ai-gateway", "openai-prod"); got != rotated {
		t.Error("PUT did not rotate the secret")
	}
	if got := e.index.Snapshot().Route("gpt").Pick().Credential.Secret.Reveal(); got != rotated {
		t.Error("the data plane does not serve the rotated credential")
	}
	// Create through POST, and refusals that quote the document.
	record(expect(t, e.do("POST", "/api/v1alpha1/apikeys", strings.Replace(keyDoc, "openai-prod", "second", 1)), 201))
	record(expect(t, e.do("POST", "/api/v1alpha1/apikeys", keyDoc), 409))
	record(expect(t, e.do("POST", "/api/v1alpha1/apikeys", strings.Replace(keyDoc, "provider: openai", "provider: openai\n  env: OPENAI_KEY", 1)), 400))
	record(expect(t, e.do("POST", "/api/v1alpha1/apikeys", strings.Replace(keyDoc, "  value:", "  valeu:", 1)), 400))
	record(expect(t, e.do("POST", "/api/v1alpha1/endpoints", keyDoc), 400))
	record(expect(t, e.do("PUT", "/api/v1alpha1/apikeys/other", keyDoc), 400))

	for i, a := range answers {
		if strings.Contains(a, canary) {
			t.Errorf("answer %d holds the canary:\n%s", i, a)
		}
	}
	for name, content := range e.files() {
		if strings.Contains(content, canary) {
			t.Errorf("manifest %s holds the canary", name)
		}
	}
	for name, content := range readTree(t, e.secretDir) {
		if strings.Contains(content, canary) {
			t.Errorf("secret store file %s holds the canary in plain text", name)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "resource applied") {
		t.Fatalf("the log capture saw nothing:\n%s", logs)
	}
	if strings.Contains(logs, canary) {
		t.Errorf("logs hold the canary:\n%s", logs)
	}
}
