package anthropic

import (
	"context"
	"strings"

	"github.com/tidwall/sjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

var _ providers.Forwarder = (*Adapter)(nil)

// Forward sends an Anthropic-dialect request to Anthropic with only the model
// and the credentials changed: unknown fields, beta features and the
// anthropic-version the client chose pass through, and the answer streams
// back as Anthropic sent it.
func (a *Adapter) Forward(ctx context.Context, cred *providers.Credential, model string, fr *providers.ForwardRequest) (*providers.ForwardResponse, error) {
	body := fr.Body
	if fr.ModelField != "" {
		var err error
		if body, err = sjson.SetBytes(fr.Body, fr.ModelField, model); err != nil {
			return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Message: "cannot set the model: " + err.Error()}
		}
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
	resp := fasthttp.AcquireResponse()
	if err := a.client.DoDeadline(req, resp, providers.Deadline(ctx)); err != nil {
		fasthttp.ReleaseResponse(resp)
		return nil, providers.TransportError(Info.ID, err, isTimeout(err))
	}
	if status := resp.StatusCode(); status >= 300 {
		e := UpstreamError(status, readAll(resp), peekHeader(resp, "Retry-After"))
		fasthttp.ReleaseResponse(resp)
		return nil, e
	}
	out := &providers.ForwardResponse{Status: resp.StatusCode(), ContentType: string(resp.Header.ContentType()),
		Close: func() { _ = resp.CloseBodyStream(); fasthttp.ReleaseResponse(resp) }}
	if id := peekHeader(resp, "Request-Id"); id != "" {
		out.Header = map[string]string{"Request-Id": id}
	}
	if s := resp.BodyStream(); s != nil && fr.Stream {
		out.Stream = s
		return out, nil
	}
	out.Body = readAll(resp)
	return out, nil
}
