package gateway

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// job is one client request on its way through the data plane.
type job struct {
	start time.Time
	route *state.Route
	call  *providers.Call
	// ing and req are set for non-OpenAI dialects; nil means the unified
	// dialect is the client's own and is written as is.
	ing dialect.Ingress
	req *dialect.Request
}

// inference serves the OpenAI-dialect routes. task is the route's task, or
// empty for MLflow invocations, where the Endpoint's task decides and the
// Endpoint comes from the path (pathName) instead of the body's "model".
func (s *Server) inference(rc *fasthttp.RequestCtx, task providers.Task, pathName string) {
	start := time.Now()
	if !rc.IsPost() {
		methodNotAllowed(rc, "POST")
		return
	}
	body := rc.PostBody()
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		s.fail(rc, nil, "", "", start, badRequest("", jsonSyntaxError(body)))
		return
	}
	top := scanTopLevel(body)
	m, n := top.model, top.models
	if n > 1 {
		// The gateway routes on one "model" and rewrites it; an upstream
		// parser that takes another would run a model the Endpoint never
		// allowed, on the gateway's key.
		s.fail(rc, nil, "", "", start, badRequest("model", "model is given more than once"))
		return
	}
	name := pathName
	if name == "" {
		if m.Type != gjson.String || m.Str == "" {
			s.fail(rc, nil, "", "", start, badRequest("model", "model is required: set it to the name of a gateway endpoint"))
			return
		}
		name = m.Str
	}
	route, ok := s.lookup(rc, nil, name, task, start)
	if !ok {
		return
	}
	call := &providers.Call{Task: route.Task, Body: body}
	if call.Task != providers.TaskEmbeddings {
		call.Stream = top.stream.Bool()
		if call.Stream {
			call.IncludeUsage = top.streamOptions.Get("include_usage").Bool()
		}
	}
	s.serve(rc, &job{start: start, route: route, call: call})
}

// lookup finds the Endpoint, checks its task (empty task: any) and its rate
// limit, and answers the client itself when one of those fails.
func (s *Server) lookup(rc *fasthttp.RequestCtx, ing dialect.Ingress, name string, task providers.Task, start time.Time) (*state.Route, bool) {
	snap := s.opts.Index.Snapshot()
	if snap == nil {
		s.fail(rc, ing, "", "", start, notReady())
		return nil, false
	}
	route := snap.Route(name)
	if route == nil {
		s.fail(rc, ing, "", "", start, &providers.Error{Status: 404, Type: "invalid_request_error", Param: "model", Code: "model_not_found",
			Message: "endpoint " + strconv.Quote(name) + " does not exist"})
		return nil, false
	}
	if task != "" && task != route.Task {
		s.fail(rc, ing, route.Name, "", start, badRequest("model", "endpoint "+strconv.Quote(name)+" serves "+string(route.Task)+
			" requests, not "+string(task)))
		return nil, false
	}
	if route.Limiter != nil {
		if ok, wait := route.Limiter.Allow(start); !ok {
			secs := int(wait/time.Second) + 1
			s.fail(rc, ing, route.Name, "", start, &providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_exceeded",
				RetryAfter: strconv.Itoa(secs), Message: "endpoint " + strconv.Quote(name) + " is over its rate limit; retry in " + strconv.Itoa(secs) + "s"})
			return nil, false
		}
	}
	return route, true
}

// serve runs the attempts and writes the answer in the client's dialect.
func (s *Server) serve(rc *fasthttp.RequestCtx, j *job) {
	timeout := j.route.Timeout
	if timeout <= 0 {
		timeout = state.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	out, err := s.attempt(ctx, j, timeout)
	stamp(rc, j.route, &out)
	if err != nil {
		cancel()
		provider := ""
		if out.target != nil {
			provider = out.target.Credential.Provider
		}
		s.fail(rc, j.ing, j.route.Name, provider, j.start, asError(err))
		return
	}
	switch {
	case out.fwd != nil:
		s.relayForward(rc, j, out, cancel)
	case out.res.Stream != nil:
		s.relay(rc, j, out, cancel)
	default:
		defer cancel()
		s.writeComplete(rc, j, out)
	}
}

func (s *Server) writeComplete(rc *fasthttp.RequestCtx, j *job, out outcome) {
	res := out.res
	defer res.Release()
	for k, v := range res.Header {
		rc.Response.Header.Set(k, v)
	}
	// The upstream did the work whatever happens next: charge it first.
	if u, ok := providers.UsageFromOpenAI(res.Body); ok {
		s.spend(j.route, out.target, u, j.start)
	}
	body := res.Body
	if j.ing != nil {
		b, err := j.ing.Response(j.req, body)
		if err != nil {
			s.fail(rc, j.ing, j.route.Name, out.target.Credential.Provider, j.start,
				&providers.Error{Status: 502, Type: "api_error", Message: "cannot translate the upstream answer: " + err.Error()})
			return
		}
		body = b
	}
	rc.SetContentType("application/json")
	rc.SetBody(body)
	s.metrics.Request(j.route.Name, out.target.Credential.Provider, 200, time.Since(j.start).Seconds())
}

// Response headers that tie an answer to the configuration that produced it:
// which Endpoint manifest generation and snapshot served it, which APIKey and
// model answered, and on which attempt. An incident can then be traced to the
// exact manifest revision, and a retry or fallback is visible to the client.
const (
	headerEndpoint = "X-Gateway-Endpoint"
	headerConfig   = "X-Gateway-Config-Generation"
	headerTarget   = "X-Gateway-Target"
	headerAttempt  = "X-Gateway-Attempt"
)

func stamp(rc *fasthttp.RequestCtx, r *state.Route, out *outcome) {
	h := &rc.Response.Header
	h.Set(headerEndpoint, r.Served)
	h.Set(headerConfig, r.ConfigGeneration)
	if out.target == nil {
		return
	}
	h.Set(headerTarget, out.target.Label)
	h.Set(headerAttempt, strconv.Itoa(out.attempt)) // no allocation below 100
}

// outcome is a successful attempt.
type outcome struct {
	target *state.ResolvedTarget
	// attempt counts upstream calls for this request, the successful one
	// included (retries and fallbacks add to it).
	attempt int
	res     *providers.Result
	first   []byte // first stream chunk, already read
	fwd     *providers.ForwardResponse
	// firstRaw is the first piece of a forwarded stream, already read.
	firstRaw []byte
}

// attempt tries the chosen target, its retries, then each fallback, while
// nothing has been sent to the client. A stream's first event is read here,
// so a stream that fails before it is retried too.
func (s *Server) attempt(ctx context.Context, j *job, timeout time.Duration) (outcome, error) {
	var (
		lastErr error
		out     outcome
	)
	route := j.route
	attempts := max(route.Retry.Attempts, 1)
	n := 0
	try := func(t *state.ResolvedTarget) bool {
		backoff := route.Retry.Backoff
		for i := 0; i < attempts; i++ {
			if i > 0 && backoff > 0 {
				timer := time.NewTimer(backoff)
				select {
				case <-ctx.Done():
					timer.Stop()
					return false
				case <-timer.C:
				}
				backoff *= 2
			}
			n++
			out = outcome{target: t, attempt: n}
			err := s.send(ctx, j, t, &out)
			if err == nil {
				s.metrics.Attempt(route.Name, t.Credential.Provider, "ok")
				return true
			}
			lastErr = err
			pe := asError(err)
			if !pe.Retryable {
				s.metrics.Attempt(route.Name, t.Credential.Provider, "error")
				return false
			}
			s.metrics.Attempt(route.Name, t.Credential.Provider, "retryable_error")
			s.log.Warn("upstream attempt failed", "endpoint", route.Name, "apikey", t.Credential.Name,
				"model", t.Model, "attempt", i+1, "status", pe.Status, "error", pe.Message)
			if ctx.Err() != nil || pe.Status == 429 {
				// A rate-limited target will not recover within a backoff; move on.
				return false
			}
		}
		return false
	}
	if try(route.Pick()) {
		return out, nil
	}
	for i := range route.Fallbacks() {
		if (lastErr != nil && !asError(lastErr).Retryable) || ctx.Err() != nil {
			break
		}
		if try(&route.Fallbacks()[i]) {
			return out, nil
		}
	}
	if ctx.Err() != nil && (lastErr == nil || !asError(lastErr).Timeout) {
		lastErr = &providers.Error{Status: 504, Type: "timeout_error", Code: "timeout", Timeout: true,
			Message: "endpoint " + strconv.Quote(route.Name) + " did not answer within its timeout of " + timeout.String()}
	}
	return out, lastErr
}

// send makes one attempt on t: native forwarding when the client's dialect is
// the target provider's own, translation through the unified dialect otherwise.
func (s *Server) send(ctx context.Context, j *job, t *state.ResolvedTarget, out *outcome) error {
	if j.ing != nil && j.req.Forward != nil && forwardsDialect(t, j.ing.Native()) {
		if f, ok := t.Adapter.(providers.Forwarder); ok {
			fwd, err := f.Forward(ctx, t.Credential, t.Model, j.req.Forward)
			if err != nil {
				return err
			}
			if fwd.Stream != nil {
				buf := make([]byte, 16<<10)
				n, rerr := fwd.Stream.Read(buf)
				if n == 0 && rerr != nil {
					fwd.Close()
					return providers.TransportError(t.Credential.Provider, rerr, false)
				}
				out.firstRaw = buf[:n]
			}
			out.fwd = fwd
			return nil
		}
	}
	if c, ok := j.ing.(dialect.TranslationChecker); ok {
		if e := c.CheckTranslate(j.req); e != nil {
			return e
		}
	}
	j.call.Model = t.Model
	res, err := t.Adapter.Send(ctx, t.Credential, j.call)
	if err != nil {
		return err
	}
	if res.Stream != nil {
		first, err := res.Stream.Next()
		if err != nil && err != io.EOF {
			_ = res.Stream.Close()
			return err
		}
		out.first = first
	}
	out.res = res
	return nil
}

func (s *Server) spend(route *state.Route, target *state.ResolvedTarget, u providers.Usage, now time.Time) {
	s.metrics.Tokens(route.Name, target.Credential.Provider, u.PromptTokens, u.CompletionTokens)
	route.Limiter.Spend(now, u.PromptTokens+u.CompletionTokens)
}

// fail answers with e in the client's dialect.
func (s *Server) fail(rc *fasthttp.RequestCtx, ing dialect.Ingress, endpoint, provider string, start time.Time, e *providers.Error) {
	if ing == nil {
		writeError(rc, e)
	} else {
		rc.Response.Header.SetContentType("application/json")
		if e.RetryAfter != "" && (e.Status == 429 || e.Status == 503) {
			rc.Response.Header.Set("Retry-After", e.RetryAfter)
		}
		rc.SetStatusCode(e.Status)
		rc.SetBody(ing.Error(e))
	}
	s.metrics.Request(endpoint, provider, e.Status, time.Since(start).Seconds())
}

// topLevel is what the request path reads from a body's top level, found
// in one pass.
type topLevel struct {
	model                 gjson.Result
	models                int // keys spelling "model": escaped (mod\u0065l) or in another case too
	stream, streamOptions gjson.Result
}

// scanTopLevel reads the top-level fields the data plane needs. It counts
// every key that spells "model" in any case or escaping (Go's encoding/json
// also matches those), so a body cannot route on one model and run another.
func scanTopLevel(body []byte) topLevel {
	var t topLevel
	gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
		key := k.Raw
		if len(key) >= 2 && key[0] == '"' {
			key = key[1 : len(key)-1]
		}
		if strings.IndexByte(key, '\\') >= 0 {
			key = k.String() // unescape only when escapes are there
		}
		switch {
		case strings.EqualFold(key, "model"):
			t.models++
			if t.models == 1 {
				t.model = v
			}
		case key == "stream":
			t.stream = v
		case key == "stream_options":
			t.streamOptions = v
		}
		return true
	})
	return t
}

// forwardsDialect reports whether t's provider speaks the client's dialect
// natively: its adapter says so (Vertex AI speaks Gemini's), or the provider
// is the dialect's own.
func forwardsDialect(t *state.ResolvedTarget, dialect string) bool {
	if d, ok := t.Adapter.(providers.DialectForwarder); ok {
		return d.ForwardsDialect(dialect)
	}
	return dialect != "" && t.Credential.Provider == dialect
}
