package anthropic

import (
	"context"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

var (
	_ providers.Forwarder        = (*Adapter)(nil)
	_ providers.DialectForwarder = (*Adapter)(nil)
)

// ForwardsDialect implements providers.DialectForwarder: Anthropic and
// Claude on Vertex AI both take the Messages API's body, so an Anthropic
// client's request reaches either untranslated.
func (a *Adapter) ForwardsDialect(dialect string) bool { return dialect == "anthropic" }

// Forward sends an Anthropic-dialect request to Anthropic with only the model
// and the credentials changed: unknown fields, beta features and the
// anthropic-version the client chose pass through, and the answer streams
// back as Anthropic sent it. On Vertex AI the model moves to the URL and
// the body carries VertexVersion instead (see vertexForward).
func (a *Adapter) Forward(ctx context.Context, cred *providers.Credential, model string, fr *providers.ForwardRequest) (*providers.ForwardResponse, error) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.SetMethod(fr.Method)
	req.Header.SetContentType("application/json")
	if a.tokens != nil {
		if err := a.vertexForward(ctx, req, cred, model, fr); err != nil {
			return nil, err
		}
	} else {
		body, perr := fr.BodyFor(model)
		if perr != nil {
			return nil, perr
		}
		base := cred.BaseURL
		if base == "" {
			base = Info.DefaultBaseURL
		}
		base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1")
		uri := base + fr.Path
		if fr.Query != "" {
			uri += "?" + fr.Query
		}
		req.SetRequestURI(uri)
		req.Header.Set("anthropic-version", APIVersion)
		for k, v := range fr.Header {
			req.Header.Set(k, v)
		}
		req.SetBodyRaw(body)
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	if key := cred.Secret.Reveal(); key != "" && a.tokens == nil {
		req.Header.Set("x-api-key", key)
	}
	resp, err := a.do(ctx, cred, req)
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
