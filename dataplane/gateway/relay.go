package gateway

import (
	"bufio"
	"context"
	"io"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
)

// openAIStream writes unified chunks as OpenAI SSE: the identity encoder.
type openAIStream struct{}

func (openAIStream) ContentType() string { return "text/event-stream" }

func (openAIStream) Chunk(w *bufio.Writer, chunk []byte) error { return sse.WriteData(w, chunk) }

func (openAIStream) End(w *bufio.Writer) error { return sse.WriteDone(w) }

func (openAIStream) Fail(w *bufio.Writer, e *providers.Error) error {
	return sse.WriteData(w, openAIErrorJSON(e))
}

var _ dialect.StreamEncoder = openAIStream{}

func streamHeaders(rc *fasthttp.RequestCtx, contentType string, header map[string]string) {
	for k, v := range header {
		rc.Response.Header.Set(k, v)
	}
	rc.SetContentType(contentType)
	rc.Response.Header.Set("Cache-Control", "no-cache")
	rc.Response.Header.Set("X-Accel-Buffering", "no")
}

// relay streams the upstream's events to the client, one flush per event. The
// stream writer runs after the handler returns and keeps the route (and so the
// snapshot) it started with.
func (s *Server) relay(rc *fasthttp.RequestCtx, j *job, out outcome, cancel context.CancelFunc) {
	var enc dialect.StreamEncoder = openAIStream{}
	if j.ing != nil {
		enc = j.ing.NewStream(j.req)
	}
	stream := out.res.Stream
	streamHeaders(rc, enc.ContentType(), out.res.Header)
	rc.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.recoverStream(j.route.Name)
		defer cancel()
		defer func() { _ = stream.Close() }()
		status := 200
		payload, err := out.first, error(nil)
		for {
			if payload != nil {
				if werr := enc.Chunk(w, payload); werr != nil {
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
				_ = enc.End(w)
				_ = w.Flush()
				break
			}
			if err != nil {
				pe := asError(err)
				status = pe.Status
				s.log.Warn("upstream stream failed", "endpoint", j.route.Name, "apikey", out.target.Credential.Name, "error", pe.Message)
				_ = enc.Fail(w, pe)
				_ = w.Flush()
				break
			}
		}
		if ur, ok := stream.(providers.UsageReporter); ok {
			s.spend(j.route, out.target, ur.Usage(), j.start)
		}
		s.metrics.Request(j.route.Name, out.target.Credential.Provider, status, time.Since(j.start).Seconds())
	})
}

// relayForward passes a natively forwarded answer back untouched.
func (s *Server) relayForward(rc *fasthttp.RequestCtx, j *job, out outcome, cancel context.CancelFunc) {
	fwd := out.fwd
	provider := out.target.Credential.Provider
	if fwd.Stream == nil {
		defer cancel()
		defer fwd.Close()
		for k, v := range fwd.Header {
			rc.Response.Header.Set(k, v)
		}
		rc.SetStatusCode(fwd.Status)
		rc.SetContentType(fwd.ContentType)
		rc.SetBody(fwd.Body)
		s.spend(j.route, out.target, fwd.Usage, j.start)
		s.metrics.Request(j.route.Name, provider, fwd.Status, time.Since(j.start).Seconds())
		return
	}
	streamHeaders(rc, fwd.ContentType, fwd.Header)
	rc.SetStatusCode(fwd.Status)
	rc.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.recoverStream(j.route.Name)
		defer cancel()
		defer fwd.Close()
		status := fwd.Status
		buf := out.firstRaw[:cap(out.firstRaw)]
		n := len(out.firstRaw)
		for {
			if n > 0 {
				if _, err := w.Write(buf[:n]); err != nil || w.Flush() != nil {
					status = 499
					break
				}
			}
			var err error
			n, err = fwd.Stream.Read(buf)
			if err != nil {
				if n > 0 {
					_, _ = w.Write(buf[:n])
					_ = w.Flush()
				}
				if err != io.EOF {
					s.log.Warn("forwarded stream broke", "endpoint", j.route.Name, "error", err)
				}
				break
			}
		}
		s.spend(j.route, out.target, fwd.Usage, j.start)
		s.metrics.Request(j.route.Name, provider, status, time.Since(j.start).Seconds())
	})
}
