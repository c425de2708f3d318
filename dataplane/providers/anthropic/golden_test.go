package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
)

var update = flag.Bool("update", false, "rewrite the golden outputs under testdata/")

// Golden cases live in testdata/:
//
//	request/<case>.request.json     OpenAI request  -> <case>.anthropic.json (Anthropic request)
//	response/<case>.anthropic.json  Anthropic reply -> <case>.openai.json (OpenAI chat.completion)
//	stream/<case>.anthropic.sse     Anthropic SSE   -> <case>.openai.sse (OpenAI SSE as the gateway relays it)
//
// For responses and streams, a case name starting with "json_" means the
// request used response_format, and one containing "include_usage" means the
// client asked for the usage chunk.

const (
	goldenModel   = "claude-test"
	goldenCreated = 1700000000
)

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func cases(t *testing.T, pattern, suffix string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs %s: %v", pattern, err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[strings.TrimSuffix(filepath.Base(f), suffix)] = f
	}
	return out
}

func callFor(body []byte) *providers.Call {
	return &providers.Call{Task: providers.TaskChat, Model: goldenModel, Body: body,
		Stream:       gjson.GetBytes(body, "stream").Bool(),
		IncludeUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool()}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestGoldenRequests(t *testing.T) {
	for name, in := range cases(t, "request/*.request.json", ".request.json") {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			orig := append([]byte(nil), body...)
			call := callFor(body)
			req, _, perr := buildRequest(call)
			if perr != nil {
				t.Fatalf("translate: %v", perr)
			}
			got, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, orig) {
				t.Fatal("the translator modified the client body")
			}
			// Translating again (a retry) gives the same bytes.
			again, _, _ := buildRequest(call)
			if b, _ := json.Marshal(again); !bytes.Equal(b, got) {
				t.Fatal("a second translation differs from the first")
			}
			// What the adapter sends, the fake upstream accepts.
			if _, msg := anthropictest.Validate(got); msg != "" {
				t.Errorf("fake Anthropic rejects the translated request: %s", msg)
			}
			checkGolden(t, filepath.Join("testdata", "request", name+".anthropic.json"), indentJSON(t, got))
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	for name, in := range cases(t, "response/*.anthropic.json", ".anthropic.json") {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			info := requestInfo{jsonMode: strings.HasPrefix(name, "json_")}
			got, _, err := translateResponse(body, info, goldenModel, goldenCreated)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "response", name+".openai.json"), indentJSON(t, got))
		})
	}
}

// openAIErrorEvent renders a stream failure the way the gateway does.
func openAIErrorEvent(err error) []byte {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		pe = &providers.Error{Status: 502, Type: "api_error", Message: err.Error()}
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": pe.Message, "type": pe.Type,
		"param": nil, "code": pe.Code}})
	return b
}

// relay runs a transcript through the stream and renders what the gateway
// would send the client.
func relay(in io.Reader, info requestInfo, includeUsage bool) ([]byte, *stream) {
	s := newStream(in, nil, newStreamTranslator(info, goldenModel, goldenCreated, includeUsage))
	var out bytes.Buffer
	for {
		p, err := s.Next()
		if err == io.EOF {
			out.WriteString("data: [DONE]\n\n")
			break
		}
		if err != nil {
			out.WriteString("data: " + string(openAIErrorEvent(err)) + "\n\n")
			break
		}
		out.WriteString("data: " + string(p) + "\n\n")
	}
	_ = s.Close()
	return out.Bytes(), s
}

func TestGoldenStreams(t *testing.T) {
	for name, in := range cases(t, "stream/*.anthropic.sse", ".anthropic.sse") {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info := requestInfo{jsonMode: strings.HasPrefix(name, "json_")}
			got, _ := relay(f, info, strings.Contains(name, "include_usage"))
			checkGolden(t, filepath.Join("testdata", "stream", name+".openai.sse"), got)
		})
	}
}
