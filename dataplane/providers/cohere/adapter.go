// Package cohere reaches Cohere's v2 API: chat (POST /v2/chat, JSON or
// server-sent events) and embeddings (POST /v2/embed). Requests and answers
// are translated between OpenAI's dialect and Cohere's; see request.go,
// response.go, stream.go and embed.go for the mapping.
package cohere

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

// ID is the provider id used in APIKey manifests.
const ID = "cohere"

// DefaultBaseURL is Cohere's API host; paths (/v2/chat, /v2/embed) are appended.
const DefaultBaseURL = "https://api.cohere.com"

// Info describes Cohere.
var Info = providers.Info{
	ID:              ID,
	DisplayName:     "Cohere",
	Tasks:           []providers.Task{providers.TaskChat, providers.TaskEmbeddings},
	NeedsCredential: true,
	DefaultBaseURL:  DefaultBaseURL,
}

// Options configure the adapter.
type Options struct {
	// Client overrides the HTTP client; nil means openai.NewClient().
	Client *fasthttp.Client
}

// Adapter is a providers.Adapter for Cohere.
type Adapter struct {
	client *fasthttp.Client
	now    func() time.Time
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter {
	c := opts.Client
	if c == nil {
		c = openai.NewClient()
	}
	return &Adapter{client: c, now: time.Now}
}

// baseURL is the credential's host root; a trailing /v1 or /v2 (copied from
// Cohere's docs) is tolerated.
func baseURL(cred *providers.Credential) string {
	base := strings.TrimRight(cred.BaseURL, "/")
	if base == "" {
		return DefaultBaseURL
	}
	base = strings.TrimSuffix(base, "/v2")
	return strings.TrimSuffix(base, "/v1")
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	t := newTranslator(call, a.now)
	var (
		path, format string
		body         []byte
		err          error
	)
	switch call.Task {
	case providers.TaskChat:
		path = "/v2/chat"
		body, err = t.chatRequest(call.Body, call.Stream)
	case providers.TaskEmbeddings:
		path = "/v2/embed"
		body, format, err = t.embedRequest(call.Body)
	default:
		return nil, badRequest("", "cohere does not serve "+string(call.Task)+" requests")
	}
	if err != nil {
		return nil, err
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(baseURL(cred) + path)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Accept", "application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	if key := cred.Secret.Reveal(); key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	req.SetBodyRaw(body)

	resp, err := upstream.Do(ctx, a.client, req, ID, func(status int, resp *fasthttp.Response) *providers.Error {
		return upstreamError(status, upstream.ReadAll(resp), string(resp.Header.Peek("Retry-After")))
	})
	if err != nil {
		return nil, err
	}
	if call.Stream {
		var r io.Reader = resp.BodyStream()
		if r == nil {
			r = bytes.NewReader(resp.Body())
		}
		return &providers.Result{Stream: newStream(resp, r, t)}, nil
	}
	raw := upstream.ReadAll(resp)
	var out []byte
	if call.Task == providers.TaskEmbeddings {
		out, err = t.embedResponse(raw, format)
	} else {
		out, err = t.chatResponse(raw)
	}
	fasthttp.ReleaseResponse(resp)
	if err != nil {
		return nil, err
	}
	return &providers.Result{Body: out}, nil
}
