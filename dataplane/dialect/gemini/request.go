package gemini

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// ParseRequest implements dialect.Ingress.
func (in *Ingress) ParseRequest(body []byte, p dialect.Params) (*dialect.Request, *providers.Error) {
	var (
		task    = providers.TaskChat
		reqType string
	)
	switch p.Method {
	case MethodGenerateContent, MethodStreamGenerateContent:
		reqType = "GenerateContentRequest"
	case MethodCountTokens:
		reqType = "CountTokensRequest"
	case MethodEmbedContent:
		reqType, task = "EmbedContentRequest", providers.TaskEmbeddings
	case MethodBatchEmbedContents:
		reqType, task = "BatchEmbedContentsRequest", providers.TaskEmbeddings
	default:
		return nil, &providers.Error{Status: 404, Type: "not_found_error", Code: "not_found",
			Message: "method " + strconv.Quote(p.Method) + " is not served; use generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents"}
	}
	endpoint := strings.TrimPrefix(p.Endpoint, "models/")
	if endpoint == "" {
		return nil, invalid("model", "the path must name a gateway endpoint: /v1beta/models/{endpoint}:%s", p.Method)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}") // so the first missing field is named
	}
	if !json.Valid(trimmed) {
		return nil, invalid("", "Invalid JSON payload received: the body is not valid JSON")
	}
	if trimmed[0] != '{' {
		return nil, invalid("", "Invalid JSON payload received: expected a JSON object")
	}
	o, perr := decodeObject(trimmed, "")
	if perr != nil {
		return nil, perr
	}
	st := &State{Endpoint: endpoint, Method: p.Method}
	q := parseQuery(p.Query)
	stream := p.Method == MethodStreamGenerateContent
	st.SSE = stream && q.sse

	var ub []byte
	if task == providers.TaskEmbeddings {
		ub, perr = embeddings(o, st, reqType)
	} else {
		ub, perr = chat(o, st, reqType, stream)
	}
	if perr != nil {
		return nil, perr
	}
	return &dialect.Request{
		Endpoint: endpoint,
		Task:     task,
		Body:     ub,
		Stream:   stream,
		// Gemini reports usageMetadata on its last chunk, so the unified
		// stream must always end with its usage chunk.
		IncludeUsage: true,
		Forward: &providers.ForwardRequest{Method: "POST", Path: "/v1beta/models/{model}:" + p.Method,
			Query: q.forward, Body: body, ModelField: "", Stream: stream},
		State: st,
	}, nil
}

type query struct {
	sse     bool
	forward string
}

// parseQuery finds alt=sse and drops credentials (key=, access_token=) from
// the query string that travels with a forwarded request; the rest is kept
// as the client wrote it.
func parseQuery(raw string) query {
	var q query
	var keep []string
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		switch k {
		case "key", "access_token":
			continue
		case "alt", "$alt":
			q.sse = strings.EqualFold(v, "sse")
		}
		keep = append(keep, kv)
	}
	q.forward = strings.Join(keep, "&")
	return q
}

// converter builds a unified chat request.
type converter struct {
	st      *State
	reqType string
	out     unified.ChatRequest
	// calls counts the history's function calls, for synthesised ids.
	calls int
	// pending are the function calls of the last model turn, which
	// functionResponse parts answer.
	pending []pendingCall
}

type pendingCall struct {
	id, name string
	used     bool
}

func (c *converter) drop(what string) { c.st.Dropped = append(c.st.Dropped, what) }

// chat converts generateContent, streamGenerateContent and countTokens.
func chat(o object, st *State, reqType string, stream bool) ([]byte, *providers.Error) {
	c := &converter{st: st, reqType: reqType}
	c.out.Model = st.Endpoint
	prefix := ""
	countTokens := st.Method == MethodCountTokens
	if countTokens && o.has("generateContentRequest") {
		// countTokens takes either contents or a whole GenerateContentRequest.
		prefix = "generateContentRequest"
		inner, perr := decodeObject(o.get("generateContentRequest"), prefix)
		if perr != nil {
			return nil, perr
		}
		o = inner
	}
	if perr := c.request(o, prefix); perr != nil {
		return nil, perr
	}
	c.jsonHint()
	if countTokens {
		// The backend is asked for one token: only its prompt_tokens
		// matter. A reasoning model given one token would spend it thinking,
		// and one candidate is enough.
		one := int64(1)
		c.out.MaxTokens, c.out.MaxCompletionTokens = &one, nil
		c.out.ReasoningEffort, c.out.N = "", nil
		st.Thoughts = false
	}
	if stream {
		c.out.Stream = true
		c.out.StreamOptions = &unified.StreamOptions{IncludeUsage: true}
	}
	b, err := jsonenc.Marshal(&c.out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	return b, nil
}

// request converts a GenerateContentRequest's fields; prefix is its path.
func (c *converter) request(o object, prefix string) *providers.Error {
	if raw := o.get("systemInstruction"); raw != nil {
		if perr := c.system(raw, join(prefix, "systemInstruction")); perr != nil {
			return perr
		}
	}
	cf := join(prefix, "contents")
	contents, perr := decodeList(o.get("contents"), cf)
	if perr != nil {
		return perr
	}
	if len(contents) == 0 {
		return missing(c.reqType, cf)
	}
	for i, raw := range contents {
		if perr := c.content(raw, index(cf, i)); perr != nil {
			return perr
		}
	}
	if perr := c.tools(o.get("tools"), o.get("toolConfig"), prefix); perr != nil {
		return perr
	}
	if raw := o.get("generationConfig"); raw != nil {
		if perr := c.generationConfig(raw, join(prefix, "generationConfig")); perr != nil {
			return perr
		}
	}
	if o.has("cachedContent") {
		c.drop(join(prefix, "cachedContent"))
	}
	// safetySettings have no OpenAI counterpart; each backend applies its own.
	return nil
}

// jsonHint makes JSON mode work on OpenAI, which rejects json_object
// unless the conversation says "JSON" somewhere; Gemini has no such rule. A
// conversation that does not is given a one-sentence system instruction.
func (c *converter) jsonHint() {
	rf := c.out.ResponseFormat
	if rf == nil || rf.Type != "json_object" {
		return
	}
	for _, m := range c.out.Messages {
		if strings.Contains(strings.ToLower(m.Content.PlainText()), "json") {
			return
		}
	}
	const hint = "Respond in JSON."
	if len(c.out.Messages) > 0 && c.out.Messages[0].Role == unified.RoleSystem {
		text := c.out.Messages[0].Content.PlainText() + "\n\n" + hint
		c.out.Messages[0].Content = unified.TextContent(text)
		return
	}
	c.out.Messages = append([]unified.Message{{Role: unified.RoleSystem, Content: unified.TextContent(hint)}}, c.out.Messages...)
}
