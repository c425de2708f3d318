// Package openai reaches OpenAI and every OpenAI-compatible server. Requests in
// the unified dialect are OpenAI's own, so the body is forwarded with only the
// model rewritten: parameters this gateway has never heard of pass through.
package openai

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"github.com/valyala/bytebufferpool"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

// Auth says how the credential is presented.
type Auth struct {
	// Header is the header name; "Authorization" sends "Bearer <key>".
	Header string
	// None sends no credential at all, even when one is configured (local
	// servers such as Ollama that take no key).
	None bool
}

// Options configure an adapter for one provider id.
type Options struct {
	// Info describes the provider; Info.DefaultBaseURL is used when a
	// credential has no BaseURL.
	Info providers.Info
	// Auth is how the key is sent; zero means "Authorization: Bearer".
	Auth Auth
	// StreamUsage is true when the upstream honours stream_options.include_usage;
	// the adapter then always asks for usage (for metrics and token limits) and
	// hides the extra chunk from clients that did not ask for it.
	StreamUsage bool
	// Quirks are the upstream's deviations from OpenAI's API.
	Quirks Quirks
	// Client overrides the HTTP client (tests).
	Client *fasthttp.Client
}

// Adapter is a providers.Adapter for OpenAI-compatible upstreams.
type Adapter struct {
	opts   Options
	client *fasthttp.Client
}

var _ providers.Adapter = (*Adapter)(nil)

// NewClient returns the fasthttp client adapters share: pooled connections,
// streamed response bodies, no automatic retries (the gateway decides).
func NewClient() *fasthttp.Client {
	return &fasthttp.Client{
		Name:                   "ai-gateway",
		MaxConnsPerHost:        4096,
		MaxIdleConnDuration:    90 * time.Second,
		MaxConnDuration:        10 * time.Minute,
		ReadBufferSize:         8 << 10,
		WriteBufferSize:        4 << 10,
		StreamResponseBody:     true,
		DisablePathNormalizing: true,
		RetryIfErr:             func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		Dial: (&fasthttp.TCPDialer{
			Concurrency:      0,
			DNSCacheDuration: time.Minute,
		}).Dial,
	}
}

// New returns an adapter.
func New(opts Options) *Adapter {
	if opts.Auth.Header == "" {
		opts.Auth.Header = "Authorization"
	}
	c := opts.Client
	if c == nil {
		c = NewClient()
	}
	return &Adapter{opts: opts, client: c}
}

// Info describes the provider this adapter serves.
func (a *Adapter) Info() providers.Info { return a.opts.Info }

// TaskPath is the path of a task's endpoint below an OpenAI-style base URL;
// Azure's deployments and v1 API use the same paths.
func TaskPath(t providers.Task) string {
	switch t {
	case providers.TaskCompletions:
		return "/completions"
	case providers.TaskEmbeddings:
		return "/embeddings"
	default:
		return "/chat/completions"
	}
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	bb := bytebufferpool.Get()
	defer bytebufferpool.Put(bb) // the body is sent by the time Send returns
	body, hideUsage, err := a.upstreamBody(bb, call)
	if err != nil {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Message: err.Error()}
	}
	base, perr := a.baseURL(cred)
	if perr != nil {
		return nil, perr
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(strings.TrimSuffix(base, "/") + TaskPath(call.Task))
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	a.setAuth(req, cred)
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	req.SetBodyRaw(body)

	resp, err := a.do(ctx, req)
	if err != nil {
		return nil, err
	}
	header := map[string]string(nil)
	if id := resp.Header.Peek("X-Request-Id"); len(id) > 0 {
		header = map[string]string{"X-Upstream-Request-Id": string(id)}
	}
	if !call.Stream {
		out := bytebufferpool.Get()
		if err := readInto(out, resp); err != nil {
			bytebufferpool.Put(out)
			fasthttp.ReleaseResponse(resp)
			return nil, providers.TransportError(a.opts.Info.ID, err, upstream.IsTimeout(err))
		}
		fasthttp.ReleaseResponse(resp)
		res := providers.NewResult(out.B, func() { bytebufferpool.Put(out) })
		res.Header = header
		return res, nil
	}
	s := newStream(resp, hideUsage)
	s.synthUsage = a.opts.Quirks.NoStreamOptions && call.IncludeUsage
	return &providers.Result{Stream: s, Header: header}, nil
}

// baseURL is the credential's base URL, or the provider's default. A
// catalog base URL with {placeholders} cannot be used as is: without this
// check the request would go to a host literally named "{account}".
func (a *Adapter) baseURL(cred *providers.Credential) (string, *providers.Error) {
	base := cred.BaseURL
	if base == "" {
		base = a.opts.Info.DefaultBaseURL
	}
	if base == "" || strings.Contains(base, "{") {
		return "", &providers.Error{Status: 500, Type: "api_error", Code: "missing_base_url",
			Message: "provider " + a.opts.Info.ID + " needs a base URL: set config.baseURL on the APIKey (got " + strconv.Quote(base) + ")"}
	}
	return base, nil
}

// setAuth puts the credential's key on req the way the provider wants it.
func (a *Adapter) setAuth(req *fasthttp.Request, cred *providers.Credential) {
	key := cred.Secret.Reveal()
	switch {
	case key == "" || a.opts.Auth.None:
	case a.opts.Auth.Header == "Authorization":
		req.Header.Set("Authorization", "Bearer "+key)
	default:
		req.Header.Set(a.opts.Auth.Header, key)
	}
}

// do sends req (see upstream.Do) and reads an error answer as OpenAI's.
func (a *Adapter) do(ctx context.Context, req *fasthttp.Request) (*fasthttp.Response, error) {
	return upstream.Do(ctx, a.client, req, a.opts.Info.ID, func(status int, resp *fasthttp.Response) *providers.Error {
		e := UpstreamError(status, upstream.ReadAll(resp))
		e.RetryAfter = string(resp.Header.Peek("Retry-After"))
		return e
	})
}

// upstreamBody rewrites the model (and, for streams, asks for usage) without
// decoding the rest of the body; the common case splices into buf.
func (a *Adapter) upstreamBody(buf *bytebufferpool.ByteBuffer, call *providers.Call) ([]byte, bool, error) {
	body, err := SetModel(buf.B[:0], call.Body, call.Model)
	if err != nil {
		return nil, false, err
	}
	buf.B = body
	hideUsage := false
	if call.Stream && a.opts.StreamUsage && !a.opts.Quirks.NoStreamOptions && !call.IncludeUsage && call.Task != providers.TaskEmbeddings {
		body, err = sjson.SetBytes(body, "stream_options.include_usage", true)
		if err != nil {
			return nil, false, err
		}
		hideUsage = true
	}
	if !a.opts.Quirks.IsZero() {
		if body, err = a.opts.Quirks.apply(body); err != nil {
			return nil, false, err
		}
	}
	return body, hideUsage, nil
}

// SetModel returns body with its top-level "model" set to model, appended to
// dst. When the body already has a string model and the new one needs no JSON
// escaping (every real model name), it is a splice with no allocation beyond
// dst; otherwise sjson does the work.
func SetModel(dst, body []byte, model string) ([]byte, error) {
	if r := gjson.GetBytes(body, "model"); r.Type == gjson.String && r.Index > 0 && plainJSONString(model) {
		dst = append(dst, body[:r.Index]...)
		dst = append(dst, '"')
		dst = append(dst, model...)
		dst = append(dst, '"')
		return append(dst, body[r.Index+len(r.Raw):]...), nil
	}
	out, err := sjson.SetBytes(body, "model", model)
	return append(dst, out...), err
}

// plainJSONString reports whether s can be written between quotes as is.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// readInto reads a whole response body into b, streamed or not.
func readInto(b *bytebufferpool.ByteBuffer, resp *fasthttp.Response) error {
	if s := resp.BodyStream(); s != nil {
		_, err := b.ReadFrom(s)
		cerr := resp.CloseBodyStream()
		if err == nil {
			err = cerr
		}
		return err
	}
	_, err := b.Write(resp.Body())
	return err
}

// UpstreamError converts an OpenAI-style error body into a providers.Error,
// keeping the upstream's status, message, type and code.
func UpstreamError(status int, body []byte) *providers.Error {
	e := &providers.Error{Status: status, Type: providers.ErrorType(status), Retryable: providers.RetryableStatus(status)}
	if status < 400 {
		e.Status = 502
		e.Message = "upstream answered with unexpected status " + itoa(status)
		return e
	}
	if gjson.ValidBytes(body) {
		eo := gjson.GetBytes(body, "error")
		switch {
		case eo.IsObject():
			e.Message = eo.Get("message").String()
			if t := eo.Get("type").String(); t != "" {
				e.Type = t
			}
			e.Code = eo.Get("code").String()
			e.Param = eo.Get("param").String()
		case eo.Type == gjson.String:
			e.Message = eo.String()
		default:
			// Not OpenAI's shape: {"message": ...} (Mistral, Cohere) or
			// Databricks' {"error_code": "...", "message": ...}.
			e.Message = gjson.GetBytes(body, "message").String()
			e.Code = gjson.GetBytes(body, "error_code").String()
		}
	}
	if e.Message == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		if msg == "" {
			msg = "upstream returned status " + itoa(status)
		}
		e.Message = msg
	}
	return e
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
