package gemini

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/dialect/dialecttest"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/internal/golden"
)

// testIngress returns an Ingress whose generated ids are a counter.
func testIngress() *Ingress {
	n := 0
	return &Ingress{newID: func() string {
		n++
		return "gen" + strconv.Itoa(n)
	}}
}

// cases lists the golden inputs testdata/<dir>/*<suffix>, as bases.
func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	return golden.Cases(t, filepath.Join("testdata", dir, "*"+suffix), suffix)
}

// params derives the route from a case's name, "<method>.<case>": the method
// is the file name's first segment, and a case named "*sse*" asks for
// alt=sse. Every case carries a key= credential, which must never travel.
func params(base string) dialect.Params {
	name := filepath.Base(base)
	method, _, _ := strings.Cut(name, ".")
	q := "key=client-secret"
	if strings.Contains(name, "sse") {
		q = "alt=sse&key=client-secret"
	}
	return dialect.Params{Endpoint: "my-endpoint", Method: method, Query: q}
}

func parse(t *testing.T, in *Ingress, base string, body []byte) *dialect.Request {
	t.Helper()
	req, perr := in.ParseRequest(body, params(base))
	if perr != nil {
		t.Fatalf("ParseRequest: %v", perr)
	}
	return req
}

// requestFor reads base+".request.json" if present, else a plain request
// for the case's method.
func requestFor(t *testing.T, in *Ingress, base string) *dialect.Request {
	t.Helper()
	body := []byte(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)
	if b, err := os.ReadFile(base + ".request.json"); err == nil {
		body = b
	}
	return parse(t, in, base, body)
}

// TestGoldenRequests: Gemini request in, unified request out.
func TestGoldenRequests(t *testing.T) {
	for _, base := range cases(t, "request", ".gemini.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			body := golden.Read(t, base+".gemini.json")
			p := params(base)
			req := parse(t, testIngress(), base, body)
			f := req.Forward
			if f == nil || !bytes.Equal(f.Body, body) || f.ModelField != "" || f.Method != "POST" || f.Header != nil ||
				f.Path != "/v1beta/models/{model}:"+p.Method || f.Stream != req.Stream {
				t.Errorf("forward request does not carry the client's request as is: %+v", f)
			}
			if strings.Contains(f.Query, "key") {
				t.Errorf("forward query %q carries the client's key", f.Query)
			}
			if !req.IncludeUsage {
				t.Errorf("IncludeUsage not set")
			}
			out, err := jsonenc.Marshal(struct {
				Endpoint     string          `json:"endpoint"`
				Task         providers.Task  `json:"task"`
				Stream       bool            `json:"stream"`
				ContentType  string          `json:"content_type,omitempty"`
				ForwardPath  string          `json:"forward_path"`
				ForwardQuery string          `json:"forward_query"`
				State        *State          `json:"state"`
				Body         json.RawMessage `json:"body"`
			}{req.Endpoint, req.Task, req.Stream, contentType(req), f.Path, f.Query, req.State.(*State), req.Body})
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".unified.json", out)
		})
	}
}

func contentType(req *dialect.Request) string {
	if !req.Stream {
		return ""
	}
	return New().NewStream(req).ContentType()
}

// TestGoldenResponses: unified response in, Gemini response out.
func TestGoldenResponses(t *testing.T) {
	for _, base := range cases(t, "response", ".unified.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			out, err := in.Response(requestFor(t, in, base), golden.Read(t, base+".unified.json"))
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".gemini.json", out)
		})
	}
}

// TestGoldenStreams: a unified SSE transcript in, Gemini's out (SSE for
// cases named "*sse*", else the JSON array). "[DONE]" ends the stream
// cleanly (End); a payload with an "error" object fails it (Fail) with that
// error's status (default 500).
func TestGoldenStreams(t *testing.T) {
	for _, base := range cases(t, "stream", ".unified.sse") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			req := requestFor(t, in, base)
			enc := in.NewStream(req)
			ext := ".gemini.json"
			if req.State.(*State).SSE {
				ext = ".gemini.sse"
				if enc.ContentType() != "text/event-stream" {
					t.Fatalf("content type %q", enc.ContentType())
				}
			} else if enc.ContentType() != "application/json" {
				t.Fatalf("content type %q", enc.ContentType())
			}
			out, err := dialecttest.Replay(t, enc, golden.Read(t, base+".unified.sse"))
			if err != nil {
				t.Fatal(err)
			}
			if !req.State.(*State).SSE {
				var arr []json.RawMessage
				if err := json.Unmarshal(out, &arr); err != nil {
					t.Errorf("the JSON-array stream is not a JSON array: %v\n%s", err, out)
				}
			}
			golden.Compare(t, base+ext, out)
		})
	}
}
