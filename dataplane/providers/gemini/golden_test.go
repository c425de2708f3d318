package gemini

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/media"
	"github.com/ai-gateway/gateway/dataplane/unified"
	"github.com/ai-gateway/gateway/internal/golden"
)

// goldenCreated is the "created" timestamp of every golden output.
const goldenCreated = 1700000000

// pngPixel is a 1x1 PNG, what the fake image host serves.
var pngPixel, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fakeImages is a media.Fetcher whose "network" serves pngPixel for any
// https://images.example.com/ URL and 404 elsewhere.
func fakeImages() *media.Fetcher {
	return &media.Fetcher{Client: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host != "images.example.com" {
			return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, nil
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(pngPixel)),
			Header: http.Header{"Content-Type": []string{"image/png"}}}, nil
	})}}
}

func describeError(err error) []byte {
	var pe *providers.Error
	if errors.As(err, &pe) {
		return fmt.Appendf(nil, "error: status=%d type=%s code=%s param=%s\n%s\n", pe.Status, pe.Type, pe.Code, pe.Param, pe.Message)
	}
	return fmt.Appendf(nil, "error: %v\n", err)
}

// TestGoldenRequests: OpenAI request in, Gemini request out
// (testdata/request/<case>.request.json → <case>.gemini.json).
func TestGoldenRequests(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/request/*.request.json", ".request.json") {
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			body := golden.Read(t, base+".request.json")
			orig := bytes.Clone(body)
			var req unified.ChatRequest
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			first, err := translateRequest(context.Background(), &req, fakeImages())
			var got []byte
			if err != nil {
				got = describeError(err)
			} else {
				got = golden.Indent(t, first)
				// A retry translates the same request again: same output.
				again, err := translateRequest(context.Background(), &req, fakeImages())
				if err != nil || !bytes.Equal(golden.Indent(t, again), got) {
					t.Errorf("second translation differs: %v", err)
				}
			}
			if !bytes.Equal(body, orig) {
				t.Errorf("translation modified the request body")
			}
			golden.Compare(t, base+".gemini.json", got)
		})
	}
}

// TestGoldenResponses: Gemini response in, OpenAI response out
// (testdata/response/<case>.gemini.json → <case>.openai.json).
func TestGoldenResponses(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/response/*.gemini.json", ".gemini.json") {
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			body := golden.Read(t, base+".gemini.json")
			var r generateContentResponse
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			got := golden.Indent(t, translateResponse(&r, "requested-model", goldenCreated))
			golden.Compare(t, base+".openai.json", got)
		})
	}
}

// runStream translates a Gemini SSE transcript into the SSE the gateway
// would write: data events, then [DONE] or the error.
func runStream(transcript []byte, includeUsage bool) []byte {
	s := newStream(nil, bytes.NewReader(transcript), newStreamTranslator("requested-model", goldenCreated, includeUsage))
	defer s.Close()
	var out bytes.Buffer
	for {
		p, err := s.Next()
		if err == io.EOF {
			out.WriteString("data: [DONE]\n\n")
			break
		}
		if err != nil {
			out.Write(describeError(err))
			break
		}
		out.WriteString("data: ")
		out.Write(p)
		out.WriteString("\n\n")
	}
	u := s.Usage()
	fmt.Fprintf(&out, "# usage reported for metrics: prompt=%d completion=%d\n", u.PromptTokens, u.CompletionTokens)
	return out.Bytes()
}

// TestGoldenStreams: Gemini SSE in, OpenAI SSE out
// (testdata/stream/<case>.gemini.sse → <case>.openai.sse); cases whose name
// contains "include_usage" run with stream_options.include_usage.
func TestGoldenStreams(t *testing.T) {
	for _, base := range golden.Cases(t, "testdata/stream/*.gemini.sse", ".gemini.sse") {
		name := filepath.Base(base)
		t.Run(name, func(t *testing.T) {
			body := golden.Read(t, base+".gemini.sse")
			got := runStream(body, strings.Contains(name, "include_usage"))
			golden.Compare(t, base+".openai.sse", got)
		})
	}
}

// FuzzStreamGemini feeds arbitrary bytes to the stream decoder and
// translator; it must never panic, and every chunk it emits must be JSON.
func FuzzStreamGemini(f *testing.F) {
	files, _ := filepath.Glob("testdata/stream/*.gemini.sse")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b, strings.Contains(file, "include_usage"))
		}
	}
	f.Add([]byte("data: {\"candidates\":[{\"index\":-1}]}\r\n\r\n"), true)
	f.Add([]byte("data: {\"candidates\":[{\"index\":1000000000,\"finishReason\":\"STOP\"}]}\n\n"), false)
	f.Add([]byte("data: [1,2]\n\ndata: {\"error\":{}}\n\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, includeUsage bool) {
		s := newStream(nil, bytes.NewReader(data), newStreamTranslator("m", 1, includeUsage))
		defer s.Close()
		for i := 0; i < 10000; i++ {
			p, err := s.Next()
			if err != nil {
				return
			}
			if !json.Valid(p) {
				t.Fatalf("chunk is not JSON: %q", p)
			}
		}
		t.Fatal("stream did not end")
	})
}
