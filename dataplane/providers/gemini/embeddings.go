package gemini

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Embeddings. OpenAI's input (a string or an array of strings) becomes:
//
//	gemini, one input      :embedContent       {"content":{"parts":[{"text":…}]},"outputDimensionality":N}
//	gemini, several        :batchEmbedContents {"requests":[{"model":"models/{m}","content":…,"outputDimensionality":N},…]}
//	vertex-ai              :predict            {"instances":[{"content":…},…],"parameters":{"outputDimensionality":N}}
//	vertex-ai, new Gemini  :embedContent       {"content":…,"embedContentConfig":{"outputDimensionality":N}} (one input)
//
// dimensions becomes outputDimensionality; encoding_format "base64" is
// applied by the gateway (unified.EncodeEmbedding). Token arrays are
// rejected: Gemini embeds text. Usage: Vertex reports token counts
// (statistics.token_count, usageMetadata.promptTokenCount) and they are used;
// AI Studio reports none, so prompt_tokens is an estimate of one token per
// four bytes of input (at least one per non-empty input), good enough for
// metrics and token rate limits but not for billing.

// estimateTokens approximates a text's token count.
func estimateTokens(s string) int64 {
	if s == "" {
		return 0
	}
	return int64(max(1, (len(s)+3)/4))
}

// isVertexEmbedContentModel mirrors go-genai: on Vertex, Gemini embedding
// models other than gemini-embedding-001 use :embedContent, the rest :predict.
func isVertexEmbedContentModel(model string) bool {
	return strings.Contains(model, "gemini") && model != "gemini-embedding-001"
}

func (a *Adapter) embed(ctx context.Context, cred *providers.Credential, call *providers.Call) (*providers.Result, error) {
	var req unified.EmbeddingsRequest
	if err := json.Unmarshal(call.Body, &req); err != nil {
		return nil, badRequest("input", "invalid embeddings request: "+err.Error())
	}
	if len(req.Input.Tokens) > 0 {
		return nil, badRequest("input", a.info.ID+" embeds text; token arrays are not supported")
	}
	texts := req.Input.Texts
	if len(texts) == 0 {
		return nil, badRequest("input", "input must not be empty")
	}
	model := strings.TrimPrefix(call.Model, "models/")
	var (
		method string
		body   any
	)
	switch {
	case a.tokens != nil && isVertexEmbedContentModel(model):
		if len(texts) != 1 {
			return nil, badRequest("input", fmt.Sprintf("vertex-ai model %q embeds one input per request; got %d", model, len(texts)))
		}
		r := vertexEmbedContentRequest{Content: content{Parts: []part{textPart(texts[0])}}}
		if req.Dimensions != nil {
			r.EmbedContentConfig = &vertexEmbedContent{OutputDimensionality: req.Dimensions}
		}
		method, body = "embedContent", r
	case a.tokens != nil:
		r := predictRequest{Instances: make([]predictInstance, len(texts))}
		for i, s := range texts {
			r.Instances[i] = predictInstance{Content: s}
		}
		if req.Dimensions != nil {
			r.Parameters = &predictParameters{OutputDimensionality: req.Dimensions}
		}
		method, body = "predict", r
	case len(texts) == 1:
		method, body = "embedContent", embedContentRequest{Content: content{Parts: []part{textPart(texts[0])}}, OutputDimensionality: req.Dimensions}
	default:
		r := batchEmbedContentsRequest{Requests: make([]embedContentRequest, len(texts))}
		for i, s := range texts {
			r.Requests[i] = embedContentRequest{Model: "models/" + model, Content: content{Parts: []part{textPart(s)}},
				OutputDimensionality: req.Dimensions}
		}
		method, body = "batchEmbedContents", r
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, badRequest("input", err.Error())
	}
	resp, err := a.post(ctx, cred, call.Model, method, b, false)
	if err != nil {
		return nil, err
	}
	raw := upstream.ReadAll(resp)
	vectors, tokens, perr := parseEmbeddings(method, raw)
	fasthttp.ReleaseResponse(resp)
	if perr != nil {
		return nil, perr
	}
	if len(vectors) != len(texts) {
		return nil, &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_response",
			Message: fmt.Sprintf("%s returned %d embeddings for %d inputs", a.info.ID, len(vectors), len(texts))}
	}
	if tokens == 0 {
		for _, s := range texts {
			tokens += estimateTokens(s)
		}
	}
	out := unified.EmbeddingsResponse{Object: "list", Model: call.Model, Data: make([]unified.Embedding, len(vectors)),
		Usage: unified.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}}
	for i, v := range vectors {
		out.Data[i] = unified.Embedding{Object: "embedding", Index: i, Embedding: unified.EncodeEmbedding(v, req.EncodingFormat)}
	}
	ob, _ := json.Marshal(out)
	return providers.NewResult(ob, nil), nil
}

// parseEmbeddings reads the vectors (in input order) and the token count the
// upstream reported, if any.
func parseEmbeddings(method string, raw []byte) ([][]float32, int64, error) {
	switch {
	case method == "predict":
		var r predictResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, 0, badResponse("predict response")
		}
		out := make([][]float32, len(r.Predictions))
		var tokens float64
		for i, p := range r.Predictions {
			out[i] = nonNil(p.Embeddings.Values)
			tokens += p.Embeddings.Statistics.TokenCount
		}
		return out, int64(tokens), nil
	case method == "embedContent":
		var r embedContentResponse
		if err := json.Unmarshal(raw, &r); err != nil || r.Embedding == nil {
			return nil, 0, badResponse("EmbedContentResponse")
		}
		var tokens int64
		if r.UsageMetadata != nil {
			tokens = r.UsageMetadata.PromptTokenCount
		}
		return [][]float32{nonNil(r.Embedding.Values)}, tokens, nil
	default:
		var r batchEmbedContentsResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, 0, badResponse("BatchEmbedContentsResponse")
		}
		out := make([][]float32, len(r.Embeddings))
		for i, e := range r.Embeddings {
			out[i] = nonNil(e.Values)
		}
		return out, 0, nil
	}
}

func nonNil(v []float32) []float32 {
	if v == nil {
		return []float32{}
	}
	return v
}
