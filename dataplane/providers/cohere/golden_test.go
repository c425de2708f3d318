package cohere

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/internal/golden"
)

// fixedNow makes created timestamps reproducible.
func fixedNow() time.Time { return time.Unix(1700000000, 0) }

// render writes a stream the way the gateway relays it.
func render(s providers.Stream) []byte {
	var b bytes.Buffer
	for {
		p, err := s.Next()
		if err == io.EOF {
			b.WriteString("data: [DONE]\n\n")
			return b.Bytes()
		}
		if err != nil {
			pe, ok := err.(*providers.Error)
			if !ok {
				pe = &providers.Error{Status: 502, Type: "api_error", Message: err.Error()}
			}
			e, _ := json.Marshal(map[string]any{"error": map[string]any{"message": pe.Message, "type": pe.Type, "code": pe.Code, "status": pe.Status}})
			b.WriteString("data: " + string(e) + "\n\n")
			return b.Bytes()
		}
		b.WriteString("data: " + string(p) + "\n\n")
	}
}

func TestChatRequestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.request.json"))
	n := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".request.json")
		if strings.HasPrefix(name, "embeddings") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			in := golden.Read(t, f)
			orig := bytes.Clone(in)
			call := &providers.Call{Task: providers.TaskChat, Model: "command-a-03-2025", Body: in,
				Stream: gjson.GetBytes(in, "stream").Bool(), IncludeUsage: gjson.GetBytes(in, "stream_options.include_usage").Bool()}
			tr := newTranslator(call, fixedNow)
			out, err := tr.chatRequest(call.Body, call.Stream)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := newTranslator(call, fixedNow).chatRequest(call.Body, call.Stream)
			if !bytes.Equal(in, orig) || !bytes.Equal(out, again) {
				t.Fatal("translation modified its input or is not repeatable")
			}
			golden.JSON(t, "testdata/"+name+".cohere.json", out)
		})
	}
	if n < 15 {
		t.Fatalf("only %d request cases found", n)
	}
}

func TestEmbedRequestGolden(t *testing.T) {
	for _, name := range []string{"embeddings", "embeddings_query"} {
		t.Run(name, func(t *testing.T) {
			call := &providers.Call{Task: providers.TaskEmbeddings, Model: "embed-v4.0", Body: golden.Read(t, "testdata/"+name+".request.json")}
			out, _, err := newTranslator(call, fixedNow).embedRequest(call.Body)
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, "testdata/"+name+".cohere.json", out)
		})
	}
}

func TestResponseGolden(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/resp_*.cohere.json", ".cohere.json") {
		f, name := base+".cohere.json", filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			tr := newTranslator(&providers.Call{Model: "command-a-03-2025"}, fixedNow)
			in := golden.Read(t, f)
			var out []byte
			var err error
			if name == "resp_embeddings" {
				out, err = tr.embedResponse(in, "")
				if err == nil {
					var b64 []byte
					b64, err = tr.embedResponse(in, "base64")
					golden.JSON(t, "testdata/"+name+".base64.openai.json", b64)
				}
			} else {
				out, err = tr.chatResponse(in)
			}
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, "testdata/"+name+".openai.json", out)
		})
	}
}

func TestStreamGolden(t *testing.T) {
	for _, f := range golden.Cases(t, "testdata/*.sse", "") {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		if strings.HasSuffix(name, ".openai") {
			continue
		}
		for _, usage := range []bool{false, true} {
			out := name + ".openai.sse"
			if usage {
				out = name + ".usage.openai.sse"
			}
			t.Run(out, func(t *testing.T) {
				tr := newTranslator(&providers.Call{Model: "command-a-03-2025", Stream: true, IncludeUsage: usage}, fixedNow)
				s := newStream(nil, bytes.NewReader(golden.Read(t, f)), tr)
				golden.Compare(t, "testdata/"+out, render(s))
			})
		}
	}
}

// FuzzStreamCohere feeds arbitrary bytes to the Cohere stream decoder: it must
// never panic, never loop, and only emit valid JSON chunks.
func FuzzStreamCohere(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, name := range files {
		if strings.HasSuffix(name, ".openai.sse") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
	}
	f.Add([]byte("data: {\"type\":\"tool-call-delta\",\"index\":-1}\n\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, usage bool) {
		tr := newTranslator(&providers.Call{Model: "m", Stream: true, IncludeUsage: usage}, fixedNow)
		s := newStream(nil, bytes.NewReader(data), tr)
		for i := 0; i < 100000; i++ {
			p, err := s.Next()
			if err != nil {
				return
			}
			if !json.Valid(p) {
				t.Fatalf("invalid chunk %q", p)
			}
		}
		t.Fatal("the stream did not end")
	})
}
