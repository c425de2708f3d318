package anthropic

import (
	"context"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

var _ providers.Forwarder = (*Adapter)(nil)

// Forward sends an Anthropic-dialect request to Anthropic with only the model
// and the credentials changed: unknown fields, beta features and the
// anthropic-version the client chose pass through, and the answer streams
// back as Anthropic sent it.
func (a *Adapter) Forward(ctx context.Context, cred *providers.Credential, model string, fr *providers.ForwardRequest) (*providers.ForwardResponse, error) {
	body, perr := fr.BodyFor(model)
	if perr != nil {
		return nil, perr
	}
	base := cred.BaseURL
	if base == "" {
		base = Info.DefaultBaseURL
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1")
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	uri := base + fr.Path
	if fr.Query != "" {
		uri += "?" + fr.Query
	}
	req.SetRequestURI(uri)
	req.Header.SetMethod(fr.Method)
	req.Header.SetContentType("application/json")
	req.Header.Set("anthropic-version", APIVersion)
	for k, v := range fr.Header {
		req.Header.Set(k, v)
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	if key := cred.Secret.Reveal(); key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.SetBodyRaw(body)
	resp, err := a.do(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &providers.ForwardResponse{Status: resp.StatusCode(), ContentType: string(resp.Header.ContentType()),
		Close: func() { _ = resp.CloseBodyStream(); fasthttp.ReleaseResponse(resp) }}
	if id := upstream.Header(resp, "Request-Id"); id != "" {
		out.Header = map[string]string{"Request-Id": id}
	}
	if s := resp.BodyStream(); s != nil && fr.Stream {
		out.Stream = s
		return out, nil
	}
	out.Body = upstream.ReadAll(resp)
	return out, nil
}
