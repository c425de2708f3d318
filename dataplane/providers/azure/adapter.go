// Package azure reaches Azure OpenAI. Its API is OpenAI's with three
// differences the adapter handles: the URL (a deployment path plus an
// api-version query, or the newer /openai/v1 surface), the "api-key" header,
// and stream chunks that carry only content-filter annotations. The body is
// forwarded with only the model rewritten, as for OpenAI itself.
//
// Two base-URL forms are accepted in an APIKey's config.baseURL:
//
//	https://{resource}.openai.azure.com            classic deployments: the
//	    target's model is the deployment name and requests go to
//	    /openai/deployments/{deployment}/chat/completions?api-version=...
//	https://{resource}.openai.azure.com/openai/v1  the v1 API: requests go to
//	    {base}/chat/completions, no api-version, the model (deployment) in the body
//
// Foundry resources (https://{resource}.services.ai.azure.com/openai/v1) use
// the second form.
package azure

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

// ID is the provider id used in APIKey manifests.
const ID = "azure-openai"

// Info describes Azure OpenAI. There is no default base URL: every resource
// has its own host.
var Info = providers.Info{
	ID:              ID,
	DisplayName:     "Azure OpenAI",
	Tasks:           []providers.Task{providers.TaskChat, providers.TaskCompletions, providers.TaskEmbeddings},
	NeedsCredential: true,
	NeedsBaseURL:    true,
}

// Options configure the adapter.
type Options struct {
	// Client overrides the HTTP client; nil means openai.NewClient().
	Client *fasthttp.Client
}

// Adapter is a providers.Adapter for Azure OpenAI.
type Adapter struct {
	client *fasthttp.Client
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter {
	c := opts.Client
	if c == nil {
		c = openai.NewClient()
	}
	return &Adapter{client: c}
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	target, err := requestURL(cred, call)
	if err != nil {
		return nil, err
	}
	body, hideUsage, err := upstreamBody(call)
	if err != nil {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Message: err.Error()}
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(target)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	if key := cred.Secret.Reveal(); key != "" {
		req.Header.Set("api-key", key)
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	req.SetBodyRaw(body)

	resp := fasthttp.AcquireResponse()
	if err := a.client.DoDeadline(req, resp, providers.Deadline(ctx)); err != nil {
		fasthttp.ReleaseResponse(resp)
		return nil, providers.TransportError(ID, err, isTimeout(err))
	}
	if status := resp.StatusCode(); status >= 300 {
		e := upstreamError(status, readAll(resp), string(resp.Header.Peek("Retry-After")), string(resp.Header.Peek("Retry-After-Ms")))
		fasthttp.ReleaseResponse(resp)
		return nil, e
	}
	header := map[string]string(nil)
	id := resp.Header.Peek("X-Request-Id")
	if len(id) == 0 {
		id = resp.Header.Peek("Apim-Request-Id")
	}
	if len(id) > 0 {
		header = map[string]string{"X-Upstream-Request-Id": string(id)}
	}
	if !call.Stream {
		b := readAll(resp)
		res := providers.NewResult(b, func() { fasthttp.ReleaseResponse(resp) })
		res.Header = header
		return res, nil
	}
	return &providers.Result{Stream: newStream(resp, hideUsage), Header: header}, nil
}

func readAll(resp *fasthttp.Response) []byte {
	if s := resp.BodyStream(); s != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(s)
		_ = resp.CloseBodyStream()
		return buf.Bytes()
	}
	return resp.Body()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, fasthttp.ErrDialTimeout) || (errors.As(err, &ne) && ne.Timeout())
}
