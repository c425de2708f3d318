package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// FuzzStreamConverse feeds arbitrary bytes to the ConverseStream decoder and
// translator, seeded with the golden transcripts' real frames. It must never
// panic, every chunk must be JSON, and every failure a *providers.Error.
func FuzzStreamConverse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.bedrock.jsonl"))
	for _, path := range files {
		frames, _, _ := encodeTranscript(f, path)
		f.Add(frames, true, false)
		f.Add(frames, false, true)
	}
	f.Add([]byte{0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true, true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, true, false)
	f.Fuzz(func(t *testing.T, data []byte, includeUsage, jsonTool bool) {
		m := goldenMeta
		m.Plan.jsonTool = jsonTool
		s := newStream(bytes.NewReader(data), nil, m, includeUsage)
		for i := 0; i < len(data)+10; i++ {
			b, err := s.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *providers.Error
				if !errors.As(err, &pe) {
					t.Fatalf("error is not a *providers.Error: %v", err)
				}
				return
			}
			if !json.Valid(b) {
				t.Fatalf("chunk is not JSON: %q", b)
			}
		}
		t.Fatal("stream did not end")
	})
}
