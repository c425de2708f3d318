package anthropic

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
	return &Ingress{newID: func(prefix string) string {
		n++
		return prefix + "gen" + strconv.Itoa(n)
	}}
}

// cases lists the golden inputs testdata/<dir>/*<suffix>, as bases.
func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	return golden.Cases(t, filepath.Join("testdata", dir, "*"+suffix), suffix)
}

// parse reads an Anthropic request; count_tokens cases are named so.
func parse(t *testing.T, in *Ingress, base string, body []byte) *dialect.Request {
	t.Helper()
	method := MethodMessages
	if strings.HasPrefix(filepath.Base(base), "count_tokens") {
		method = MethodCountTokens
	}
	req, perr := in.ParseRequest(body, dialect.Params{Method: method})
	if perr != nil {
		t.Fatalf("ParseRequest: %v", perr)
	}
	return req
}

// requestFor reads base+".request.json" if present, else a plain request.
func requestFor(t *testing.T, in *Ingress, base string) *dialect.Request {
	t.Helper()
	body := []byte(`{"model":"my-endpoint","max_tokens":1024,"messages":[{"role":"user","content":"hi"}]}`)
	if b, err := os.ReadFile(base + ".request.json"); err == nil {
		body = b
	}
	return parse(t, in, base, body)
}

// TestGoldenRequests: Anthropic request in, unified request out.
func TestGoldenRequests(t *testing.T) {
	for _, base := range cases(t, "request", ".anthropic.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			body := golden.Read(t, base+".anthropic.json")
			req := parse(t, testIngress(), base, body)
			if !bytes.Equal(req.Forward.Body, body) || req.Forward.ModelField != "model" || req.Forward.Method != "POST" || req.Forward.Header != nil {
				t.Errorf("forward request does not carry the client's body as is: %+v", req.Forward)
			}
			if req.Task != providers.TaskChat {
				t.Errorf("task %q", req.Task)
			}
			out, err := jsonenc.Marshal(struct {
				Endpoint     string          `json:"endpoint"`
				Stream       bool            `json:"stream"`
				IncludeUsage bool            `json:"include_usage"`
				ForwardPath  string          `json:"forward_path"`
				State        *State          `json:"state"`
				Body         json.RawMessage `json:"body"`
			}{req.Endpoint, req.Stream, req.IncludeUsage, req.Forward.Path, req.State.(*State), req.Body})
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".unified.json", out)
		})
	}
}

// TestGoldenResponses: unified response in, Anthropic message out.
func TestGoldenResponses(t *testing.T) {
	for _, base := range cases(t, "response", ".unified.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			out, err := in.Response(requestFor(t, in, base), golden.Read(t, base+".unified.json"))
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".anthropic.json", out)
		})
	}
}

// TestGoldenStreams: a unified SSE transcript in, Anthropic's out. "[DONE]"
// ends the stream cleanly (End); a payload with an "error" object fails it
// (Fail) with that error's status (default 500).
func TestGoldenStreams(t *testing.T) {
	for _, base := range cases(t, "stream", ".unified.sse") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			enc := in.NewStream(requestFor(t, in, base))
			if enc.ContentType() != "text/event-stream" {
				t.Fatalf("content type %q", enc.ContentType())
			}
			out, err := dialecttest.Replay(t, enc, golden.Read(t, base+".unified.sse"))
			if err != nil {
				t.Fatal(err)
			}
			golden.Compare(t, base+".anthropic.sse", out)
		})
	}
}
