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
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
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
}

// Adapter is a providers.Adapter for Anthropic. It is safe for concurrent use.
type Adapter struct {
	client *fasthttp.Client
	now    func() time.Time
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter {
	a := &Adapter{client: opts.Client, now: opts.Now}
	if a.client == nil {
		a.client = openai.NewClient()
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Info describes the provider this adapter serves.
func (a *Adapter) Info() providers.Info { return Info }

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
			Message: "the anthropic provider serves chat completions only, not " + string(call.Task)}
	}
	areq, info, perr := buildRequest(call)
	if perr != nil {
		return nil, perr
	}
	body, err := json.Marshal(areq)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "encode anthropic request: " + err.Error()}
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(messagesURL(cred.BaseURL))
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	if call.Stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if key := cred.Secret.Reveal(); key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.Header.Set("anthropic-version", APIVersion)
	for k, v := range cred.Headers { // anthropic-beta and the like
		req.Header.Set(k, v)
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
	var header map[string]string
	if id := peekHeader(resp, "Request-Id"); id != "" {
		header = map[string]string{"X-Upstream-Request-Id": id}
	}
	created := a.now().Unix()
	if !call.Stream {
		raw := readAll(resp)
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

// peekHeader finds a response header whatever its case: the shared client
// keeps header names as received, and Anthropic sends them in lower case.
func peekHeader(resp *fasthttp.Response, name string) string {
	for k, v := range resp.Header.All() {
		if strings.EqualFold(string(k), name) {
			return string(v)
		}
	}
	return ""
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
