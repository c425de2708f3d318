// Package gatewaytest runs the real data plane on loopback for end-to-end
// tests: providers, Endpoints and credentials in, a base URL and OpenAI SDK
// client out. The provider and dialect packages test through it so that
// each tests the gateway as clients reach it, without each keeping its own
// copy of the wiring.
package gatewaytest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// ClientKey is the API key Env.OpenAI sends the gateway; tests look for it
// upstream to prove a client's credential never travels.
const ClientKey = "client-key"

// Provider is one adapter to register, with its description.
type Provider struct {
	Info    providers.Info
	Adapter providers.Adapter
}

// Config describes the data plane to start.
type Config struct {
	// Registry is the provider registry to serve from; nil starts with an
	// empty one. Providers are registered into it.
	Registry *providers.Registry
	// Providers are registered before the index is built.
	Providers []Provider
	// Endpoints and Credentials are the routing the data plane starts with;
	// with neither, the index starts empty and the test calls Env.Serve.
	Endpoints   []*state.Endpoint
	Credentials []*providers.Credential
	// Dialects are the client dialects to serve besides OpenAI's.
	Dialects gateway.Dialects
}

// Env is a running data plane.
type Env struct {
	// URL is the data plane's root, http://127.0.0.1:<port>.
	URL string
	// Index is the read model the data plane serves from.
	Index *state.Index
	t     testing.TB
}

// Start runs a data plane on a loopback port until the test ends.
func Start(t testing.TB, cfg Config) *Env {
	t.Helper()
	reg := cfg.Registry
	if reg == nil {
		reg = providers.NewRegistry()
	}
	for _, p := range cfg.Providers {
		reg.Register(p.Info, p.Adapter)
	}
	idx, err := state.New(reg.Adapter)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Index: idx, t: t}
	if cfg.Endpoints != nil || cfg.Credentials != nil {
		e.Serve(cfg.Endpoints, cfg.Credentials)
	}
	srv := gateway.New(gateway.Options{Index: idx, Metrics: metrics.New(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Dialects: cfg.Dialects})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	// Shutdown waits for requests in flight (not t.Context(), canceled by the
	// time cleanups run), but not forever: a test may leave a stalled stream.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	e.URL = "http://" + ln.Addr().String()
	return e
}

// Serve replaces the data plane's routing, as the control plane would.
func (e *Env) Serve(eps []*state.Endpoint, creds []*providers.Credential) {
	e.t.Helper()
	if _, err := e.Index.Replace(eps, creds); err != nil {
		e.t.Fatal(err)
	}
}

// OpenAI returns an OpenAI SDK client for the gateway's OpenAI route
// (/gateway/mlflow/v1) sending ClientKey, with retries off so that a test
// sees every failure as the gateway answered it; opts come last and may
// override any of that.
func (e *Env) OpenAI(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(e.URL + "/gateway/mlflow/v1"),
		option.WithAPIKey(ClientKey), option.WithMaxRetries(0)}, opts...)...)
}

// Endpoint is an Endpoint with a single target, what most tests route by.
func Endpoint(name string, task providers.Task, model, credential string) *state.Endpoint {
	return &state.Endpoint{Name: name, Task: task, Targets: []state.Target{{Model: model, Credential: credential, Weight: 1}}}
}
