package cohere

import (
	"strconv"

	"github.com/segmentio/encoding/json"
	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// DefaultInputType is sent as input_type when the client names none: OpenAI's
// API has no such field and embed v3+ models require one. Documents are the
// common case (indexing); a client can send "input_type" (e.g.
// "search_query") as an extra field of the embeddings request.
const DefaultInputType = "search_document"

var inputTypes = map[string]bool{"search_document": true, "search_query": true, "classification": true, "clustering": true}

// embedRequest turns an OpenAI embeddings request into Cohere's; it returns
// the encoding format the client asked for, applied to the answer.
func (t *translator) embedRequest(body []byte) ([]byte, string, error) {
	var req unified.EmbeddingsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, "", badRequest("input", "invalid embeddings request: "+err.Error())
	}
	if req.Input.Tokens != nil {
		return nil, "", badRequest("input", "cohere embeds text: token arrays are not accepted")
	}
	if len(req.Input.Texts) == 0 {
		return nil, "", badRequest("input", "input must not be empty")
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, "", badRequest("encoding_format", "encoding_format must be float or base64")
	}
	inputType := DefaultInputType
	if it := gjson.GetBytes(body, "input_type"); it.Exists() {
		if !inputTypes[it.String()] {
			return nil, "", badRequest("input_type", "input_type must be search_document, search_query, classification or clustering, not "+strconv.Quote(it.String()))
		}
		inputType = it.String()
	}
	out := embedRequest{Model: t.model, Texts: req.Input.Texts, InputType: inputType, EmbeddingTypes: []string{"float"}, OutputDimension: req.Dimensions}
	b, err := jsonenc.Marshal(out)
	return b, req.EncodingFormat, err
}

// embedResponse turns Cohere's float embeddings into OpenAI's list, base64
// encoded when the client asked for it (the OpenAI Python and Node SDKs do by
// default).
func (t *translator) embedResponse(body []byte, format string) ([]byte, error) {
	var r embedResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed("embeddings response", err)
	}
	out := unified.EmbeddingsResponse{Object: "list", Model: t.model, Data: make([]unified.Embedding, len(r.Embeddings.Float))}
	for i, v := range r.Embeddings.Float {
		out.Data[i] = unified.Embedding{Object: "embedding", Index: i, Embedding: unified.EncodeEmbedding(v, format)}
	}
	n := int64(r.Meta.BilledUnits.InputTokens)
	out.Usage = unified.EmbeddingsUsage{PromptTokens: n, TotalTokens: n}
	return jsonenc.Marshal(out)
}
