package bedrock

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

const (
	// titanConcurrency bounds the parallel InvokeModel calls of one request:
	// Titan embeds one text per call.
	titanConcurrency = 8
	// cohereBatch is the most texts Cohere Embed takes per call.
	cohereBatch = 96
	// cohereDefaultInputType is sent when the client does not say what the
	// texts are for (OpenAI has no such field; Cohere requires one).
	cohereDefaultInputType = "search_document"
)

// embeddingFamily picks the request format from the model id; inference
// profile ids ("us.cohere.embed-v4:0") and foundation-model ARNs contain the
// base id.
func embeddingFamily(model string) string {
	switch {
	case strings.Contains(model, "amazon.titan-embed"):
		return "titan"
	case strings.Contains(model, "cohere.embed"):
		return "cohere"
	}
	return ""
}

// titanV1 models take only inputText.
func titanV1(model string) bool {
	return strings.Contains(model, "titan-embed-text-v1") || strings.Contains(model, "titan-embed-g1-text")
}

type embeddingsRequest struct {
	unified.EmbeddingsRequest
	// InputType is Cohere's input_type, honoured when a client sends it.
	InputType string `json:"input_type"`
}

func (a *Adapter) embeddings(ctx context.Context, t *target, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	var req embeddingsRequest
	if err := json.Unmarshal(call.Body, &req); err != nil {
		return nil, badRequest("", "invalid embeddings request: %v", err)
	}
	if req.Input.Tokens != nil {
		return nil, badRequest("input", "Bedrock embedding models take text, not token arrays")
	}
	if len(req.Input.Texts) == 0 {
		return nil, badRequest("input", "input must not be empty")
	}
	if f := req.EncodingFormat; f != "" && f != "float" && f != "base64" {
		return nil, badRequest("encoding_format", "encoding_format must be float or base64")
	}
	var (
		vecs   [][]float32
		tokens int64
		err    error
	)
	switch embeddingFamily(call.Model) {
	case "titan":
		vecs, tokens, err = a.titan(ctx, t, cred, call.Model, &req)
	case "cohere":
		vecs, tokens, err = a.cohere(ctx, t, cred, call.Model, &req)
	default:
		return nil, badRequest("model", "Bedrock model %q is not a supported embeddings model (amazon.titan-embed-* or cohere.embed-*)", call.Model)
	}
	if err != nil {
		return nil, err
	}
	out := unified.EmbeddingsResponse{Object: "list", Model: call.Model, Data: make([]unified.Embedding, len(vecs)),
		Usage: unified.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}}
	for i, v := range vecs {
		out.Data[i] = unified.Embedding{Object: "embedding", Index: i, Embedding: unified.EncodeEmbedding(v, req.EncodingFormat)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return &providers.Result{Body: b}, nil
}

// invoke calls InvokeModel and returns the body and the input token count
// Bedrock reports in a response header.
func (a *Adapter) invoke(ctx context.Context, t *target, cred *providers.Credential, model string, body any) ([]byte, int64, error) {
	b, err := jsonenc.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	resp, err := a.do(ctx, t, cred, modelPath(model, "invoke"), "application/json", b)
	if err != nil {
		return nil, 0, err
	}
	n, _ := strconv.ParseInt(upstream.Header(resp, "X-Amzn-Bedrock-Input-Token-Count"), 10, 64)
	out := readAll(resp)
	fasthttp.ReleaseResponse(resp)
	return out, n, nil
}

func badEmbedding() *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_response",
		Message: "Bedrock returned an embeddings response in an unexpected shape"}
}

// titan embeds each text with its own call, a few at a time.
func (a *Adapter) titan(ctx context.Context, t *target, cred *providers.Credential, model string, req *embeddingsRequest) ([][]float32, int64, error) {
	texts := req.Input.Texts
	vecs := make([][]float32, len(texts))
	counts := make([]int64, len(texts))
	errs := make([]error, len(texts))
	sem := make(chan struct{}, titanConcurrency)
	var wg sync.WaitGroup
	for i, text := range texts {
		body := titanEmbedRequest{InputText: text}
		if !titanV1(model) {
			body.Dimensions = req.Dimensions
			body.Normalize = unified.Ptr(true)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			raw, n, err := a.invoke(ctx, t, cred, model, body)
			if err != nil {
				errs[i] = err
				return
			}
			var r titanEmbedResponse
			if json.Unmarshal(raw, &r) != nil || len(r.Embedding) == 0 {
				errs[i] = badEmbedding()
				return
			}
			if r.InputTextTokenCount > 0 {
				n = r.InputTextTokenCount
			}
			vecs[i], counts[i] = r.Embedding, n
		}()
	}
	wg.Wait()
	var total int64
	for i := range texts {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		total += counts[i]
	}
	return vecs, total, nil
}

// cohere embeds up to cohereBatch texts per call.
func (a *Adapter) cohere(ctx context.Context, t *target, cred *providers.Credential, model string, req *embeddingsRequest) ([][]float32, int64, error) {
	inputType := req.InputType
	if inputType == "" {
		inputType = cohereDefaultInputType
	}
	var (
		vecs  [][]float32
		total int64
	)
	texts := req.Input.Texts
	for start := 0; start < len(texts); start += cohereBatch {
		batch := texts[start:min(start+cohereBatch, len(texts))]
		raw, n, err := a.invoke(ctx, t, cred, model, cohereEmbedRequest{Texts: batch, InputType: inputType, OutputDimension: req.Dimensions})
		if err != nil {
			return nil, 0, err
		}
		got, err := cohereVectors(raw)
		if err != nil || len(got) != len(batch) {
			return nil, 0, badEmbedding()
		}
		vecs = append(vecs, got...)
		total += n
	}
	return vecs, total, nil
}

// cohereVectors reads "embeddings" as [[...]] or {"float":[[...]]}.
func cohereVectors(raw []byte) ([][]float32, error) {
	var r cohereEmbedResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	e := bytes.TrimSpace(r.Embeddings)
	var out [][]float32
	if len(e) > 0 && e[0] == '{' {
		var byType struct {
			Float [][]float32 `json:"float"`
		}
		err := json.Unmarshal(e, &byType)
		return byType.Float, err
	}
	err := json.Unmarshal(e, &out)
	return out, err
}
