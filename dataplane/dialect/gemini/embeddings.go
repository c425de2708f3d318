package gemini

import (
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// embeddings converts embedContent and batchEmbedContents.
func embeddings(o object, st *State, reqType string) ([]byte, *providers.Error) {
	var (
		reqs   []object
		fields []string
	)
	if st.Method == MethodEmbedContent {
		reqs, fields = []object{o}, []string{""}
	} else {
		items, perr := decodeList(o.get("requests"), "requests")
		if perr != nil {
			return nil, perr
		}
		if len(items) == 0 {
			return nil, missing(reqType, "requests")
		}
		for i, raw := range items {
			f := index("requests", i)
			r, perr := decodeObject(raw, f)
			if perr != nil {
				return nil, perr
			}
			reqs, fields = append(reqs, r), append(fields, f)
		}
	}
	// encoding_format stays unset (floats everywhere); a base64 answer is
	// decoded anyway.
	out := unified.EmbeddingsRequest{Model: st.Endpoint, Input: unified.EmbeddingInput{Texts: []string{}}}
	for i, r := range reqs {
		f := fields[i]
		if m := r.get("model"); m != nil {
			name, perr := decodeString(m, join(f, "model"))
			if perr != nil {
				return nil, perr
			}
			if name != "" && strings.TrimPrefix(name, "models/") != st.Endpoint {
				return nil, invalid(join(f, "model"), "%q does not match the model in the request URL (models/%s)", name, st.Endpoint)
			}
		}
		cf := join(f, "content")
		craw := r.get("content")
		if craw == nil {
			return nil, missing(reqType, cf)
		}
		text, perr := embedText(craw, cf, st)
		if perr != nil {
			return nil, perr
		}
		out.Input.Texts = append(out.Input.Texts, text)
		if d := r.get("outputDimensionality"); d != nil {
			df := join(f, "outputDimensionality")
			n, perr := decodeInt(d, df)
			if perr != nil {
				return nil, perr
			}
			if n < 1 || n > 1<<16 {
				return nil, invalid(df, "must be a positive number of dimensions, got %d", n)
			}
			if out.Dimensions != nil && int64(*out.Dimensions) != n {
				return nil, invalid(df, "every request of a batch must ask for the same outputDimensionality")
			}
			v := int(n)
			out.Dimensions = &v
		}
		// taskType and title have no OpenAI counterpart.
	}
	st.Inputs = len(out.Input.Texts)
	b, err := jsonenc.Marshal(&out)
	if err != nil {
		return nil, &providers.Error{Status: 500, Type: "api_error", Message: "cannot encode the translated request: " + err.Error()}
	}
	return b, nil
}

// embedText joins a content's text parts with a newline; other parts are
// dropped (OpenAI embeddings take text only).
func embedText(raw json.RawMessage, field string, st *State) (string, *providers.Error) {
	o, perr := decodeObject(raw, field)
	if perr != nil {
		return "", perr
	}
	pf := join(field, "parts")
	parts, perr := decodeList(o.get("parts"), pf)
	if perr != nil {
		return "", perr
	}
	var texts []string
	for i, praw := range parts {
		p, perr := decodePart(praw, index(pf, i))
		if perr != nil {
			return "", perr
		}
		if p.thought {
			continue
		}
		if p.text != nil {
			texts = append(texts, *p.text)
		} else {
			st.Dropped = append(st.Dropped, index(pf, i)+" ("+p.kind+")")
		}
	}
	return strings.Join(texts, "\n"), nil
}
