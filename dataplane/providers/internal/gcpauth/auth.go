// Package gcpauth is what the Google Cloud adapters (Gemini and Claude on
// Vertex AI) share: OAuth2 access tokens minted from a service-account JSON
// key, and the Vertex AI base URL built from a credential's project and
// location.
package gcpauth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/encoding/json"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Vertex AI authenticates with OAuth2 access tokens. The credential's Secret
// is a Google service-account JSON key; golang.org/x/oauth2/google signs a
// JWT with its private key and exchanges it at the key's token_uri for an
// access token, which oauth2.ReuseTokenSource caches until shortly before it
// expires. One token source is kept per distinct secret, keyed by its
// SHA-256 so that neither the map nor any log holds the key itself.

// cloudPlatformScope is the scope Vertex AI accepts.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// Misconfigured is a 500 for a credential the gateway operator set up
// wrongly (a missing Vertex project, a secret that is not a service-account
// key): the client cannot fix it and another attempt will not either.
func Misconfigured(msg string) *providers.Error {
	return &providers.Error{Status: 500, Type: "api_error", Code: "provider_misconfigured", Message: msg}
}

// maxTokenSources bounds the cache; rotated keys otherwise accumulate. When
// it is full the cache starts over, costing one token exchange per key.
const maxTokenSources = 256

// TokenCache mints and caches access tokens per service-account key. It is
// safe for concurrent use.
type TokenCache struct {
	// provider names the provider in error messages ("vertex-ai").
	provider string
	mu       sync.Mutex
	sources  map[[sha256.Size]byte]oauth2.TokenSource
	// ctx carries the HTTP client for token exchanges; token sources outlive
	// any one request, so it must not be a request context.
	ctx context.Context
}

// NewTokenCache returns a cache whose token exchanges go through client;
// nil means a client with a 30s timeout. provider names the provider in
// error messages.
func NewTokenCache(provider string, client *http.Client) *TokenCache {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &TokenCache{
		provider: provider,
		sources:  map[[sha256.Size]byte]oauth2.TokenSource{},
		ctx:      context.WithValue(context.Background(), oauth2.HTTPClient, client),
	}
}

// source returns the cached token source for a service-account key.
func (c *TokenCache) source(secret string) (oauth2.TokenSource, error) {
	key := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts, ok := c.sources[key]; ok {
		return ts, nil
	}
	ts, err := ParseServiceAccount(c.ctx, c.provider, secret)
	if err != nil {
		return nil, err
	}
	if len(c.sources) >= maxTokenSources {
		clear(c.sources)
	}
	c.sources[key] = ts
	return ts, nil
}

// Forget drops a key's token source, so that a token the upstream rejected
// is not reused.
func (c *TokenCache) Forget(secret string) {
	key := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	delete(c.sources, key)
	c.mu.Unlock()
}

// ParseServiceAccount returns a token source for a service-account JSON key.
// It accepts only service-account keys: other credential types (external
// accounts, user credentials) can make the library reach arbitrary URLs or
// run commands named in the JSON. provider names the provider in errors.
func ParseServiceAccount(ctx context.Context, provider, secret string) (oauth2.TokenSource, error) {
	if secret == "" {
		return nil, Misconfigured(provider + " needs a Google service-account JSON key as the APIKey's secret; it is empty")
	}
	creds, err := google.CredentialsFromJSONWithType(ctx, []byte(secret), google.ServiceAccount, cloudPlatformScope)
	if err != nil {
		// The library's messages name JSON syntax or the credential type,
		// never the key material.
		return nil, Misconfigured(provider + " secret is not a Google service-account JSON key: " + err.Error())
	}
	// The library parses the private key only when it first needs a token;
	// check it now so a broken key is a configuration error, not a retryable
	// token failure.
	var f struct {
		PrivateKey  string `json:"private_key"`
		ClientEmail string `json:"client_email"`
	}
	_ = json.Unmarshal([]byte(secret), &f)
	if f.ClientEmail == "" || !validPrivateKey(f.PrivateKey) {
		return nil, Misconfigured(provider + " service-account key has no client_email or no PEM-encoded RSA private_key")
	}
	return creds.TokenSource, nil
}

func validPrivateKey(s string) bool {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return false
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return true
	}
	_, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	return err == nil
}

// Token returns an access token, waiting at most until ctx is done.
func (c *TokenCache) Token(ctx context.Context, secret string) (string, error) {
	ts, err := c.source(secret)
	if err != nil {
		return "", err
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := ts.Token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", tokenError(c.provider, r.err)
		}
		return r.tok.AccessToken, nil
	case <-ctx.Done():
		return "", providers.TransportError("the Google token endpoint", ctx.Err(), true)
	}
}

// tokenError maps a failed token exchange: a 4xx from the token endpoint
// means Google refused the key (revoked, deleted, wrong signature) and is
// answered 401; a 408, 429, 5xx or a network failure is retryable.
func tokenError(provider string, err error) *providers.Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		sc := re.Response.StatusCode
		// The jwt flow leaves ErrorCode empty; the body is
		// {"error":"invalid_grant","error_description":"..."}.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(re.Body, &body)
		detail := cmp.Or(body.Error, re.ErrorCode)
		if d := cmp.Or(body.Description, re.ErrorDescription); d != "" {
			detail += ": " + d
		}
		if sc >= 400 && sc < 500 && sc != 408 && sc != 429 {
			return &providers.Error{Status: 401, Type: "authentication_error", Code: "invalid_api_key",
				Message: fmt.Sprintf("%s: Google refused the service-account key (token endpoint answered %d: %s)", provider, sc, detail)}
		}
		return &providers.Error{Status: 502, Type: "api_error", Code: "token_unavailable", Retryable: true,
			Message: provider + ": the Google token endpoint answered " + strconv.Itoa(sc)}
	}
	return &providers.Error{Status: 502, Type: "api_error", Code: "token_unavailable", Retryable: true,
		Message: provider + ": cannot get an access token: " + err.Error()}
}
