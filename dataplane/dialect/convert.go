package dialect

import (
	"bytes"
	"strings"

	"github.com/segmentio/encoding/json"
)

// Conversions more than one dialect makes the same way.

// CleanID returns what a dialect can reuse of a unified (chat completion) id
// for its own response id, so that logs on both sides of the gateway can be
// matched: the id without "chatcmpl-" and without the dialect's own prefix
// (an id that came from the dialect's API in the first place), keeping only
// [A-Za-z0-9_-], at most 64 of them. It is "" when nothing is left, and the
// dialect makes an id up.
func CleanID(unifiedID, prefix string) string {
	id := strings.TrimPrefix(unifiedID, "chatcmpl-")
	id = strings.TrimPrefix(id, prefix)
	clean := make([]byte, 0, len(id))
	for i := 0; i < len(id) && len(clean) < 64; i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			clean = append(clean, c)
		}
	}
	return string(clean)
}

// ToolArgs turns OpenAI's JSON-encoded tool call arguments into the object
// the Anthropic and Gemini APIs carry (input, args), compacted; arguments
// that are not a JSON object (a model's broken output) become {}, as
// Anthropic's own SDKs do with input they cannot parse.
func ToolArgs(args string) json.RawMessage {
	b := bytes.TrimSpace([]byte(args))
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return json.RawMessage("{}")
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return json.RawMessage("{}")
	}
	return buf.Bytes()
}
