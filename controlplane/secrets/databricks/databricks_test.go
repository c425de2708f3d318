package databricks_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
	"github.com/ai-gateway/gateway/controlplane/secrets"
	"github.com/ai-gateway/gateway/controlplane/secrets/databricks"
)

const canary = "sk-canary-7f3a9c1e-DO-NOT-LEAK"

var ctx = context.Background()

// backend is a client the store runs with against the fake.
type backend struct {
	name string
	api  func(testing.TB, *dbxfake.Server) databricks.API
}

// backends are the clients the behavioural tests run with: gatewayd's own
// (dbx, what ships) and the real databricks-sdk-go through
// dbxfake.SDKSecrets. The SDK passing shows the fake answers as the service
// does, so dbx passing the same tests means dbx works against it.
var backends = []backend{
	{"dbx", func(t testing.TB, f *dbxfake.Server) databricks.API { return f.RESTClient(t) }},
	{"sdk", func(t testing.TB, f *dbxfake.Server) databricks.API { return dbxfake.NewSDKSecrets(f.SDKClient(t)) }},
}

func eachBackend(t *testing.T, test func(*testing.T, backend)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { test(t, be) })
	}
}

// newStore returns a store in a fresh fake workspace with the scope
// "ai-gateway", driven by gatewayd's own client.
func newStore(t *testing.T, log *slog.Logger) (*databricks.Store, *dbxfake.Server) {
	t.Helper()
	return newStoreWith(t, backends[0], log)
}

func newStoreWith(t *testing.T, be backend, log *slog.Logger) (*databricks.Store, *dbxfake.Server) {
	t.Helper()
	fake := dbxfake.New(t)
	fake.CreateScope("ai-gateway")
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return databricks.New(be.api(t, fake), databricks.Options{Logger: log}), fake
}

func TestRoundTrip(t *testing.T) { eachBackend(t, testRoundTrip) }

func testRoundTrip(t *testing.T, be backend) {
	s, fake := newStoreWith(t, be, nil)
	if _, err := s.Get(ctx, "ai-gateway", "openai"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "ai-gateway", "openai"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	for _, value := range []string{canary, "", "multi\nline \"quoted\" ünïcode \x00 bytes", strings.Repeat("x", databricks.MaxValue)} {
		if err := s.Put(ctx, "ai-gateway", "openai", value); err != nil {
			t.Fatalf("Put %.10q: %v", value, err)
		}
		// The fake holds the raw value: the store sent string_value, not base64 of it.
		if got, ok := fake.Secret("ai-gateway", "openai"); !ok || got != value {
			t.Fatalf("stored %.10q, want %.10q", got, value)
		}
		// The API answers base64; the store decodes it.
		if got, err := s.Get(ctx, "ai-gateway", "openai"); err != nil || got != value {
			t.Fatalf("Get = %.10q, %v; want %.10q", got, err, value)
		}
	}
	if err := s.Delete(ctx, "ai-gateway", "openai"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "ai-gateway", "openai")
	if !errors.Is(err, secrets.ErrNotFound) || err.Error() != "secret ai-gateway/openai: secret not found" {
		t.Fatalf("Get deleted: %v", err)
	}
	// Another scope, set behind the store's back.
	fake.PutSecret("team-scope", "anthropic.prod_1", "other")
	if got, err := s.Get(ctx, "team-scope", "anthropic.prod_1"); err != nil || got != "other" {
		t.Errorf("Get from another scope = %q, %v", got, err)
	}
}

func TestInvalidNamesMakeNoCall(t *testing.T) {
	s, fake := newStore(t, nil)
	long := strings.Repeat("k", 129)
	for _, tt := range []struct{ scope, key string }{
		{"", "k"}, {"ai-gateway", ""}, {"ai-gateway", "a/b"}, {"ai-gateway", "a b"},
		{"ai-gateway", long}, {"bad scope", "k"}, {"ai-gateway", "ключ"},
	} {
		if _, err := s.Get(ctx, tt.scope, tt.key); err == nil || errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("Get(%q, %q) = %v, want an invalid-name error", tt.scope, tt.key, err)
		}
		if err := s.Put(ctx, tt.scope, tt.key, canary); err == nil || strings.Contains(err.Error(), canary) {
			t.Errorf("Put(%q, %q) = %v", tt.scope, tt.key, err)
		}
		if err := s.Delete(ctx, tt.scope, tt.key); err == nil {
			t.Errorf("Delete(%q, %q) = nil", tt.scope, tt.key)
		}
	}
	// The longest valid key works.
	if err := s.Put(ctx, "ai-gateway", long[:128], "v"); err != nil {
		t.Errorf("128-character key: %v", err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d API calls, want only the valid one: %v", n, fake.Requests())
	}
}

func TestTooLarge(t *testing.T) {
	s, fake := newStore(t, nil)
	err := s.Put(ctx, "ai-gateway", "k", strings.Repeat("s", databricks.MaxValue+1))
	if err == nil || !strings.Contains(err.Error(), "at most") || len(fake.Requests()) != 0 {
		t.Errorf("Put of a too large value: %v (%d calls)", err, len(fake.Requests()))
	}
}

func TestCheckScope(t *testing.T) { eachBackend(t, testCheckScope) }

func testCheckScope(t *testing.T, be backend) {
	s, fake := newStoreWith(t, be, nil)
	if err := s.CheckScope(ctx, "ai-gateway"); err != nil {
		t.Errorf("existing scope: %v", err)
	}
	err := s.CheckScope(ctx, "missing")
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "create-scope missing") {
		t.Errorf("missing scope: %v", err)
	}
	if err := s.CheckScope(ctx, "bad scope"); err == nil {
		t.Error("invalid scope name: want an error")
	}
	fake.SetFault(&dbxfake.Fault{Status: http.StatusForbidden, ErrorCode: "PERMISSION_DENIED"})
	if err := s.CheckScope(ctx, "ai-gateway"); err == nil || !strings.Contains(err.Error(), "ai-gateway") {
		t.Errorf("no permission: %v", err)
	}
	// Putting into a missing scope fails and names it.
	fake.SetFault(nil)
	if err := s.Put(ctx, "missing", "k", canary); err == nil || !strings.Contains(err.Error(), "missing/k") {
		t.Errorf("Put into a missing scope: %v", err)
	}
}

// TestCanary makes every call fail in every way the fake can and checks that
// the value shows up in no error and no log line, the client's retry lines
// included (at debug level).
func TestCanary(t *testing.T) {
	t.Parallel() // the retried statuses take RetryTimeoutSeconds each
	var logs bytes.Buffer
	s, fake := newStore(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := s.Put(ctx, "ai-gateway", "k", canary); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, f := range []*dbxfake.Fault{
		{Status: http.StatusBadRequest, ErrorCode: "BAD_REQUEST"},
		{Status: http.StatusForbidden, ErrorCode: "PERMISSION_DENIED"},
		{Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"},
		// Retried by the client (as 429 is) for a second in tests.
		{Status: http.StatusServiceUnavailable, ErrorCode: "TEMPORARILY_UNAVAILABLE"},
	} {
		fake.SetFault(f)
		errs = append(errs, s.Put(ctx, "ai-gateway", "k", canary))
		_, err := s.Get(ctx, "ai-gateway", "k")
		errs = append(errs, err)
	}
	fake.SetFault(nil)
	_, err := s.Get(ctx, "ai-gateway", "missing")
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Error("a faulty call succeeded")
			continue
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("error leaks the value: %v", err)
		}
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("log leaks the value:\n%s", logs.String())
	}
}

// A read refused with BAD_REQUEST (the API calls reading values
// "DBUtils-only") says what to do.
func TestGetRefusedHint(t *testing.T) { eachBackend(t, testGetRefusedHint) }

func testGetRefusedHint(t *testing.T, be backend) {
	s, fake := newStoreWith(t, be, nil)
	fake.SetFault(&dbxfake.Fault{Status: http.StatusBadRequest, ErrorCode: "BAD_REQUEST",
		Match: func(r *http.Request) bool { return r.URL.Path == "/api/2.0/secrets/get" }})
	_, err := s.Get(ctx, "ai-gateway", "k")
	if err == nil || !strings.Contains(err.Error(), "env:") || errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get refused: %v", err)
	}
}
