package anthropic

import (
	"bytes"
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/internal/gcpauth"
)

// Claude on Google Vertex AI takes the same Messages body as Anthropic's API,
// with three differences, all handled here and in Send and Forward:
//
//   - the URL names the model and the method:
//     {base}/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict
//     (:streamRawPredict for streams; count_tokens goes to
//     models/count-tokens:rawPredict with the model in the body), where the
//     base is https://{location}-aiplatform.googleapis.com (location
//     "global": https://aiplatform.googleapis.com) unless BaseURL overrides it;
//   - the body has no "model" and carries "anthropic_version": VertexVersion,
//     and no x-api-key or anthropic-version header is sent;
//   - authentication is an OAuth2 bearer token minted from the
//     service-account JSON key in the Secret, as for vertex-ai (gcpauth).
//
// Model errors come back in Anthropic's shape, but Google's front end
// answers authentication, quota and unknown-model failures in its own
// ({"error":{"code","message","status"}}); VertexError reads both.

// VertexVersion is the anthropic_version Vertex AI requires in the body.
const VertexVersion = "vertex-2023-10-16"

// VertexInfo describes Claude on Vertex AI. Credentials need the options
// "vertex.project" and "vertex.location" (spec.config.vertex, as for
// vertex-ai); the Secret is a service-account JSON key.
var VertexInfo = providers.Info{
	ID:              "vertex-anthropic",
	DisplayName:     "Anthropic on Vertex AI",
	Tasks:           []providers.Task{providers.TaskChat},
	NeedsCredential: true,
}

// NewVertex returns the adapter for Claude on Vertex AI.
func NewVertex(opts Options) *Adapter {
	a := newAdapter(VertexInfo, opts)
	a.tokens = gcpauth.NewTokenCache(VertexInfo.ID, opts.TokenClient)
	return a
}

// ValidateCredential checks what can be checked without a request: for
// Vertex AI the project and location options and the service-account key.
func (a *Adapter) ValidateCredential(cred *providers.Credential) error {
	if a.tokens == nil {
		return nil
	}
	return gcpauth.ValidateVertex(a.info.ID, cred)
}

// vertexMethod is the "{model}:{method}" part of a Messages call's URL.
func vertexMethod(model string, stream bool) string {
	model = strings.TrimPrefix(model, "publishers/anthropic/models/")
	if stream {
		return url.PathEscape(model) + ":streamRawPredict"
	}
	return url.PathEscape(model) + ":rawPredict"
}

// prepareVertex points req at modelMethod ("{model}:rawPredict") and
// authenticates it with a bearer token.
func (a *Adapter) prepareVertex(ctx context.Context, req *fasthttp.Request, cred *providers.Credential, modelMethod string) error {
	if strings.HasPrefix(modelMethod, ":") {
		return &providers.Error{Status: 400, Type: "invalid_request_error", Param: "model", Message: "no model name"}
	}
	base, err := gcpauth.VertexBase(a.info.ID, cred)
	if err != nil {
		return err
	}
	tok, err := a.tokens.Token(ctx, cred.Secret.Reveal())
	if err != nil {
		return err
	}
	req.SetRequestURI(base + "/publishers/anthropic/models/" + modelMethod)
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// vertexForward prepares a natively forwarded Messages (or count_tokens)
// request for Vertex AI: the model moves to the URL (count_tokens keeps it
// in the body, as Vertex wants there), anthropic_version is set in the body,
// and the client's anthropic-version header and query (?beta=true) are
// dropped; anthropic-beta passes.
func (a *Adapter) vertexForward(ctx context.Context, req *fasthttp.Request, cred *providers.Credential, model string, fr *providers.ForwardRequest) error {
	var (
		body   []byte
		method string
		err    error
	)
	switch fr.Path {
	case "/v1/messages":
		method = vertexMethod(model, fr.Stream)
		body, err = sjson.DeleteBytes(fr.Body, "model")
	case "/v1/messages/count_tokens":
		method = "count-tokens:rawPredict"
		body, err = sjson.SetBytes(fr.Body, "model", model)
	default:
		return &providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found",
			Message: a.info.ID + " cannot forward " + fr.Path}
	}
	if err == nil {
		body, err = sjson.SetBytes(body, "anthropic_version", VertexVersion)
	}
	if err != nil {
		return &providers.Error{Status: 400, Type: "invalid_request_error", Message: "cannot prepare the body: " + err.Error()}
	}
	if model == "" {
		method = ":"
	}
	if err := a.prepareVertex(ctx, req, cred, method); err != nil {
		return err
	}
	for k, v := range fr.Header {
		if !strings.EqualFold(k, "anthropic-version") {
			req.Header.Set(k, v)
		}
	}
	req.SetBodyRaw(body)
	return nil
}

// VertexError converts a failed Vertex AI answer, in Anthropic's error shape
// (model errors) or Google's ({"error":{"code","message","status"}}, maybe
// in a one-element array: authentication, quota, unknown model). Status and
// retryability follow the HTTP status (429 and 5xx retryable, 529 answered
// as 503); Retry-After comes from the header or, failing that, from a
// google.rpc.RetryInfo detail. Google's status name, lower-cased, becomes
// the Code (RESOURCE_EXHAUSTED: rate_limit_exceeded; NOT_FOUND naming a
// model: model_not_found).
func VertexError(status int, body []byte, retryAfter string) *providers.Error {
	e := UpstreamError(status, body, retryAfter)
	g := gjson.ParseBytes(bytes.TrimSpace(body))
	if g.IsArray() {
		g = g.Get("0")
	}
	gerr := g.Get("error")
	if !gerr.IsObject() || g.Get("type").String() == "error" {
		return e // Anthropic's shape, or not JSON at all
	}
	if m := gerr.Get("message").String(); m != "" {
		e.Message = m
	}
	switch st := gerr.Get("status").String(); st {
	case "RESOURCE_EXHAUSTED":
		e.Code = "rate_limit_exceeded"
	case "NOT_FOUND":
		e.Code = "not_found"
		if strings.Contains(e.Message, "models/") {
			e.Code = "model_not_found"
		}
	default:
		e.Code = strings.ToLower(st)
	}
	if e.RetryAfter == "" {
		gerr.Get("details").ForEach(func(_, d gjson.Result) bool {
			if dur, err := time.ParseDuration(d.Get("retryDelay").String()); err == nil && dur > 0 {
				e.RetryAfter = strconv.Itoa(int(math.Ceil(dur.Seconds())))
				return false
			}
			return true
		})
	}
	return e
}
