package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
	anthropicdialect "github.com/ai-gateway/gateway/dataplane/dialect/anthropic"
	geminidialect "github.com/ai-gateway/gateway/dataplane/dialect/gemini"
	responsesdialect "github.com/ai-gateway/gateway/dataplane/dialect/responses"
	"github.com/ai-gateway/gateway/dataplane/gateway"
	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/state"
	"github.com/ai-gateway/gateway/ui/swagger"
	"github.com/ai-gateway/gateway/ui/web"
)

// DrainTimeout is how long a shutdown waits for in-flight requests and streams.
const DrainTimeout = 10 * time.Second

// Gateway is a running gatewayd.
type Gateway struct {
	// Addr is the address the listener is bound to.
	Addr       string
	Controller *controller.Controller
	Index      *state.Index
	server     *gateway.Server
	ln         net.Listener
	log        *slog.Logger
}

// Options carry what tests inject; zero values mean production behaviour.
type Options struct {
	Logger *slog.Logger
	Getenv func(string) (string, bool)
	// DatabricksConfig adjusts the workspace client's configuration (see stores.go), for tests.
	DatabricksConfig DatabricksConfigHook
}

// Start builds the gateway from cfg, binds its listener and starts serving.
// Stop it by cancelling ctx and then calling Wait.
func Start(ctx context.Context, cfg *Config, o Options) (*Gateway, <-chan error, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	ss, err := openStores(ctx, cfg, o, log)
	if err != nil {
		return nil, nil, err
	}
	if cfg.DebugListen != "" {
		if err := startDebug(ctx, cfg.DebugListen, log); err != nil {
			return nil, nil, err
		}
	}
	reg := builtin.Registry()
	idx, err := state.New(reg.Adapter)
	if err != nil {
		return nil, nil, err
	}
	m := metrics.New()
	ctrl := controller.New(controller.Options{
		Store: ss.manifests, Secrets: ss.secrets, Writer: idx, Providers: reg, Getenv: o.Getenv, Logger: log,
		OnSwap: m.Swapped, SecretScope: cfg.SecretScope,
	})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if err := checkAdminAccess(cfg, ln.Addr(), log); err != nil {
		_ = ln.Close()
		return nil, nil, err
	}
	api := mgmt.New(mgmt.Options{Controller: ctrl, Catalog: reg, AdminToken: cfg.AdminToken,
		TrustForwardedUser: cfg.DatabricksApp, Logger: log})
	apiHandler := fasthttpadaptor.NewFastHTTPHandler(api)
	docs := swagger.FastHTTPHandler()
	ui := web.FastHTTPHandler()
	fallback := func(rc *fasthttp.RequestCtx) {
		if web.Match(string(rc.Path())) {
			ui(rc)
			return
		}
		if swagger.Match(string(rc.Path())) {
			docs(rc)
			return
		}
		if bytes.HasPrefix(rc.Path(), []byte(mgmt.Prefix+"/")) || string(rc.Path()) == mgmt.Prefix {
			apiHandler(rc)
			return
		}
		notFound(rc)
	}
	srv := gateway.New(gateway.Options{Index: idx, Metrics: m, Logger: log, Fallback: fallback,
		Dialects: gateway.Dialects{Anthropic: anthropicdialect.New(), Gemini: geminidialect.New(), Responses: responsesdialect.New()}})
	g := &Gateway{Addr: ln.Addr().String(), Controller: ctrl, Index: idx, server: srv, ln: ln, log: log}
	done := make(chan error, 2)
	ctrlDone := make(chan error, 1)
	// The controller stops with ctx, or when serving fails on its own.
	ctrlCtx, stopCtrl := context.WithCancel(ctx)
	go func() { ctrlDone <- ctrl.Run(ctrlCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	go func() {
		var err error
		select {
		case <-ctx.Done():
		case err = <-serveDone:
			if err == nil {
				err = errors.New("the listener closed")
			}
			err = fmt.Errorf("serve: %w", err)
		}
		log.Info("shutting down: draining in-flight requests", "timeout", DrainTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("drain: %w", serr)
		}
		stopCtrl()
		if cerr := <-ctrlDone; cerr != nil && err == nil {
			err = cerr
		}
		done <- err
	}()
	log.Info("gatewayd listening", "addr", g.Addr, "manifests", ss.manifestsAt, "secrets", ss.secretsAt)
	return g, done, nil
}

// checkAdminAccess refuses to expose an unauthenticated management API: with
// no token, management is served to loopback clients only, which is safe only
// when the listener itself is loopback.
func checkAdminAccess(cfg *Config, addr net.Addr, log *slog.Logger) error {
	switch {
	case cfg.DatabricksApp:
		log.Info("management API: users authenticated by the Databricks Apps proxy (X-Forwarded-Email)")
	case cfg.AdminToken != "":
		log.Info("management API: bearer token required (GATEWAY_ADMIN_TOKEN)")
	default:
		tcp, ok := addr.(*net.TCPAddr)
		if !ok || !tcp.IP.IsLoopback() {
			return fmt.Errorf("refusing to serve the management API on non-loopback address %s without GATEWAY_ADMIN_TOKEN: set a token or listen on 127.0.0.1", addr)
		}
		log.Info("management API: no GATEWAY_ADMIN_TOKEN set, so it answers loopback clients only")
	}
	return nil
}

func notFound(rc *fasthttp.RequestCtx) {
	rc.SetContentType("application/json")
	rc.SetStatusCode(fasthttp.StatusNotFound)
	rc.SetBodyString(`{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":"not_found"}}`)
}
