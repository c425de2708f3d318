package gemini

import (
	"strconv"

	"context"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
)

var _ providers.Forwarder = (*Adapter)(nil)

// Forward sends a request that is already in Gemini's dialect (a client of
// the gateway's Gemini API) with only the model and the credentials changed:
// fields this adapter does not translate (safetySettings, cachedContent,
// thinking levels, thought signatures on text parts, ...) pass through, and
// the answer comes back as Gemini sent it. fr.Path is
// "/v1beta/models/{model}:{method}"; the method is kept and the URL is built
// as for Send, so a Vertex AI credential works too.
func (a *Adapter) Forward(ctx context.Context, cred *providers.Credential, model string, fr *providers.ForwardRequest) (*providers.ForwardResponse, error) {
	i := strings.LastIndexByte(fr.Path, ':')
	if i < 0 || i == len(fr.Path)-1 {
		return nil, badRequest("", "cannot forward "+fr.Path+": no :method in the path")
	}
	method := fr.Path[i+1:]
	body, err := rewriteInnerModels(method, fr.Body, model)
	if err != nil {
		return nil, badRequest("", "cannot set the model: "+err.Error())
	}
	if fr.Query != "" {
		method += "?" + fr.Query
	}
	resp, err := a.send(ctx, cred, model, method, body, fr.Stream, fr.Header)
	if err != nil {
		return nil, err
	}
	out := &providers.ForwardResponse{Status: resp.StatusCode(), ContentType: string(resp.Header.ContentType()),
		Close: func() { _ = resp.CloseBodyStream(); fasthttp.ReleaseResponse(resp) }}
	if s := resp.BodyStream(); s != nil && fr.Stream {
		out.Stream = s
		return out, nil
	}
	out.Body = upstream.ReadAll(resp)
	if u := gjson.GetBytes(out.Body, "usageMetadata"); u.IsObject() {
		out.Usage = providers.Usage{
			PromptTokens:     u.Get("promptTokenCount").Int() + u.Get("toolUsePromptTokenCount").Int(),
			CompletionTokens: u.Get("candidatesTokenCount").Int() + u.Get("thoughtsTokenCount").Int(),
		}
	}
	return out, nil
}

// ForwardsDialect implements providers.DialectForwarder: AI Studio and
// Vertex AI both speak the Gemini API, so a Gemini client's request reaches
// either untranslated.
func (a *Adapter) ForwardsDialect(dialect string) bool { return dialect == "gemini" }

var _ providers.DialectForwarder = (*Adapter)(nil)

// rewriteInnerModels points the models named inside a body at the target:
// Gemini requires batchEmbedContents' requests[].model and countTokens'
// generateContentRequest.model to match the model in the URL, and the
// client named the Endpoint there.
func rewriteInnerModels(method string, body []byte, model string) ([]byte, error) {
	name := "models/" + model
	var err error
	switch method {
	case "batchEmbedContents":
		n := len(gjson.GetBytes(body, "requests").Array())
		for i := 0; i < n && err == nil; i++ {
			body, err = sjson.SetBytes(body, "requests."+strconv.Itoa(i)+".model", name)
		}
	case "countTokens":
		if gjson.GetBytes(body, "generateContentRequest").IsObject() {
			body, err = sjson.SetBytes(body, "generateContentRequest.model", name)
		}
	}
	return body, err
}
