// Package databricks reaches Databricks Model Serving through its
// OpenAI-compatible surface: https://<workspace>/serving-endpoints/chat/completions
// (also /completions and /embeddings), with the serving endpoint's name as the
// body's "model" and "Authorization: Bearer <token>". It is a configuration of
// the openai adapter: the same body pass-through and stream relay, plus the
// workspace URL handling and a seam for OAuth tokens.
package databricks

import (
	"context"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

// ID is the provider id used in APIKey manifests.
const ID = "databricks"

// ServingPath is where the OpenAI-compatible API lives under a workspace URL.
const ServingPath = "/serving-endpoints"

// Info describes Databricks Model Serving. The base URL is the workspace URL
// (https://<workspace>.cloud.databricks.com), so it has no default.
var Info = providers.Info{
	ID:              ID,
	DisplayName:     "Databricks Model Serving",
	Tasks:           []providers.Task{providers.TaskChat, providers.TaskCompletions, providers.TaskEmbeddings},
	NeedsCredential: true,
	NeedsBaseURL:    true,
}

// TokenSource supplies a bearer token per request, e.g. the app service
// principal's OAuth M2M token (POST {host}/oidc/v1/token, cached until shortly
// before it expires). Implementations must be safe for concurrent use and
// should cache: Token is called on every upstream attempt.
type TokenSource interface {
	// Token returns a current access token for the workspace at host.
	Token(ctx context.Context, host string) (string, error)
}

// Options configure the adapter.
type Options struct {
	// Client overrides the HTTP client; nil means openai.NewClient().
	Client *fasthttp.Client
	// TokenSource, when set, supplies the bearer token instead of the
	// credential's secret (which may then be empty). Nil means the secret is a
	// personal access token, sent as is.
	TokenSource TokenSource
}

// Adapter is a providers.Adapter for Databricks Model Serving.
type Adapter struct {
	inner  *openai.Adapter
	tokens TokenSource
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter {
	// StreamUsage: Databricks' chat endpoints accept stream_options (the
	// databricks-langchain client sends include_usage by default since 2025);
	// some also put partial usage on every chunk, which the relay tolerates.
	inner := openai.New(openai.Options{Info: Info, StreamUsage: true, Client: opts.Client})
	return &Adapter{inner: inner, tokens: opts.TokenSource}
}

// ServingURL turns a workspace URL into the OpenAI-compatible base. A base
// that already ends in /serving-endpoints is kept.
func ServingURL(workspace string) string {
	w := strings.TrimRight(workspace, "/")
	if w == "" || strings.HasSuffix(w, ServingPath) {
		return w
	}
	return w + ServingPath
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	if strings.TrimSpace(cred.BaseURL) == "" {
		return nil, &providers.Error{Status: 500, Type: "api_error", Code: "missing_base_url",
			Message: "provider " + ID + " needs config.baseURL: the workspace URL, https://<workspace>.cloud.databricks.com"}
	}
	c := *cred // the Credential is shared by concurrent requests: change a copy
	c.BaseURL = ServingURL(cred.BaseURL)
	if a.tokens != nil {
		tok, err := a.tokens.Token(ctx, strings.TrimSuffix(c.BaseURL, ServingPath))
		if err != nil {
			return nil, &providers.Error{Status: 502, Type: "api_error", Code: "token_unavailable", Retryable: true,
				Message: "cannot get a Databricks OAuth token: " + err.Error()}
		}
		c.Secret = providers.Secret(tok)
	}
	return a.inner.Send(ctx, &c, call)
}
