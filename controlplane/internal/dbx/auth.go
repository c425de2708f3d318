package dbx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// tokenMargin is how long before its expiry an OAuth token is replaced,
	// so that none expires in flight.
	tokenMargin = time.Minute
	// defaultTokenTTL applies when the token endpoint gives no expires_in.
	defaultTokenTTL = 5 * time.Minute
	// maxAuthBody bounds the discovery and token answers.
	maxAuthBody = 1 << 20
)

// authenticator gives the Authorization header of each request.
type authenticator interface {
	authorization(ctx context.Context) (string, error)
	// invalidate drops a cached token after a 401 and reports whether a
	// new one may help (false for a PAT).
	invalidate() bool
}

// authError marks a failure to obtain credentials, as opposed to the API
// refusing them.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// patAuth is a personal access token.
type patAuth string

func (p patAuth) authorization(context.Context) (string, error) { return "Bearer " + string(p), nil }
func (patAuth) invalidate() bool                                { return false }

// m2mAuth is OAuth M2M (client credentials): the token endpoint comes from
// {host}/oidc/.well-known/oauth-authorization-server, the token from a
// client_credentials grant with scope all-apis and the client id and secret
// as Basic auth. The token is cached until a minute before it expires;
// concurrent callers share one fetch.
type m2mAuth struct {
	host, clientID, clientSecret string
	http                         *http.Client
	timeout                      time.Duration
	now                          func() time.Time

	mu            sync.Mutex
	tokenEndpoint string
	token         string
	expiry        time.Time
	inflight      *tokenFetch
}

// tokenFetch is one token request that callers wait on; token and err are
// written before done is closed.
type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

func (m *m2mAuth) authorization(ctx context.Context) (string, error) {
	m.mu.Lock()
	if m.token != "" && m.now().Before(m.expiry) {
		tok := m.token
		m.mu.Unlock()
		return "Bearer " + tok, nil
	}
	f := m.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		m.inflight = f
		// The fetch outlives a caller that gives up: the others, and the
		// next call, still get its token. It is bounded by the HTTP timeout.
		go m.fetch(context.WithoutCancel(ctx), f)
	}
	m.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return "", &authError{f.err}
		}
		return "Bearer " + f.token, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (m *m2mAuth) invalidate() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token = ""
	return true
}

func (m *m2mAuth) fetch(ctx context.Context, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	tok, ttl, err := m.requestToken(ctx)
	m.mu.Lock()
	if err == nil {
		m.token, m.expiry = tok, m.now().Add(ttl-min(tokenMargin, ttl/2))
	}
	m.inflight = nil
	m.mu.Unlock()
	f.token, f.err = tok, err
	close(f.done)
}

// requestToken runs the client-credentials grant. Its errors never hold the
// secret: they name the endpoint and the OAuth error only.
func (m *m2mAuth) requestToken(ctx context.Context) (string, time.Duration, error) {
	endpoint, err := m.endpoint(ctx)
	if err != nil {
		return "", 0, err
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"all-apis"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth-m2m token endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	// RFC 6749 §2.3.1: form-encode both before Basic, as golang.org/x/oauth2
	// (which the SDK uses) does.
	req.SetBasicAuth(url.QueryEscape(m.clientID), url.QueryEscape(m.clientSecret))
	var out struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := m.getJSON(req, &out); err != nil {
		return "", 0, fmt.Errorf("oauth-m2m token for client %s: %w", m.clientID, err)
	}
	if out.AccessToken == "" {
		return "", 0, fmt.Errorf("oauth-m2m token for client %s: the answer has no access_token", m.clientID)
	}
	return out.AccessToken, expiresIn(out.ExpiresIn), nil
}

// expiresIn reads expires_in, a number or (some servers) a string.
func expiresIn(raw json.RawMessage) time.Duration {
	var n json.Number
	s := strings.Trim(string(raw), `"`)
	if err := json.Unmarshal([]byte(s), &n); err == nil {
		if secs, err := n.Int64(); err == nil && secs > 0 {
			return time.Duration(secs) * time.Second
		}
	}
	return defaultTokenTTL
}

// endpoint discovers the token endpoint once.
func (m *m2mAuth) endpoint(ctx context.Context) (string, error) {
	m.mu.Lock()
	ep := m.tokenEndpoint
	m.mu.Unlock()
	if ep != "" {
		return ep, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.host+"/oidc/.well-known/oauth-authorization-server", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", userAgent)
	var out struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := m.getJSON(req, &out); err != nil {
		return "", fmt.Errorf("oauth-m2m: discover the token endpoint of %s: %w", m.host, err)
	}
	if u, err := url.Parse(out.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("oauth-m2m: %s gives no usable token_endpoint", m.host)
	}
	m.mu.Lock()
	m.tokenEndpoint = out.TokenEndpoint
	m.mu.Unlock()
	return out.TokenEndpoint, nil
}

func (m *m2mAuth) getJSON(req *http.Request, out any) error {
	resp, err := m.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return errorOf(resp)
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, maxAuthBody))
	if err := dec.Decode(out); err != nil {
		// Not the decoder's text: a token answer holds the token.
		return errors.New("the answer is not the JSON expected")
	}
	return nil
}
