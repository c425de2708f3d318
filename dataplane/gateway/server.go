// Package gateway is the data plane's HTTP face: a fasthttp handler serving the
// inference routes from the current state snapshot, plus the operations
// endpoints. Anything it does not serve goes to a fallback handler (the
// management API and UI, wired in by cmd/gatewayd).
package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/ai-gateway/gateway/dataplane/metrics"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// DefaultMaxBodySize bounds request bodies: large enough for a few inline
// images, small enough that one client cannot exhaust memory.
const DefaultMaxBodySize = 32 << 20

// Options configure a Server.
type Options struct {
	// Index is the read model to serve from.
	Index *state.Index
	// Metrics records request metrics; required.
	Metrics *metrics.Metrics
	// Logger logs request failures.
	Logger *slog.Logger
	// Fallback serves every path the data plane does not own; nil answers 404.
	Fallback fasthttp.RequestHandler
	// MaxBodySize bounds request bodies; zero means DefaultMaxBodySize.
	MaxBodySize int
	// Dialects serve the Anthropic, Gemini and Responses API routes.
	Dialects Dialects
}

// Server serves the data plane.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics.Metrics
	prom    fasthttp.RequestHandler
	srv     *fasthttp.Server
}

// New returns a Server.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	s := &Server{opts: opts, log: opts.Logger, metrics: opts.Metrics}
	s.prom = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(opts.Metrics.Registry, promhttp.HandlerOpts{}))
	s.srv = &fasthttp.Server{
		Handler:            s.Handle,
		Name:               "ai-gateway",
		MaxRequestBodySize: opts.MaxBodySize,
		ReadTimeout:        5 * time.Minute,
		IdleTimeout:        2 * time.Minute,
		ReadBufferSize:     8 << 10,
		// Hand a connection's read buffer back once its request is read:
		// a stream holds its connection for seconds, and 256 of them would
		// otherwise pin 2 MiB of idle readers (make bench: RSS at c=256).
		ReduceMemoryUsage:     true,
		NoDefaultDate:         false,
		NoDefaultServerHeader: false,
		CloseOnShutdown:       true,
		ErrorHandler:          s.transportError,
		Logger:                slogPrinter{opts.Logger},
	}
	return s
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting connections and waits for in-flight requests,
// streams included, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }

var (
	prefixGateway = []byte("/gateway/")
	// prefixAPIGateway is the alias of prefixGateway under /api/.
	prefixAPIGateway = []byte("/api/gateway/")
	pathChat         = []byte("/gateway/mlflow/v1/chat/completions")
	pathCompl        = []byte("/gateway/mlflow/v1/completions")
	pathEmbed        = []byte("/gateway/mlflow/v1/embeddings")
	pathModels       = []byte("/gateway/mlflow/v1/models")
	suffixInvoke     = []byte("/mlflow/invocations")
)

// Handle is the fasthttp handler for every request.
func (s *Server) Handle(rc *fasthttp.RequestCtx) {
	// fasthttp does not recover panics the way net/http does: one bug reached
	// by one request would stop every stream in flight.
	defer s.recoverRequest(rc)
	path := rc.Path()
	if bytes.HasPrefix(path, prefixAPIGateway) {
		// A Databricks App lets clients that authenticate with a token reach
		// paths under /api/ only, so every /gateway/ route is also served
		// under /api/gateway/.
		rc.URI().SetPathBytes(path[len(prefixAPIGateway)-len(prefixGateway):])
		path = rc.Path()
	}
	switch {
	case bytes.Equal(path, pathChat):
		s.inference(rc, providers.TaskChat, "")
	case bytes.Equal(path, pathEmbed):
		s.inference(rc, providers.TaskEmbeddings, "")
	case bytes.Equal(path, pathCompl):
		s.inference(rc, providers.TaskCompletions, "")
	case bytes.Equal(path, pathModels):
		s.models(rc)
	case bytes.HasPrefix(path, prefixGateway) && bytes.HasSuffix(path, suffixInvoke):
		name := path[len(prefixGateway) : len(path)-len(suffixInvoke)]
		if len(name) == 0 || bytes.IndexByte(name, '/') >= 0 {
			writeError(rc, &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found", Message: "no route for " + string(path)})
			return
		}
		s.inference(rc, "", string(name))
	case bytes.HasPrefix(path, prefixGateway):
		if s.nativeRoute(rc, path) {
			return
		}
		writeError(rc, &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found", Message: "no route for " + string(path)})
	case string(path) == "/health":
		rc.SetContentType("application/json")
		rc.SetBodyString(`{"status":"ok"}`)
	case string(path) == "/ready":
		s.ready(rc)
	case string(path) == "/metrics":
		s.prom(rc)
	default:
		if s.opts.Fallback != nil {
			s.opts.Fallback(rc)
			return
		}
		rc.Error("404 page not found", fasthttp.StatusNotFound)
	}
}

// recoverRequest turns a panic in a handler into a 500 for that request alone.
// The stack goes to the log; the client gets no detail.
func (s *Server) recoverRequest(rc *fasthttp.RequestCtx) {
	v := recover()
	if v == nil {
		return
	}
	s.log.Error("panic serving request", "method", string(rc.Method()), "path", string(rc.Path()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	rc.Response.Reset()
	writeError(rc, &providers.Error{Status: 500, Type: "api_error", Code: "internal_error", Message: "the gateway failed to serve this request; the error is in its log"})
}

// recoverStream does the same inside a stream writer, where headers are gone
// already: the stream just ends, and the process keeps serving.
func (s *Server) recoverStream(route string) {
	if v := recover(); v != nil {
		s.log.Error("panic while streaming", "endpoint", route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

func (s *Server) ready(rc *fasthttp.RequestCtx) {
	rc.SetContentType("application/json")
	snap := s.opts.Index.Snapshot()
	if snap == nil {
		rc.SetStatusCode(fasthttp.StatusServiceUnavailable)
		rc.SetBodyString(`{"status":"loading","generation":0}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"status": "ready", "generation": snap.Generation, "endpoints": len(snap.Endpoints())})
	rc.SetBody(b)
}

func (s *Server) models(rc *fasthttp.RequestCtx) {
	if !rc.IsGet() {
		methodNotAllowed(rc, "GET")
		return
	}
	snap := s.opts.Index.Snapshot()
	if snap == nil {
		writeError(rc, notReady())
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
		Task    string `json:"task"`
	}
	data := make([]model, 0, len(snap.Endpoints()))
	for _, e := range snap.Endpoints() {
		data = append(data, model{ID: e.Name, Object: "model", OwnedBy: "ai-gateway", Task: string(e.Task)})
	}
	b, _ := json.Marshal(map[string]any{"object": "list", "data": data})
	rc.SetContentType("application/json")
	rc.SetBody(b)
}

func notReady() *providers.Error {
	return &providers.Error{Status: 503, Type: "api_error", Code: "not_ready", RetryAfter: "1",
		Message: "the gateway is still loading its configuration"}
}

func methodNotAllowed(rc *fasthttp.RequestCtx, allow string) {
	rc.Response.Header.Set("Allow", allow)
	writeError(rc, &providers.Error{Status: 405, Type: "invalid_request_error", Code: "method_not_allowed",
		Message: "method " + string(rc.Method()) + " not allowed; use " + allow})
}

// transportError answers requests fasthttp could not parse, in OpenAI's format.
func (s *Server) transportError(rc *fasthttp.RequestCtx, err error) {
	e := &providers.Error{Status: 400, Type: "invalid_request_error", Code: "bad_request", Message: "cannot parse request: " + err.Error()}
	if err == fasthttp.ErrBodyTooLarge {
		e = &providers.Error{Status: 413, Type: "invalid_request_error", Code: "request_too_large",
			Message: "request body is larger than the gateway's limit of " + humanBytes(s.opts.MaxBodySize)}
	}
	// The route is not known yet, but the path says which dialect the
	// client speaks; answer in it.
	path := rc.Path()
	switch {
	case bytes.HasPrefix(path, prefixAnthropic) && s.opts.Dialects.Anthropic != nil:
		s.fail(rc, s.opts.Dialects.Anthropic, "", "", time.Now(), e)
	case bytes.HasPrefix(path, prefixGemini) && s.opts.Dialects.Gemini != nil:
		s.fail(rc, s.opts.Dialects.Gemini, "", "", time.Now(), e)
	default:
		writeError(rc, e)
	}
}

func humanBytes(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + " MiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// slogPrinter adapts slog to fasthttp's Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, args ...any) {
	p.l.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}
