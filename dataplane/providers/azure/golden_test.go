package azure

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/internal/golden"
)

// render writes a stream the way the gateway relays it: each payload as a
// data event, [DONE] at a clean end, an OpenAI error event otherwise.
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

func TestRequestGolden(t *testing.T) {
	const base = "https://res.openai.azure.com"
	tests := []struct {
		name    string
		base    string
		task    providers.Task
		model   string
		options map[string]string
	}{
		{"plain", base, providers.TaskChat, "gpt4o-deployment", nil},
		{"v1", base + "/openai/v1/", providers.TaskChat, "gpt4o-deployment", nil},
		{"api_version", base + "/openai", providers.TaskChat, "gpt4o deployment", map[string]string{OptionAPIVersion: "2025-04-01-preview"}},
		{"stream", base, providers.TaskChat, "gpt4o-deployment", nil},
		{"stream_usage", base, providers.TaskChat, "gpt4o-deployment", nil},
		{"tools", base, providers.TaskChat, "gpt4o-deployment", nil},
		{"embeddings", base, providers.TaskEmbeddings, "emb-deployment", nil},
		{"completions", base, providers.TaskCompletions, "instruct-deployment", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := golden.Read(t, "testdata/"+tt.name+".request.json")
			orig := bytes.Clone(in)
			call := &providers.Call{Task: tt.task, Model: tt.model, Body: in}
			if tt.task != providers.TaskEmbeddings {
				call.Stream = gjson.GetBytes(in, "stream").Bool()
				call.IncludeUsage = gjson.GetBytes(in, "stream_options.include_usage").Bool()
			}
			u, err := requestURL(&providers.Credential{BaseURL: tt.base, Options: tt.options}, call)
			if err != nil {
				t.Fatal(err)
			}
			body, hide, err := upstreamBody(call)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("the client's body was modified")
			}
			golden.JSON(t, "testdata/"+tt.name+".azure.json", map[string]any{"url": u, "hideUsage": hide, "body": json.RawMessage(body)})
		})
	}
}

func TestStreamGolden(t *testing.T) {
	tests := []struct {
		name, in  string
		hideUsage bool
	}{
		{"text", "text.sse", false},
		{"text.hidden", "text.sse", true},
		{"tools", "tools.sse", true},
		{"filtered", "filtered.sse", true},
		{"error", "error.sse", true},
		{"truncated", "truncated.sse", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stream{r: sse.NewDataReader(bytes.NewReader(golden.Read(t, "testdata/"+tt.in))), hideUsage: tt.hideUsage}
			got := render(s)
			golden.Compare(t, "testdata/"+tt.name+".openai.sse", got)
			if strings.Contains(string(got), `"choices":[]`) && tt.hideUsage {
				t.Error("a chunk without choices reached a client that did not ask for usage")
			}
		})
	}
}

func TestStreamReportsUsageEvenWhenHidden(t *testing.T) {
	s := &stream{r: sse.NewDataReader(bytes.NewReader(golden.Read(t, "testdata/text.sse"))), hideUsage: true}
	render(s)
	if u := s.Usage(); u.PromptTokens != 11 || u.CompletionTokens != 2 {
		t.Fatalf("usage %+v", u)
	}
}

// FuzzStreamFilter feeds arbitrary bytes to the Azure stream filter: it must
// never panic, and whatever it passes on must have choices or usage.
func FuzzStreamFilter(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, name := range files {
		if strings.HasSuffix(name, ".openai.sse") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, hide bool) {
		s := &stream{r: sse.NewDataReader(bytes.NewReader(data)), hideUsage: hide}
		for i := 0; i < 10000; i++ {
			p, err := s.Next()
			if err != nil {
				return
			}
			if !gjson.GetBytes(p, "choices.0").Exists() && !gjson.GetBytes(p, "usage").IsObject() {
				t.Fatalf("passed on a chunk with neither choices nor usage: %s", p)
			}
		}
	})
}
