// Package anthropic reaches the Anthropic Messages API (POST /v1/messages),
// translating the unified (OpenAI chat completions) dialect both ways,
// streaming included. It serves chat only: Anthropic has no embeddings, and
// legacy completions are not mapped.
//
// Choices worth knowing (each documented where it is made):
//   - max_tokens defaults to DefaultMaxTokens when the client sets none;
//   - a temperature above MaxTemperature (1) is rejected, not clamped;
//   - response_format (JSON mode and JSON schema) uses the JSONToolName tool;
//   - reasoning_effort turns on extended thinking (thinkingBudgets), and the
//     thinking text comes back as reasoning_content;
//   - tool_use ids are the OpenAI tool_call ids, unchanged both ways;
//   - upstream 529 (overloaded) is answered as 503.
//
// The same adapter serves Claude on Google Vertex AI (provider id
// "vertex-anthropic", NewVertex): see vertex.go for what differs.
package anthropic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/internal/gcpauth"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

// APIVersion is sent as the anthropic-version header (the value Anthropic's
// own SDKs send). A credential header of the same name overrides it.
const APIVersion = "2023-06-01"

// Info describes the Anthropic provider. The base URL is the host root: the
// adapter appends /v1/messages (a base URL already ending in /v1 also works).
var Info = providers.Info{
	ID:              "anthropic",
	DisplayName:     "Anthropic",
	Tasks:           []providers.Task{providers.TaskChat},
	NeedsCredential: true,
	DefaultBaseURL:  "https://api.anthropic.com",
}

// Options configure the adapter.
type Options struct {
	// Client overrides the HTTP client; nil means openai.NewClient(). It must
	// stream response bodies (StreamResponseBody).
	Client *fasthttp.Client
	// Now stamps the "created" field; nil means time.Now (tests fix it).
	Now func() time.Time
	// TokenClient makes Vertex AI's OAuth2 token exchanges (NewVertex
	// only); nil means a client with a 30s timeout.
	TokenClient *http.Client
}

// Adapter is a providers.Adapter for Anthropic. It is safe for concurrent use.
type Adapter struct {
	info   providers.Info
	client *fasthttp.Client
	now    func() time.Time
	tokens *gcpauth.TokenCache // Vertex AI only
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter { return newAdapter(Info, opts) }

func newAdapter(info providers.Info, opts Options) *Adapter {
	a := &Adapter{info: info, client: opts.Client, now: opts.Now}
	if a.client == nil {
		a.client = openai.NewClient()
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Info describes the provider this adapter serves.
func (a *Adapter) Info() providers.Info { return a.info }

// messagesURL joins the credential's base URL and /v1/messages.
func messagesURL(base string) string {
	if base == "" {
		base = Info.DefaultBaseURL
	}
	base = strings.TrimSuffix(base, "/")
	base = strings.TrimSuffix(base, "/v1")
	return base + "/v1/messages"
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	if call.Task != providers.TaskChat {
		return nil, &providers.Error{Status: 400, Type: "invalid_request_error", Code: "unsupported_task",
			Message: "the " + a.info.ID + " provider serves chat completions only, not " + string(call.Task)}
	}
	areq, info, perr := buildRequest(call)
	if perr != nil {
		return nil, perr
	}
	if a.tokens != nil { // Vertex AI: the model is in the URL, the version in the body
		areq.Model, areq.AnthropicVersion = "", VertexVersion
	}
	body, err := json.Marshal(areq)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "encode anthropic request: " + err.Error()}
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if a.tokens != nil {
		if err := a.prepareVertex(ctx, req, cred, vertexMethod(call.Model, call.Stream)); err != nil {
			return nil, err
		}
	} else {
		req.SetRequestURI(messagesURL(cred.BaseURL))
		if key := cred.Secret.Reveal(); key != "" {
			req.Header.Set("x-api-key", key)
		}
		req.Header.Set("anthropic-version", APIVersion)
	}
	for k, v := range cred.Headers { // anthropic-beta and the like
		req.Header.Set(k, v)
	}
	req.SetBodyRaw(body)

	resp, err := a.do(ctx, cred, req)
	if err != nil {
		return nil, err
	}
	var header map[string]string
	if id := upstream.Header(resp, "Request-Id"); id != "" {
		header = map[string]string{"X-Upstream-Request-Id": id}
	}
	created := a.now().Unix()
	if !call.Stream {
		raw := upstream.ReadAll(resp)
		out, _, err := translateResponse(raw, info, call.Model, created)
		fasthttp.ReleaseResponse(resp)
		if err != nil {
			return nil, err
		}
		res := providers.NewResult(out, nil)
		res.Header = header
		return res, nil
	}
	var r io.Reader = resp.BodyStream()
	if r == nil {
		r = bytes.NewReader(resp.Body())
	}
	s := newStream(r, resp, newStreamTranslator(info, call.Model, created, call.IncludeUsage))
	return &providers.Result{Stream: s, Header: header}, nil
}

// do sends req (see upstream.Do) and reads an error answer as Anthropic's
// (or, on Vertex AI, as Anthropic's or Google's).
func (a *Adapter) do(ctx context.Context, cred *providers.Credential, req *fasthttp.Request) (*fasthttp.Response, error) {
	return upstream.Do(ctx, a.client, req, a.info.ID, func(status int, resp *fasthttp.Response) *providers.Error {
		body, retryAfter := upstream.ReadAll(resp), upstream.Header(resp, "Retry-After")
		if a.tokens == nil {
			return UpstreamError(status, body, retryAfter)
		}
		if status == 401 {
			a.tokens.Forget(cred.Secret.Reveal()) // a revoked token: mint a new one next time
		}
		return VertexError(status, body, retryAfter)
	})
}
