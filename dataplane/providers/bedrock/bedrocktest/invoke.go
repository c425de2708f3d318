package bedrocktest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// vector derives a deterministic unit vector of n dimensions from text.
func vector(text string, n int) []float32 {
	v := make([]float32, n)
	var norm float64
	for i := range v {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d:%s", i/8, text)))
		x := float64(int32(binary.LittleEndian.Uint32(sum[(i%8)*4:]))) / math.MaxInt32
		v[i] = float32(x)
		norm += x * x
	}
	if norm > 0 {
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(norm))
		}
	}
	return v
}

// malformed answers as InvokeModel does for a body the model refuses.
func (s *Server) malformed(w http.ResponseWriter, detail string) {
	s.writeError(w, 400, "ValidationException", "Malformed input request: "+detail+", please reformat your input and try again.")
}

func (s *Server) invoke(w http.ResponseWriter, model string, body []byte) {
	switch {
	case strings.Contains(model, "amazon.titan-embed"):
		s.titan(w, model, body)
	case strings.Contains(model, "cohere.embed"):
		s.cohere(w, model, body)
	default:
		s.writeError(w, 400, "ValidationException", "The provided model identifier is invalid.")
	}
}

func (s *Server) titan(w http.ResponseWriter, model string, body []byte) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		s.malformed(w, "expected a JSON object")
		return
	}
	allowed := map[string]bool{"inputText": true, "dimensions": true, "normalize": true, "embeddingTypes": true}
	v1 := strings.Contains(model, "text-v1") || strings.Contains(model, "g1-text")
	for k := range raw {
		if !allowed[k] || (v1 && k != "inputText") {
			s.malformed(w, "extraneous key ["+k+"] is not permitted")
			return
		}
	}
	var req struct {
		InputText  *string `json:"inputText"`
		Dimensions *int    `json:"dimensions"`
		Normalize  *bool   `json:"normalize"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.malformed(w, err.Error())
		return
	}
	if req.InputText == nil {
		s.malformed(w, "#: required key [inputText] not found")
		return
	}
	if *req.InputText == "" {
		s.malformed(w, "#/inputText: expected minLength: 1, actual: 0")
		return
	}
	dims := 1024
	if v1 {
		dims = 1536
	}
	if req.Dimensions != nil {
		if d := *req.Dimensions; d != 256 && d != 512 && d != 1024 {
			s.malformed(w, fmt.Sprintf("#/dimensions: %d is not a valid enum value", d))
			return
		}
		dims = *req.Dimensions
	}
	n := words(*req.InputText)
	w.Header()["X-Amzn-Bedrock-Input-Token-Count"] = []string{strconv.FormatInt(n, 10)}
	s.invokeJSON(w, map[string]any{"embedding": vector(*req.InputText, dims), "inputTextTokenCount": n})
}

var cohereInputTypes = map[string]bool{"search_document": true, "search_query": true, "classification": true, "clustering": true}

func (s *Server) cohere(w http.ResponseWriter, model string, body []byte) {
	var req struct {
		Texts           []string `json:"texts"`
		InputType       *string  `json:"input_type"`
		Truncate        string   `json:"truncate"`
		EmbeddingTypes  []string `json:"embedding_types"`
		OutputDimension *int     `json:"output_dimension"`
		Images          []string `json:"images"`
	}
	if err := decodeStrict(body, &req); err != nil {
		s.malformed(w, err.Error())
		return
	}
	v4 := strings.Contains(model, "embed-v4")
	switch {
	case req.InputType == nil:
		s.malformed(w, "#: required key [input_type] not found")
		return
	case !cohereInputTypes[*req.InputType]:
		s.malformed(w, "#/input_type: "+*req.InputType+" is not a valid enum value")
		return
	case len(req.Texts) == 0 || len(req.Texts) > 96:
		s.malformed(w, fmt.Sprintf("#/texts: expected between 1 and 96 items, got %d", len(req.Texts)))
		return
	case req.OutputDimension != nil && !v4:
		s.malformed(w, "extraneous key [output_dimension] is not permitted")
		return
	}
	dims := 1024
	if v4 {
		dims = 1536
		if req.OutputDimension != nil {
			dims = *req.OutputDimension
		}
	}
	vecs := make([][]float32, len(req.Texts))
	var n int64
	for i, t := range req.Texts {
		vecs[i] = vector(t, dims)
		n += words(t)
	}
	w.Header()["X-Amzn-Bedrock-Input-Token-Count"] = []string{strconv.FormatInt(n, 10)}
	out := map[string]any{"id": s.requestID(), "texts": req.Texts, "embeddings": vecs, "response_type": "embeddings_floats"}
	if v4 || len(req.EmbeddingTypes) > 0 {
		out["embeddings"] = map[string]any{"float": vecs}
		out["response_type"] = "embeddings_by_type"
	}
	s.invokeJSON(w, out)
}

func (s *Server) invokeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header()["x-amzn-RequestId"] = []string{s.requestID()}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
