package bedrock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock/bedrocktest"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/internal/golden"
)

// tinyPNG is a 1x1 PNG, served for every image URL in the golden cases.
var tinyPNG, _ = hex.DecodeString("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489" +
	"0000000d4944415478da63f8cfc0f01f0005000201a5f5d4a40000000049454e44ae426082")

// imageTransport answers every image download with tinyPNG, so image URL
// cases need no network.
type imageTransport struct{}

func (imageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"image/png"}},
		Body: io.NopCloser(bytes.NewReader(tinyPNG)), Request: r}, nil
}

var testFetcher = &media.Fetcher{Client: &http.Client{Transport: imageTransport{}}}

var goldenMeta = meta{ID: "chatcmpl-fake-req-000001", Model: "anthropic.claude-3-5-sonnet-20241022-v2:0", Created: 1700000000}

// cases lists the golden inputs testdata/<dir>/*<suffix>, as bases.
func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	return golden.Cases(t, filepath.Join("testdata", dir, "*"+suffix), suffix)
}

// TestGoldenRequests: OpenAI request in, Converse request out.
func TestGoldenRequests(t *testing.T) {
	for _, c := range cases(t, "request", ".request.json") {
		t.Run(filepath.Base(c), func(t *testing.T) {
			in := golden.Read(t, c+".request.json")
			orig := bytes.Clone(in)
			req, p, err := translateChat(context.Background(), testFetcher, in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("the translator modified the client body")
			}
			out, err := jsonenc.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if p.jsonTool != strings.HasPrefix(filepath.Base(c), "json_") {
				t.Errorf("plan.jsonTool = %v", p.jsonTool)
			}
			// A second translation (a retry) gives the same bytes.
			again, _, _ := translateChat(context.Background(), testFetcher, in)
			if b, _ := jsonenc.Marshal(again); !bytes.Equal(b, out) {
				t.Error("translation is not repeatable")
			}
			golden.JSON(t, c+".bedrock.json", out)
		})
	}
}

// TestGoldenResponses: Converse response in, OpenAI chat.completion out.
func TestGoldenResponses(t *testing.T) {
	for _, c := range cases(t, "response", ".bedrock.json") {
		t.Run(filepath.Base(c), func(t *testing.T) {
			in := golden.Read(t, c+".bedrock.json")
			m := goldenMeta
			m.Plan.jsonTool = strings.HasPrefix(filepath.Base(c), "json_")
			out, err := chatResponse(in, m)
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, c+".openai.json", out)
		})
	}
}

// transcriptLine is one line of a readable stream transcript: options for
// the case, an event, an exception, or a torn (half-written) last frame.
type transcriptLine struct {
	Options *struct {
		IncludeUsage bool `json:"includeUsage"`
		JSONTool     bool `json:"jsonTool"`
	} `json:"options"`
	Event     string          `json:"event"`
	Exception string          `json:"exception"`
	Payload   json.RawMessage `json:"payload"`
	Torn      bool            `json:"torn"`
}

// encodeTranscript turns a transcript into the binary event stream Bedrock
// would send, returning the frames and the case's options.
func encodeTranscript(t testing.TB, path string) (frames []byte, includeUsage, jsonTool bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	var last []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l transcriptLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var frame bytes.Buffer
		switch {
		case l.Options != nil:
			includeUsage, jsonTool = l.Options.IncludeUsage, l.Options.JSONTool
			continue
		case l.Torn:
			buf.Write(last[:len(last)/2])
			continue
		case l.Event != "":
			err = bedrocktest.EncodeEvent(&frame, l.Event, l.Payload)
		case l.Exception != "":
			err = bedrocktest.EncodeException(&frame, l.Exception, l.Payload)
		}
		if err != nil {
			t.Fatal(err)
		}
		last = frame.Bytes()
		buf.Write(last)
	}
	return buf.Bytes(), includeUsage, jsonTool
}

// drain reads a stream to its end and renders the OpenAI SSE transcript the
// gateway would write: data lines, then [DONE] or the error.
func drain(t testing.TB, s *stream) []byte {
	var out bytes.Buffer
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("stream does not end")
		}
		b, err := s.Next()
		if err == io.EOF {
			out.WriteString("data: [DONE]\n\n")
			break
		}
		if err != nil {
			var pe *providers.Error
			if !errors.As(err, &pe) {
				t.Fatalf("stream error is not a *providers.Error: %v", err)
			}
			fmt.Fprintf(&out, "error: status=%d type=%s code=%s retryable=%v message=%q\n", pe.Status, pe.Type, pe.Code, pe.Retryable, pe.Message)
			break
		}
		if !json.Valid(b) {
			t.Fatalf("chunk is not JSON: %s", b)
		}
		fmt.Fprintf(&out, "data: %s\n\n", b)
	}
	return out.Bytes()
}

// TestGoldenStreams: ConverseStream events in, OpenAI SSE out.
func TestGoldenStreams(t *testing.T) {
	for _, c := range cases(t, "stream", ".bedrock.jsonl") {
		t.Run(filepath.Base(c), func(t *testing.T) {
			frames, includeUsage, jsonTool := encodeTranscript(t, c+".bedrock.jsonl")
			m := goldenMeta
			m.Plan.jsonTool = jsonTool
			s := newStream(bytes.NewReader(frames), nil, m, includeUsage)
			golden.Compare(t, c+".openai.sse", drain(t, s))
		})
	}
}
