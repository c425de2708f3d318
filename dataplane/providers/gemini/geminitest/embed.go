package geminitest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// DefaultDimensions is the length of the fake embeddings unless
// outputDimensionality asks for another.
const DefaultDimensions = 8

// Vector is the fake embedding of text: deterministic values in [-1, 1].
func Vector(text string, dims int) []float32 {
	if dims <= 0 {
		dims = DefaultDimensions
	}
	out := make([]float32, dims)
	var block [32]byte
	for i := range out {
		if i%8 == 0 {
			block = sha256.Sum256([]byte(fmt.Sprintf("%d:%s", i/8, text)))
		}
		u := binary.LittleEndian.Uint32(block[(i%8)*4:])
		out[i] = float32(u)/float32(1<<31) - 1
	}
	return out
}

type embedContent struct {
	Role  string `json:"role"`
	Parts []struct {
		Text *string `json:"text"`
	} `json:"parts"`
}

func (c embedContent) text() (string, bool) {
	var b strings.Builder
	for _, p := range c.Parts {
		if p.Text != nil {
			b.WriteString(*p.Text)
		}
	}
	return b.String(), b.Len() > 0
}

type embedRequest struct {
	Model                string       `json:"model"`
	Content              embedContent `json:"content"`
	TaskType             string       `json:"taskType"`
	Title                string       `json:"title"`
	OutputDimensionality int          `json:"outputDimensionality"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}

func values(text string, dims int) map[string]any {
	return map[string]any{"values": Vector(text, dims)}
}

// embedContent serves AI Studio's :embedContent and Vertex's, whose body
// nests the options in embedContentConfig and whose answer has usage.
func (s *Server) embedContent(w http.ResponseWriter, rt route, body []byte) {
	if rt.vertex {
		var req struct {
			Content            embedContent `json:"content"`
			EmbedContentConfig *struct {
				TaskType             string `json:"taskType"`
				Title                string `json:"title"`
				OutputDimensionality int    `json:"outputDimensionality"`
				AutoTruncate         bool   `json:"autoTruncate"`
			} `json:"embedContentConfig"`
		}
		if msg := decodeStrict(body, &req); msg != "" {
			invalid(w, msg)
			return
		}
		text, ok := req.Content.text()
		if !ok {
			invalid(w, "* EmbedContentRequest.content: content must have at least one text part\n")
			return
		}
		dims := 0
		if req.EmbedContentConfig != nil {
			dims = req.EmbedContentConfig.OutputDimensionality
		}
		writeJSON(w, map[string]any{"embedding": values(text, dims),
			"usageMetadata": map[string]any{"promptTokenCount": len(strings.Fields(text))}, "truncated": false})
		return
	}
	var req embedRequest
	if msg := decodeStrict(body, &req); msg != "" {
		invalid(w, msg)
		return
	}
	text, ok := req.Content.text()
	if !ok {
		invalid(w, "* EmbedContentRequest.content: content must have at least one text part\n")
		return
	}
	writeJSON(w, map[string]any{"embedding": values(text, req.OutputDimensionality)})
}

func (s *Server) batchEmbed(w http.ResponseWriter, rt route, body []byte) {
	var req struct {
		Requests []embedRequest `json:"requests"`
	}
	if msg := decodeStrict(body, &req); msg != "" {
		invalid(w, msg)
		return
	}
	if len(req.Requests) == 0 {
		invalid(w, "* BatchEmbedContentsRequest.requests: at least one request is required\n")
		return
	}
	out := make([]any, len(req.Requests))
	for i, r := range req.Requests {
		if r.Model != "models/"+rt.model {
			invalid(w, fmt.Sprintf("* BatchEmbedContentsRequest.requests[%d].model: model must be models/%s, the model of the request URL\n", i, rt.model))
			return
		}
		text, ok := r.Content.text()
		if !ok {
			invalid(w, fmt.Sprintf("* BatchEmbedContentsRequest.requests[%d].content: content must have at least one text part\n", i))
			return
		}
		out[i] = values(text, r.OutputDimensionality)
	}
	writeJSON(w, map[string]any{"embeddings": out})
}

// predict serves Vertex's :predict for text embedding models.
func (s *Server) predict(w http.ResponseWriter, body []byte) {
	var req struct {
		Instances []struct {
			Content  *string `json:"content"`
			TaskType string  `json:"task_type"`
			Title    string  `json:"title"`
		} `json:"instances"`
		Parameters *struct {
			OutputDimensionality int  `json:"outputDimensionality"`
			AutoTruncate         bool `json:"autoTruncate"`
		} `json:"parameters"`
	}
	if msg := decodeStrict(body, &req); msg != "" {
		invalid(w, msg)
		return
	}
	if len(req.Instances) == 0 {
		invalid(w, "List of instances must not be empty.")
		return
	}
	dims := 0
	if req.Parameters != nil {
		dims = req.Parameters.OutputDimensionality
	}
	preds := make([]any, len(req.Instances))
	chars := 0
	for i, in := range req.Instances {
		if in.Content == nil {
			invalid(w, fmt.Sprintf("Instance %d is missing the required field content.", i))
			return
		}
		chars += len(*in.Content)
		preds[i] = map[string]any{"embeddings": map[string]any{"values": Vector(*in.Content, dims),
			"statistics": map[string]any{"token_count": len(strings.Fields(*in.Content)), "truncated": false}}}
	}
	writeJSON(w, map[string]any{"predictions": preds, "metadata": map[string]any{"billableCharacterCount": chars}})
}
