package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/dialect/dialecttest"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/internal/golden"
)

// testIngress returns an Ingress whose generated ids are a counter and whose
// clock is fixed.
func testIngress() *Ingress {
	n := 0
	return &Ingress{
		newID: func(prefix string) string {
			n++
			return prefix + "gen" + strconv.Itoa(n)
		},
		now: func() time.Time { return time.Unix(1767225600, 0) },
	}
}

// cases lists the golden inputs testdata/<dir>/*<suffix>, as bases.
func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	return golden.Cases(t, filepath.Join("testdata", dir, "*"+suffix), suffix)
}

func parse(t *testing.T, in *Ingress, body []byte) *dialect.Request {
	t.Helper()
	req, perr := in.ParseRequest(body, dialect.Params{Method: Method})
	if perr != nil {
		t.Fatalf("ParseRequest: %v", perr)
	}
	return req
}

// requestFor reads base+".request.json" if present, else a plain request.
func requestFor(t *testing.T, in *Ingress, base string) *dialect.Request {
	t.Helper()
	body := []byte(`{"model":"my-endpoint","input":"hi"}`)
	if b, err := os.ReadFile(base + ".request.json"); err == nil {
		body = b
	}
	return parse(t, in, body)
}

// TestGoldenRequests: Responses request in, unified request out.
func TestGoldenRequests(t *testing.T) {
	for _, base := range cases(t, "request", ".responses.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			body := golden.Read(t, base+".responses.json")
			req := parse(t, testIngress(), body)
			f := req.Forward
			if f == nil || !bytes.Equal(f.Body, body) || f.ModelField != "model" || f.Method != "POST" || f.Path != "/responses" ||
				f.Header != nil || f.Stream != req.Stream {
				t.Errorf("forward request does not carry the client's body as is: %+v", f)
			}
			if req.Task != providers.TaskChat || !req.IncludeUsage {
				t.Errorf("task %q, include usage %v", req.Task, req.IncludeUsage)
			}
			out, err := jsonenc.Marshal(struct {
				Endpoint string          `json:"endpoint"`
				Stream   bool            `json:"stream"`
				State    *State          `json:"state"`
				Body     json.RawMessage `json:"body"`
			}{req.Endpoint, req.Stream, req.State.(*State), req.Body})
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".unified.json", out)
		})
	}
}

// TestGoldenResponses: unified response in, Responses response out.
func TestGoldenResponses(t *testing.T) {
	for _, base := range cases(t, "response", ".unified.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			out, err := in.Response(requestFor(t, in, base), golden.Read(t, base+".unified.json"))
			if err != nil {
				t.Fatal(err)
			}
			golden.JSON(t, base+".responses.json", out)
		})
	}
}

// TestGoldenStreams: a unified SSE transcript in, the Responses stream out.
// "[DONE]" ends the stream cleanly (End); a payload with an "error" object
// fails it (Fail) with that error's status (default 500).
func TestGoldenStreams(t *testing.T) {
	for _, base := range cases(t, "stream", ".unified.sse") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			enc := in.NewStream(requestFor(t, in, base))
			out := encodeTranscript(t, enc, golden.Read(t, base+".unified.sse"))
			golden.Compare(t, base+".responses.sse", out)
		})
	}
}

// encodeTranscript replays a unified transcript through enc; an event only
// the native provider could produce ends it, as the gateway would.
func encodeTranscript(t *testing.T, enc dialect.StreamEncoder, transcript []byte) []byte {
	t.Helper()
	if enc.ContentType() != "text/event-stream" {
		t.Fatalf("content type %q", enc.ContentType())
	}
	out, err := dialecttest.Replay(t, enc, transcript)
	if err != nil && !errors.Is(err, errNativeOnly) {
		t.Fatal(err)
	}
	return out
}
