package openai

import (
	"crypto/sha256"
	"strconv"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Quirks are an OpenAI-compatible upstream's known deviations from OpenAI's
// API, as data. Each is applied to the client's body with gjson/sjson, so a
// provider without quirks pays nothing, and a body that does not contain the
// offending field is not rewritten at all.
type Quirks struct {
	// NoStreamOptions removes stream_options: the upstream rejects the field
	// (Mistral answers 422 "extra_forbidden"). The adapter then never asks for
	// usage; when the client asked for the usage chunk and the upstream
	// reported usage on some chunk anyway, the stream ends with a synthesised
	// "choices":[] usage chunk.
	NoStreamOptions bool
	// MaxTokensField, when set, renames max_completion_tokens to this field
	// (normally "max_tokens") for upstreams that only know the older name. A
	// body that already has that field keeps it and loses max_completion_tokens.
	MaxTokensField string
	// SeedField, when set, renames seed to this field (Mistral: "random_seed").
	SeedField string
	// DeveloperAsSystem maps the "developer" role to "system" for upstreams
	// (and chat templates) that know only system/user/assistant/tool.
	DeveloperAsSystem bool
	// ShortToolCallIDs rewrites tool-call ids that are not exactly nine ASCII
	// letters or digits (Mistral's rule) to a nine-character id derived from
	// the original by hashing, in assistant tool_calls and in tool messages
	// alike, so a call and its result still match. Ids that already follow the
	// rule, which includes every id Mistral itself issued, are left alone, so
	// responses need no mapping back.
	ShortToolCallIDs bool
}

// IsZero reports whether no quirk is set.
func (q Quirks) IsZero() bool { return q == Quirks{} }

// apply rewrites body for q. body is already a private copy (the model was
// rewritten), so rewriting it again is allowed; the client's Call.Body is
// never touched.
func (q Quirks) apply(body []byte) ([]byte, error) {
	var err error
	if q.NoStreamOptions && gjson.GetBytes(body, "stream_options").Exists() {
		if body, err = sjson.DeleteBytes(body, "stream_options"); err != nil {
			return nil, err
		}
	}
	if q.MaxTokensField != "" {
		if body, err = rename(body, "max_completion_tokens", q.MaxTokensField); err != nil {
			return nil, err
		}
	}
	if q.SeedField != "" {
		if body, err = rename(body, "seed", q.SeedField); err != nil {
			return nil, err
		}
	}
	if q.DeveloperAsSystem || q.ShortToolCallIDs {
		if body, err = q.rewriteMessages(body); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// rename moves from to to; when to is already present, from is dropped.
func rename(body []byte, from, to string) ([]byte, error) {
	v := gjson.GetBytes(body, from)
	if !v.Exists() {
		return body, nil
	}
	var err error
	if !gjson.GetBytes(body, to).Exists() {
		if body, err = sjson.SetRawBytes(body, to, []byte(v.Raw)); err != nil {
			return nil, err
		}
	}
	return sjson.DeleteBytes(body, from)
}

// rewriteMessages applies the per-message quirks. It collects the edits first
// and applies them afterwards, because each sjson edit returns a new body.
func (q Quirks) rewriteMessages(body []byte) ([]byte, error) {
	type edit struct{ path, value string }
	var edits []edit
	gjson.GetBytes(body, "messages").ForEach(func(k, m gjson.Result) bool {
		i := strconv.Itoa(int(k.Int()))
		role := m.Get("role").String()
		if q.DeveloperAsSystem && role == "developer" {
			edits = append(edits, edit{"messages." + i + ".role", "system"})
		}
		if !q.ShortToolCallIDs {
			return true
		}
		if id := m.Get("tool_call_id"); id.Type == gjson.String && !isShortID(id.Str) {
			edits = append(edits, edit{"messages." + i + ".tool_call_id", ShortToolCallID(id.Str)})
		}
		m.Get("tool_calls").ForEach(func(j, tc gjson.Result) bool {
			if id := tc.Get("id"); id.Type == gjson.String && !isShortID(id.Str) {
				edits = append(edits, edit{"messages." + i + ".tool_calls." + strconv.Itoa(int(j.Int())) + ".id", ShortToolCallID(id.Str)})
			}
			return true
		})
		return true
	})
	var err error
	for _, e := range edits {
		if body, err = sjson.SetBytes(body, e.path, e.value); err != nil {
			return nil, err
		}
	}
	return body, nil
}

const shortIDLen = 9

func isShortID(s string) bool {
	if len(s) != shortIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ShortToolCallID maps any tool-call id to nine ASCII letters and digits,
// deterministically: the same id always gives the same short id, so an
// assistant's call and the tool result that answers it stay paired across
// turns and retries without any stored mapping. 62^9 values make a collision
// between two calls of one conversation negligible.
func ShortToolCallID(id string) string {
	sum := sha256.Sum256([]byte(id))
	var out [shortIDLen]byte
	for i := range out {
		out[i] = base62[int(sum[i])%len(base62)]
	}
	return string(out[:])
}
