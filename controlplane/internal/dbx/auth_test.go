package dbx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testClientID     = "sp id/1"
	testClientSecret = "m2m-secret-canary+/="
)

// oidcServer is a workspace with OAuth M2M only: discovery, a token
// endpoint (which can be held or made to fail) and one API call that
// accepts the tokens it issued.
type oidcServer struct {
	*httptest.Server
	discoveries, tokens atomic.Int32
	expiresIn           int
	hold                chan struct{} // when set, token requests wait for it to close
	tokenStatus         atomic.Int32  // non-zero: the token endpoint fails with it
	revoked             sync.Map      // tokens the API refuses
	issued              sync.Map
	basic               atomic.Value // the raw Basic credentials of the last token request
}

func newOIDCServer(t *testing.T) *oidcServer {
	s := &oidcServer{expiresIn: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oidc/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		s.discoveries.Add(1)
		fmt.Fprintf(w, `{"authorization_endpoint":"%[1]s/oidc/v1/authorize","token_endpoint":"%[1]s/oidc/v1/token"}`, s.URL)
	})
	mux.HandleFunc("POST /oidc/v1/token", func(w http.ResponseWriter, r *http.Request) {
		n := s.tokens.Add(1)
		if s.hold != nil {
			<-s.hold
		}
		s.basic.Store(r.Header.Get("Authorization"))
		if st := s.tokenStatus.Load(); st != 0 {
			w.WriteHeader(int(st))
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"Client authentication failed"}`))
			return
		}
		id, secret, _ := r.BasicAuth()
		if r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "all-apis" ||
			id != "sp+id%2F1" || secret != "m2m-secret-canary%2B%2F%3D" {
			t.Errorf("token request: form %v, id %q", r.Form, id)
		}
		tok := fmt.Sprintf("token-%d", n)
		s.issued.Store(tok, true)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": s.expiresIn})
	})
	mux.HandleFunc("GET /api/2.0/workspace/list", func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, ok := s.issued.Load(tok); !ok {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error_code":"UNAUTHENTICATED","message":"Invalid access token."}`))
			return
		}
		if _, revoked := s.revoked.Load(tok); revoked {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error_code":"UNAUTHENTICATED","message":"Token expired."}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func m2mClient(t *testing.T, s *oidcServer) (*Client, *fakeClock) {
	t.Helper()
	env := map[string]string{"DATABRICKS_HOST": s.URL, "DATABRICKS_CLIENT_ID": testClientID, "DATABRICKS_CLIENT_SECRET": testClientSecret}
	c, err := NewClient(Options{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c.sleep, c.now = clk.sleep, clk.now
	c.auth.(*m2mAuth).now = clk.now
	return c, clk
}

func list(c *Client, ctx context.Context) error {
	_, err := c.List(ctx, "/x")
	return err
}

// One token serves until a minute before it expires; discovery runs once.
func TestM2MCachesAndRefreshes(t *testing.T) {
	s := newOIDCServer(t)
	c, clk := m2mClient(t, s)
	ctx := context.Background()
	for range 3 {
		if err := list(c, ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s.tokens.Load() != 1 || s.discoveries.Load() != 1 {
		t.Fatalf("%d token requests, %d discoveries; want 1 and 1", s.tokens.Load(), s.discoveries.Load())
	}
	if !strings.HasPrefix(s.basic.Load().(string), "Basic ") {
		t.Errorf("token request auth %q", s.basic.Load())
	}
	clk.t = clk.t.Add(3600*time.Second - tokenMargin - time.Second)
	_ = list(c, ctx)
	if s.tokens.Load() != 1 {
		t.Errorf("refreshed %v before the margin", tokenMargin)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if err := list(c, ctx); err != nil || s.tokens.Load() != 2 || s.discoveries.Load() != 1 {
		t.Errorf("after expiry: %v, %d token requests, %d discoveries; want 2 and 1", err, s.tokens.Load(), s.discoveries.Load())
	}
}

// Callers arriving while a token is fetched share that fetch; one that gives
// up does not spoil it for the others.
func TestM2MConcurrentCallersShareOneFetch(t *testing.T) {
	s := newOIDCServer(t)
	s.hold = make(chan struct{})
	c, _ := m2mClient(t, s)

	gaveUp, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() { cancelled <- list(c, gaveUp) }()
	for s.tokens.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up got %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- list(c, context.Background()) })
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the fetch; not needed for correctness
	close(s.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := s.tokens.Load(); n != 1 {
		t.Errorf("%d token requests for 21 concurrent callers, want 1", n)
	}
}

// A token the API refuses (revoked, expired early) is replaced once.
func TestM2MRefetchesOn401(t *testing.T) {
	s := newOIDCServer(t)
	c, _ := m2mClient(t, s)
	ctx := context.Background()
	if err := list(c, ctx); err != nil {
		t.Fatal(err)
	}
	s.revoked.Store("token-1", true)
	if err := list(c, ctx); err != nil || s.tokens.Load() != 2 {
		t.Fatalf("after a revoked token: %v, %d token requests", err, s.tokens.Load())
	}
	// Refused again: one new token per call, not a loop.
	s.revoked.Store("token-2", true)
	s.revoked.Store("token-3", true)
	err := list(c, ctx)
	if err == nil || !strings.Contains(err.Error(), "Token expired") || s.tokens.Load() != 3 {
		t.Errorf("refused twice: %v, %d token requests", err, s.tokens.Load())
	}
}

func TestM2MTokenErrors(t *testing.T) {
	s := newOIDCServer(t)
	s.tokenStatus.Store(401)
	c, clk := m2mClient(t, s)
	err := list(c, context.Background())
	if err == nil || IsTransient(err) || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("bad client secret: %v", err)
	}
	if s.tokens.Load() != 1 || len(clk.waits()) != 0 {
		t.Errorf("bad client secret: %d token requests, waits %v; want one, no retry", s.tokens.Load(), clk.waits())
	}

	s.tokenStatus.Store(503)
	s.tokens.Store(0)
	if err := list(c, context.Background()); !IsTransient(err) || s.tokens.Load() < 2 {
		t.Errorf("token endpoint unavailable: %v after %d token requests; want retries and a transient error", err, s.tokens.Load())
	}
	s.tokenStatus.Store(0)
	if err := list(c, context.Background()); err != nil {
		t.Errorf("after the token endpoint recovered: %v", err)
	}
}

func TestM2MDiscoveryErrors(t *testing.T) {
	for name, body := range map[string]string{
		"no token endpoint": `{"authorization_endpoint":"x"}`,
		"relative endpoint": `{"token_endpoint":"/oidc/v1/token"}`,
		"not json":          `<html>`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		env := map[string]string{"DATABRICKS_HOST": srv.URL, "DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": testClientSecret}
		c, err := NewClient(Options{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		err = list(c, context.Background())
		if err == nil || !strings.Contains(err.Error(), "oauth-m2m") || strings.Contains(err.Error(), testClientSecret) {
			t.Errorf("%s: %v", name, err)
		}
		srv.Close()
	}
}

func TestExpiresIn(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`3600`: time.Hour, `"120"`: 2 * time.Minute, `0`: defaultTokenTTL, ``: defaultTokenTTL, `"x"`: defaultTokenTTL, `-5`: defaultTokenTTL,
	} {
		if got := expiresIn(json.RawMessage(in)); got != want {
			t.Errorf("expiresIn(%s) = %v, want %v", in, got, want)
		}
	}
}
