// Package gemini reaches Google's Gemini models through the Gemini API
// (Google AI Studio, provider id "gemini") and through Vertex AI (provider id
// "vertex-ai"). Both speak the same generateContent body; they differ in
// host, path and authentication:
//
//	gemini     {base}/v1beta/models/{model}:generateContent
//	           x-goog-api-key: <Secret>
//	vertex-ai  https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
//	           (location "global": https://aiplatform.googleapis.com)
//	           Authorization: Bearer <OAuth2 token from the service-account JSON key in Secret>
//
// Streaming uses :streamGenerateContent?alt=sse. Embeddings use
// :embedContent / :batchEmbedContents on AI Studio and :predict (or
// :embedContent for the newest Gemini embedding models) on Vertex.
package gemini

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/internal/gcpauth"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

var tasks = []providers.Task{providers.TaskChat, providers.TaskEmbeddings}

// Info describes the Gemini API (Google AI Studio). A credential's BaseURL,
// when set, replaces the host root; a trailing API version (/v1beta, /v1) is
// kept as given.
var Info = providers.Info{
	ID:              "gemini",
	DisplayName:     "Google Gemini API (AI Studio)",
	Tasks:           tasks,
	NeedsCredential: true,
	DefaultBaseURL:  "https://generativelanguage.googleapis.com",
}

// VertexInfo describes Gemini on Vertex AI. Credentials need the options
// "vertex.project" and "vertex.location"; the Secret is a service-account
// JSON key. The host follows the location unless BaseURL overrides it.
var VertexInfo = providers.Info{
	ID:              "vertex-ai",
	DisplayName:     "Google Vertex AI (Gemini)",
	Tasks:           tasks,
	NeedsCredential: true,
}

// Credential option keys for Vertex AI.
const (
	OptionProject  = gcpauth.OptionProject
	OptionLocation = gcpauth.OptionLocation
)

// Options configure an adapter; every field is optional.
type Options struct {
	// Client sends upstream requests; nil means openai.NewClient().
	Client *fasthttp.Client
	// Images fetches image URLs to inline them; nil means a media.Fetcher
	// with its default client.
	Images *media.Fetcher
	// TokenClient makes Vertex AI's OAuth2 token exchanges; nil means a
	// client with a 30s timeout.
	TokenClient *http.Client
	// Now is the clock for "created"; nil means time.Now.
	Now func() time.Time
}

// Adapter is a providers.Adapter for one of the two providers.
type Adapter struct {
	info   providers.Info
	client *fasthttp.Client
	images imageLoader
	tokens *gcpauth.TokenCache // nil for AI Studio
	now    func() time.Time
}

var _ providers.Adapter = (*Adapter)(nil)

// New returns the Gemini API (AI Studio) adapter.
func New(opts Options) *Adapter { return newAdapter(Info, opts) }

// NewVertex returns the Vertex AI adapter.
func NewVertex(opts Options) *Adapter {
	a := newAdapter(VertexInfo, opts)
	a.tokens = gcpauth.NewTokenCache(VertexInfo.ID, opts.TokenClient)
	return a
}

func newAdapter(info providers.Info, opts Options) *Adapter {
	a := &Adapter{info: info, client: opts.Client, now: opts.Now}
	if a.client == nil {
		a.client = openai.NewClient()
	}
	if a.now == nil {
		a.now = time.Now
	}
	if opts.Images != nil {
		a.images = opts.Images
	} else {
		a.images = &media.Fetcher{}
	}
	return a
}

// Info describes the provider this adapter serves.
func (a *Adapter) Info() providers.Info { return a.info }

// ValidateCredential checks what can be checked without a request: for
// Vertex AI the project and location options and the service-account key.
func (a *Adapter) ValidateCredential(cred *providers.Credential) error {
	if a.tokens == nil {
		return nil
	}
	return gcpauth.ValidateVertex(a.info.ID, cred)
}

// Send implements providers.Adapter.
func (a *Adapter) Send(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	switch call.Task {
	case providers.TaskChat:
		return a.chat(ctx, cred, call)
	case providers.TaskEmbeddings:
		return a.embed(ctx, cred, call)
	default:
		return nil, badRequest("", a.info.ID+" does not serve "+string(call.Task)+" requests")
	}
}

func (a *Adapter) chat(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	var req unified.ChatRequest
	if err := json.Unmarshal(call.Body, &req); err != nil {
		return nil, badRequest("", "invalid chat request: "+err.Error())
	}
	gr, err := translateRequest(ctx, &req, a.images)
	if err != nil {
		return nil, errorOf(err)
	}
	body, err := json.Marshal(gr)
	if err != nil {
		return nil, badRequest("", "cannot encode the gemini request: "+err.Error())
	}
	method := "generateContent"
	if call.Stream {
		method = "streamGenerateContent?alt=sse"
	}
	resp, err := a.post(ctx, cred, call.Model, method, body, call.Stream)
	if err != nil {
		return nil, err
	}
	created := a.now().Unix()
	if call.Stream {
		return &providers.Result{Stream: newResponseStream(resp, newStreamTranslator(call.Model, created, call.IncludeUsage))}, nil
	}
	var gresp generateContentResponse
	err = json.Unmarshal(upstream.ReadAll(resp), &gresp)
	fasthttp.ReleaseResponse(resp)
	if err != nil {
		return nil, badResponse("GenerateContentResponse")
	}
	out, _ := json.Marshal(translateResponse(&gresp, call.Model, created))
	return providers.NewResult(out, nil), nil
}

// post sends body to the model's method and returns the 2xx response, which
// the caller must release; any other answer becomes a *providers.Error.
func (a *Adapter) post(ctx context.Context, cred *providers.Credential, model, method string, body []byte, stream bool) (*fasthttp.Response, error) {
	return a.send(ctx, cred, model, method, body, stream, nil)
}

// send is post with extra (client) headers, which never override the
// credentials or the credential's own headers.
func (a *Adapter) send(ctx context.Context, cred *providers.Credential, model, method string, body []byte, stream bool, extra map[string]string) (*fasthttp.Response, error) {
	target, err := a.url(cred, model, method)
	if err != nil {
		return nil, err
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI(target)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	secret := cred.Secret.Reveal()
	if a.tokens != nil {
		tok, err := a.tokens.Token(ctx, secret)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if secret != "" {
		req.Header.Set("x-goog-api-key", secret)
	}
	for k, v := range cred.Headers {
		req.Header.Set(k, v)
	}
	req.SetBodyRaw(body)
	return upstream.Do(ctx, a.client, req, a.info.ID, func(status int, resp *fasthttp.Response) *providers.Error {
		if status == 401 && a.tokens != nil {
			a.tokens.Forget(secret) // a revoked token: mint a new one next time
		}
		return upstreamError(status, upstream.ReadAll(resp), string(resp.Header.Peek("Retry-After")))
	})
}

// versionSuffix matches a base URL that already names an API version.
var versionSuffix = regexp.MustCompile(`/v[0-9]+((alpha|beta)[0-9]*)?$`)

// url builds the request URL for model and method ("generateContent", ...).
func (a *Adapter) url(cred *providers.Credential, model, method string) (string, error) {
	for _, p := range []string{"publishers/google/models/", "models/"} {
		model = strings.TrimPrefix(model, p)
	}
	if model == "" {
		return "", badRequest("model", "no model name")
	}
	m := url.PathEscape(model) + ":" + method
	if a.tokens != nil {
		base, err := gcpauth.VertexBase(a.info.ID, cred)
		if err != nil {
			return "", err
		}
		return base + "/publishers/google/models/" + m, nil
	}
	base := strings.TrimRight(cred.BaseURL, "/")
	if base == "" {
		base = a.info.DefaultBaseURL
	}
	if !versionSuffix.MatchString(base) {
		base += "/v1beta"
	}
	return base + "/models/" + m, nil
}
