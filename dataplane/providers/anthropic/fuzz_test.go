package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// FuzzStreamDecoder feeds arbitrary bytes to the Anthropic stream decoder:
// it must never panic or loop, every payload it yields must be a JSON
// chat.completion.chunk, and it must end with io.EOF or a *providers.Error.
func FuzzStreamDecoder(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.anthropic.sse"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false, false)
		f.Add(b, true, true)
	}
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":-7,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n"), true, false)
	f.Add([]byte("data: {\"type\":\"message_stop\"}\n\n"), false, true)
	f.Fuzz(func(t *testing.T, in []byte, includeUsage, jsonMode bool) {
		s := newStream(bytes.NewReader(in), nil, newStreamTranslator(requestInfo{jsonMode: jsonMode}, "m", 1, includeUsage))
		for i := 0; ; i++ {
			if i > len(in)+10 {
				t.Fatal("stream yields more payloads than its input can hold")
			}
			p, err := s.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *providers.Error
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *providers.Error", err)
				}
				return
			}
			var c struct {
				Object  string            `json:"object"`
				Choices []json.RawMessage `json:"choices"`
			}
			if json.Unmarshal(p, &c) != nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("payload is not a chunk: %s", p)
			}
		}
	})
}
