package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

var _ providers.Forwarder = (*Adapter)(nil)

var forwardUsageKey = []byte(`"usage"`)

// forwardCredentialHeaders are never taken from a forwarded request's headers: the
// adapter alone decides what credential reaches the upstream.
var forwardCredentialHeaders = []string{"Authorization", "Api-Key", "X-Api-Key", "X-Goog-Api-Key"}

// Forward implements providers.Forwarder: it sends a request in OpenAI's own
// dialect (the Responses API, say) with only the model and the credentials
// changed. Unknown fields and the openai-beta header pass through, and the
// answer, whole or streamed, comes back as the upstream sent it. fr.Path is
// below the OpenAI-style base URL, which already ends in /v1 ("/responses").
func (a *Adapter) Forward(ctx context.Context, cred *providers.Credential, model string, fr *providers.ForwardRequest) (*providers.ForwardResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, providers.TransportError(a.opts.Info.ID, err, errors.Is(err, context.DeadlineExceeded))
	}
	body, perr := fr.BodyFor(model)
	if perr != nil {
		return nil, perr
	}
	base, perr := a.baseURL(cred)
	if perr != nil {
		return nil, perr
	}
	method := fr.Method
	if method == "" {
		method = fasthttp.MethodPost
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	uri := strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(fr.Path, "/")
	if fr.Query != "" {
		uri += "?" + fr.Query
	}
	req.SetRequestURI(uri)
	req.Header.SetMethod(method)
	req.Header.SetContentType("application/json")
	if fr.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	for k, v := range fr.Header {
		if !a.isCredentialHeader(k) {
			req.Header.Set(k, v)
		}
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	a.setAuth(req, cred)
	req.SetBodyRaw(body)

	resp, err := a.do(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &providers.ForwardResponse{Status: resp.StatusCode(), ContentType: string(resp.Header.ContentType()),
		Close: func() { _ = resp.CloseBodyStream(); fasthttp.ReleaseResponse(resp) }}
	if id := resp.Header.Peek("X-Request-Id"); len(id) > 0 {
		out.Header = map[string]string{"X-Request-Id": string(id)}
	}
	if fr.Stream {
		var s io.Reader = resp.BodyStream()
		if s == nil {
			s = bytes.NewReader(resp.Body())
		}
		out.Stream = &usageTap{r: s, out: out}
		return out, nil
	}
	out.Body = upstream.ReadAll(resp)
	out.Usage, _ = forwardedUsage(out.Body)
	return out, nil
}

func (a *Adapter) isCredentialHeader(name string) bool {
	if strings.EqualFold(name, a.opts.Auth.Header) {
		return true
	}
	for _, h := range forwardCredentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// forwardedUsage reads the usage of an OpenAI answer or stream event: chat
// and completions ("usage": prompt_tokens, completion_tokens), the Responses
// API ("usage" or, in its terminal stream events, "response.usage":
// input_tokens, output_tokens).
func forwardedUsage(b []byte) (providers.Usage, bool) {
	if !bytes.Contains(b, forwardUsageKey) {
		return providers.Usage{}, false
	}
	for _, p := range [...]string{"usage", "response.usage"} {
		u := gjson.GetBytes(b, p)
		if !u.IsObject() {
			continue
		}
		if in := u.Get("input_tokens"); in.Exists() {
			return providers.Usage{PromptTokens: in.Int(), CompletionTokens: u.Get("output_tokens").Int()}, true
		}
		return providers.Usage{PromptTokens: u.Get("prompt_tokens").Int(), CompletionTokens: u.Get("completion_tokens").Int()}, true
	}
	return providers.Usage{}, false
}

// maxTapLine bounds the line usageTap keeps to find the usage in; a longer
// line (a huge response.completed) is skipped, never an allocation without end.
const maxTapLine = 8 << 20

// usageTap passes a forwarded SSE body through untouched and notes the usage
// its events report, in the ForwardResponse the gateway reads once the stream
// has ended (from the goroutine that reads the stream).
type usageTap struct {
	r    io.Reader
	out  *providers.ForwardResponse
	line []byte
	skip bool // the current line is over maxTapLine
}

func (t *usageTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.scan(p[:n])
	if err == io.EOF {
		t.endLine()
	}
	return n, err
}

func (t *usageTap) scan(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.add(b)
			return
		}
		t.add(b[:i])
		t.endLine()
		b = b[i+1:]
	}
}

func (t *usageTap) add(b []byte) {
	if t.skip {
		return
	}
	if len(t.line)+len(b) > maxTapLine {
		t.skip, t.line = true, t.line[:0]
		return
	}
	t.line = append(t.line, b...)
}

func (t *usageTap) endLine() {
	line := bytes.TrimSuffix(t.line, []byte("\r"))
	if data, ok := bytes.CutPrefix(line, []byte("data:")); ok && !t.skip {
		if u, ok := forwardedUsage(data); ok {
			t.out.Usage = u
		}
	}
	t.line, t.skip = t.line[:0], false
}
