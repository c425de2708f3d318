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
	"context"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
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

	resp, err := upstream.Do(ctx, a.client, req, ID, func(status int, resp *fasthttp.Response) *providers.Error {
		return upstreamError(status, upstream.ReadAll(resp), string(resp.Header.Peek("Retry-After")), string(resp.Header.Peek("Retry-After-Ms")))
	})
	if err != nil {
		return nil, err
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
		b := upstream.ReadAll(resp)
		res := providers.NewResult(b, func() { fasthttp.ReleaseResponse(resp) })
		res.Header = header
		return res, nil
	}
	return &providers.Result{Stream: newStream(resp, hideUsage), Header: header}, nil
}
