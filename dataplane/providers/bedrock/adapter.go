// Package bedrock reaches Amazon Bedrock's runtime API: chat through
// Converse and ConverseStream (JSON in, JSON or an AWS event stream out) and
// embeddings through InvokeModel with Titan or Cohere embedding models.
// Requests are signed with SigV4 (service "bedrock") or carry a Bedrock API
// key as a bearer token.
//
// Choices worth knowing (each documented where it is made):
//   - the region comes from Credential.Options["aws.region"] and is required;
//     the base URL defaults to https://bedrock-runtime.{region}.amazonaws.com;
//   - the secret holds access keys as JSON or ACCESS_KEY:SECRET[:TOKEN], or a
//     Bedrock API key; it is parsed once and cached (parseSecret);
//   - the model id is path-escaped like the AWS SDK does (':' is %3A, the '/'
//     of an ARN %2F) and the signature covers that escaped path;
//   - inference parameters the client leaves out are not sent, so the model's
//     own defaults apply (no default max tokens); temperature and top_p must
//     be in [0, 1];
//   - Bedrock has no tool_choice "none": the tools are left out instead
//     (kept, without a choice, when the history holds tool blocks);
//   - response_format (JSON mode and JSON schema) becomes a forced call to
//     the json_tool_call tool whose input is returned as the content;
//   - toolUseIds are the OpenAI tool_call ids, unchanged both ways (ids from
//     other providers that Bedrock would refuse map to a stable hash);
//   - n > 1, audio input and file ids are refused; seed, penalties, logprobs,
//     parallel_tool_calls and reasoning_effort have no Converse equivalent
//     and are ignored; reasoning the model returns comes back as
//     reasoning_content.
package bedrock

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

// RegionOption is the Credential.Options key holding the AWS region.
const RegionOption = "aws.region"

// DefaultBaseURL is the runtime endpoint; {region} is replaced by the
// credential's region. config.baseURL overrides it (VPC endpoints, tests).
const DefaultBaseURL = "https://bedrock-runtime.{region}.amazonaws.com"

// Info describes the provider.
var Info = providers.Info{
	ID:              "bedrock",
	DisplayName:     "Amazon Bedrock",
	Tasks:           []providers.Task{providers.TaskChat, providers.TaskEmbeddings},
	NeedsCredential: true,
	DefaultBaseURL:  DefaultBaseURL,
}

// Options configure the adapter.
type Options struct {
	// Client overrides the HTTP client; nil means openai.NewClient(). It must
	// have DisablePathNormalizing set, or the escaped model id in the path
	// (%3A, %2F) would be rewritten after signing; a client without it is
	// replaced by a new one.
	Client *fasthttp.Client
	// Fetcher downloads image URLs (Bedrock only takes inline bytes); nil
	// means a default media.Fetcher.
	Fetcher *media.Fetcher
}

// Adapter is the Bedrock providers.Adapter. It is safe for concurrent use.
type Adapter struct {
	client  *fasthttp.Client
	fetcher *media.Fetcher
	signer  *v4.Signer
	auth    authCache
	now     func() time.Time
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns an adapter.
func New(opts Options) *Adapter {
	a := &Adapter{client: opts.Client, fetcher: opts.Fetcher, signer: v4.NewSigner(), now: time.Now}
	if a.client == nil || !a.client.DisablePathNormalizing {
		a.client = openai.NewClient()
	}
	if a.fetcher == nil {
		a.fetcher = &media.Fetcher{}
	}
	return a
}

// Info describes the provider this adapter serves.
func (a *Adapter) Info() providers.Info { return Info }

// target is where and how one credential's requests go.
type target struct {
	base   string // scheme://host[/prefix], no trailing slash, default port dropped
	region string
	auth   *auth
}

func configError(cred *providers.Credential, format string, args ...any) *providers.Error {
	return &providers.Error{Status: 500, Type: "api_error", Code: "invalid_credential",
		Message: fmt.Sprintf("bedrock credential %q: ", cred.Name) + fmt.Sprintf(format, args...)}
}

// ValidateCredential checks a credential without sending anything: the
// region is set and valid, the base URL parses, and the secret is in one of
// the accepted formats. Errors never quote the secret.
func (a *Adapter) ValidateCredential(cred *providers.Credential) error {
	if _, err := a.target(cred); err != nil {
		return err
	}
	return nil
}

func (a *Adapter) target(cred *providers.Credential) (*target, error) {
	region := cred.Options[RegionOption]
	if region == "" {
		return nil, configError(cred, `no AWS region: set spec.config.aws.region (for example "us-east-1")`)
	}
	for _, c := range region {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return nil, configError(cred, "invalid AWS region %q", region)
		}
	}
	base := cred.BaseURL
	if base == "" {
		base = strings.ReplaceAll(DefaultBaseURL, "{region}", region)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, configError(cred, "base URL must be an http(s) URL")
	}
	// The signer drops a default port from the signed host; so must the URL.
	if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
		u.Host = u.Hostname()
	}
	au := a.auth.get(cred.Secret.Reveal())
	if au.err != "" {
		return nil, configError(cred, "%s", au.err)
	}
	return &target{base: strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), region: region, auth: au}, nil
}

// modelPath is /model/{modelId}/{op} with the model id escaped as the AWS
// SDK escapes path labels: everything but unreserved characters, so ':'
// becomes %3A and the '/' of an ARN %2F.
func modelPath(model, op string) string {
	return "/model/" + httpbinding.EscapePath(model, true) + "/" + op
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	t, err := a.target(cred)
	if err != nil {
		return nil, err
	}
	if call.Model == "" {
		return nil, badRequest("model", "no Bedrock model id")
	}
	switch call.Task {
	case providers.TaskChat:
		return a.chat(ctx, t, cred, call)
	case providers.TaskEmbeddings:
		return a.embeddings(ctx, t, cred, call)
	default:
		return nil, badRequest("", "Bedrock does not serve %s requests", call.Task)
	}
}

func (a *Adapter) chat(ctx context.Context, t *target, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	req, p, err := translateChat(ctx, a.fetcher, call.Body)
	if err != nil {
		return nil, err
	}
	body, err := jsonenc.Marshal(req)
	if err != nil {
		return nil, badRequest("", "cannot encode the Bedrock request: %v", err)
	}
	op, accept := "converse", "application/json"
	if call.Stream {
		op, accept = "converse-stream", "application/vnd.amazon.eventstream"
	}
	resp, err := a.do(ctx, t, cred, modelPath(call.Model, op), accept, body)
	if err != nil {
		return nil, err
	}
	reqID := upstream.Header(resp, "X-Amzn-Requestid")
	m := meta{ID: "chatcmpl-" + orRandom(reqID), Model: call.Model, Created: a.now().Unix(), Plan: p}
	var header map[string]string
	if reqID != "" {
		header = map[string]string{"X-Upstream-Request-Id": reqID}
	}
	if !call.Stream {
		raw := readAll(resp)
		fasthttp.ReleaseResponse(resp)
		out, err := chatResponse(raw, m)
		if err != nil {
			return nil, err
		}
		return &providers.Result{Body: out, Header: header}, nil
	}
	var r io.Reader = resp.BodyStream()
	if r == nil {
		r = bytes.NewReader(resp.Body())
	}
	closer := func() error {
		err := resp.CloseBodyStream()
		fasthttp.ReleaseResponse(resp)
		return err
	}
	return &providers.Result{Stream: newStream(r, closer, m, call.IncludeUsage), Header: header}, nil
}

// reservedHeaders are set by the adapter or the signer; a credential's extra
// headers cannot replace them.
var reservedHeaders = map[string]bool{"host": true, "content-length": true, "content-type": true, "accept": true,
	"authorization": true, "x-amz-date": true, "x-amz-security-token": true, "x-amz-content-sha256": true}

// do sends one signed POST and returns the response for a 2xx status; the
// caller releases it. Other statuses become a providers.Error.
func (a *Adapter) do(ctx context.Context, t *target, cred *providers.Credential, path, accept string, body []byte) (*fasthttp.Response, error) {
	rawURL := t.base + path
	headers := make([][2]string, 0, 2+len(cred.Headers))
	headers = append(headers, [2]string{"Content-Type", "application/json"}, [2]string{"Accept", accept})
	for k, v := range cred.Headers {
		if !reservedHeaders[strings.ToLower(k)] {
			headers = append(headers, [2]string{k, v})
		}
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(rawURL)
	req.Header.SetMethod(fasthttp.MethodPost)
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	req.SetBodyRaw(body)
	if err := t.auth.sign(ctx, a.signer, req, rawURL, headers, body, t.region, a.now()); err != nil {
		return nil, configError(cred, "cannot sign the request: %v", err)
	}
	return upstream.Do(ctx, a.client, req, "bedrock", func(status int, resp *fasthttp.Response) *providers.Error {
		return upstreamError(status, upstream.Header(resp, "X-Amzn-Errortype"), readAll(resp), upstream.Header(resp, "Retry-After"))
	})
}

// readAll is upstream.ReadAll with a copy, since the callers release resp
// as soon as the body is read, and with a 64 MiB bound on a streamed body.
func readAll(resp *fasthttp.Response) []byte {
	if s := resp.BodyStream(); s != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(io.LimitReader(s, 64<<20))
		_ = resp.CloseBodyStream()
		return buf.Bytes()
	}
	return append([]byte(nil), resp.Body()...)
}

// orRandom returns id, or a random one when Bedrock sent none.
func orRandom(id string) string {
	if id != "" {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
