package gateway

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// inference serves the OpenAI-dialect routes. task is the route's task, or
// empty for MLflow invocations, where the Endpoint's task decides and the
// Endpoint comes from the path (pathName) instead of the body's "model".
func (s *Server) inference(rc *fasthttp.RequestCtx, task providers.Task, pathName string) {
	start := time.Now()
	if !rc.IsPost() {
		methodNotAllowed(rc, "POST")
		return
	}
	snap := s.opts.Index.Snapshot()
	if snap == nil {
		writeError(rc, notReady())
		return
	}
	body := rc.PostBody()
	if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
		s.fail(rc, "", "", start, badRequest("", jsonSyntaxError(body)))
		return
	}
	name := pathName
	if name == "" {
		m := gjson.GetBytes(body, "model")
		if m.Type != gjson.String || m.Str == "" {
			s.fail(rc, "", "", start, badRequest("model", "model is required: set it to the name of a gateway endpoint"))
			return
		}
		name = m.Str
	}
	route := snap.Route(name)
	if route == nil {
		s.fail(rc, "", "", start, &providers.Error{Status: 404, Type: "invalid_request_error", Param: "model", Code: "model_not_found",
			Message: "endpoint " + strconv.Quote(name) + " does not exist"})
		return
	}
	if task == "" {
		task = route.Task
	} else if task != route.Task {
		s.fail(rc, route.Name, "", start, badRequest("model", "endpoint "+strconv.Quote(name)+" serves "+string(route.Task)+
			" requests, not "+string(task)))
		return
	}
	if route.Limiter != nil {
		if ok, wait := route.Limiter.Allow(start); !ok {
			secs := int(wait/time.Second) + 1
			s.fail(rc, route.Name, "", start, &providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_exceeded",
				RetryAfter: strconv.Itoa(secs), Message: "endpoint " + strconv.Quote(name) + " is over its rate limit; retry in " + strconv.Itoa(secs) + "s"})
			return
		}
	}
	call := &providers.Call{Task: task, Body: body}
	if task != providers.TaskEmbeddings {
		call.Stream = gjson.GetBytes(body, "stream").Bool()
		if call.Stream {
			call.IncludeUsage = gjson.GetBytes(body, "stream_options.include_usage").Bool()
		}
	}
	timeout := route.Timeout
	if timeout <= 0 {
		timeout = state.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	res, first, target, err := s.attempt(ctx, route, call, timeout)
	if err != nil {
		cancel()
		provider := ""
		if target != nil {
			provider = target.Credential.Provider
		}
		s.fail(rc, route.Name, provider, start, asError(err))
		return
	}
	for k, v := range res.Header {
		rc.Response.Header.Set(k, v)
	}
	if !call.Stream {
		defer cancel()
		defer res.Release()
		rc.SetContentType("application/json")
		rc.SetBody(res.Body)
		if u, ok := providers.UsageFromOpenAI(res.Body); ok {
			s.spend(route, target, u, start)
		}
		s.metrics.Request(route.Name, target.Credential.Provider, 200, time.Since(start).Seconds())
		return
	}
	s.relay(rc, route, target, res.Stream, first, start, cancel)
}

// attempt tries the chosen target, its retries, then each fallback, while
// nothing has been sent to the client. For a stream, the first event is read
// here too, so a stream that fails before its first event is retried as well.
func (s *Server) attempt(ctx context.Context, route *state.Route, call *providers.Call, timeout time.Duration) (*providers.Result, []byte, *state.ResolvedTarget, error) {
	var (
		lastErr    error
		lastTarget *state.ResolvedTarget
	)
	attempts := max(route.Retry.Attempts, 1)
	try := func(t *state.ResolvedTarget) (*providers.Result, []byte, bool) {
		backoff := route.Retry.Backoff
		for i := 0; i < attempts; i++ {
			if i > 0 && backoff > 0 {
				timer := time.NewTimer(backoff)
				select {
				case <-ctx.Done():
					timer.Stop()
					return nil, nil, false
				case <-timer.C:
				}
				backoff *= 2
			}
			lastTarget = t
			call.Model = t.Model
			res, err := t.Adapter.Send(ctx, t.Credential, call)
			var first []byte
			if err == nil && res.Stream != nil {
				first, err = res.Stream.Next()
				if err == io.EOF {
					first, err = nil, nil
				} else if err != nil {
					_ = res.Stream.Close()
				}
			}
			if err == nil {
				s.metrics.Attempt(route.Name, t.Credential.Provider, "ok")
				return res, first, true
			}
			lastErr = err
			pe := asError(err)
			if !pe.Retryable {
				s.metrics.Attempt(route.Name, t.Credential.Provider, "error")
				return nil, nil, false
			}
			s.metrics.Attempt(route.Name, t.Credential.Provider, "retryable_error")
			s.log.Warn("upstream attempt failed", "endpoint", route.Name, "apikey", t.Credential.Name,
				"model", t.Model, "attempt", i+1, "status", pe.Status, "error", pe.Message)
			if ctx.Err() != nil || pe.Status == 429 {
				// A rate-limited target will not recover within a backoff; move on.
				return nil, nil, false
			}
		}
		return nil, nil, false
	}
	if res, first, ok := try(route.Pick()); ok {
		return res, first, lastTarget, nil
	}
	for i := range route.Fallbacks() {
		if lastErr != nil && !asError(lastErr).Retryable {
			break
		}
		if ctx.Err() != nil {
			break
		}
		if res, first, ok := try(&route.Fallbacks()[i]); ok {
			return res, first, lastTarget, nil
		}
	}
	if ctx.Err() != nil && (lastErr == nil || !asError(lastErr).Timeout) {
		lastErr = &providers.Error{Status: 504, Type: "timeout_error", Code: "timeout", Timeout: true,
			Message: "endpoint " + strconv.Quote(route.Name) + " did not answer within its timeout of " + timeout.String()}
	}
	return nil, nil, lastTarget, lastErr
}

// relay streams the upstream's events to the client, one flush per event. The
// stream writer runs after the handler returns and keeps the route (and so the
// snapshot) it started with.
func (s *Server) relay(rc *fasthttp.RequestCtx, route *state.Route, target *state.ResolvedTarget, stream providers.Stream, first []byte, start time.Time, cancel context.CancelFunc) {
	rc.SetContentType("text/event-stream")
	rc.Response.Header.Set("Cache-Control", "no-cache")
	rc.Response.Header.Set("X-Accel-Buffering", "no")
	rc.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		defer func() { _ = stream.Close() }()
		status := 200
		payload, err := first, error(nil)
		for {
			if payload != nil {
				if werr := sse.WriteData(w, payload); werr != nil {
					status = 499 // the client went away
					break
				}
				if werr := w.Flush(); werr != nil {
					status = 499
					break
				}
			}
			payload, err = stream.Next()
			if err == io.EOF {
				_ = sse.WriteDone(w)
				_ = w.Flush()
				break
			}
			if err != nil {
				pe := asError(err)
				status = pe.Status
				s.log.Warn("upstream stream failed", "endpoint", route.Name, "apikey", target.Credential.Name, "error", pe.Message)
				_ = sse.WriteData(w, openAIErrorJSON(pe))
				_ = w.Flush()
				break
			}
		}
		if ur, ok := stream.(providers.UsageReporter); ok {
			s.spend(route, target, ur.Usage(), start)
		}
		s.metrics.Request(route.Name, target.Credential.Provider, status, time.Since(start).Seconds())
	})
}

func (s *Server) spend(route *state.Route, target *state.ResolvedTarget, u providers.Usage, now time.Time) {
	s.metrics.Tokens(route.Name, target.Credential.Provider, u.PromptTokens, u.CompletionTokens)
	route.Limiter.Spend(now, u.PromptTokens+u.CompletionTokens)
}

func (s *Server) fail(rc *fasthttp.RequestCtx, endpoint, provider string, start time.Time, e *providers.Error) {
	writeError(rc, e)
	s.metrics.Request(endpoint, provider, e.Status, time.Since(start).Seconds())
}
