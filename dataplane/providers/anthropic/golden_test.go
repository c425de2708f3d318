package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic/anthropictest"
	"github.com/ai-gateway/gateway/internal/golden"
)

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

func callFor(body []byte) *providers.Call {
	return &providers.Call{Task: providers.TaskChat, Model: goldenModel, Body: body,
		Stream:       gjson.GetBytes(body, "stream").Bool(),
		IncludeUsage: gjson.GetBytes(body, "stream_options.include_usage").Bool()}
}

func TestGoldenRequests(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/request/*.request.json", ".request.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			body := golden.Read(t, base+".request.json")
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
			golden.JSON(t, base+".anthropic.json", got)
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/response/*.anthropic.json", ".anthropic.json") {
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			body := golden.Read(t, base+".anthropic.json")
			info := requestInfo{jsonMode: strings.HasPrefix(name, "json_")}
			got, _, err := translateResponse(body, info, goldenModel, goldenCreated)
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".openai.json", got)
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
	for _, base := range golden.Cases(t, "testdata/stream/*.anthropic.sse", ".anthropic.sse") {
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(base + ".anthropic.sse")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info := requestInfo{jsonMode: strings.HasPrefix(name, "json_")}
			got, _ := relay(f, info, strings.Contains(name, "include_usage"))
			golden.Compare(t, base+".openai.sse", got)
		})
	}
}
