package responses

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

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

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func cases(t *testing.T, dir, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"+suffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in testdata/%s: %v", dir, err)
	}
	for i, f := range files {
		files[i] = strings.TrimSuffix(f, suffix)
	}
	return files
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
			body := readFile(t, base+".responses.json")
			req := parse(t, testIngress(), body)
			f := req.Forward
			if f == nil || !bytes.Equal(f.Body, body) || f.ModelField != "model" || f.Method != "POST" || f.Path != "/responses" ||
				f.Header != nil || f.Stream != req.Stream {
				t.Errorf("forward request does not carry the client's body as is: %+v", f)
			}
			if req.Task != providers.TaskChat || !req.IncludeUsage {
				t.Errorf("task %q, include usage %v", req.Task, req.IncludeUsage)
			}
			out, err := marshal(struct {
				Endpoint string          `json:"endpoint"`
				Stream   bool            `json:"stream"`
				State    *State          `json:"state"`
				Body     json.RawMessage `json:"body"`
			}{req.Endpoint, req.Stream, req.State.(*State), req.Body})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, base+".unified.json", indent(t, out))
		})
	}
}

// TestGoldenResponses: unified response in, Responses response out.
func TestGoldenResponses(t *testing.T) {
	for _, base := range cases(t, "response", ".unified.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			out, err := in.Response(requestFor(t, in, base), readFile(t, base+".unified.json"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, base+".responses.json", indent(t, out))
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
			out := encodeTranscript(t, enc, readFile(t, base+".unified.sse"))
			golden(t, base+".responses.sse", out)
		})
	}
}

func encodeTranscript(t *testing.T, enc dialect.StreamEncoder, transcript []byte) []byte {
	t.Helper()
	if enc.ContentType() != "text/event-stream" {
		t.Fatalf("content type %q", enc.ContentType())
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	for _, line := range strings.Split(string(transcript), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var err error
		switch {
		case data == "[DONE]":
			err = enc.End(w)
		case strings.HasPrefix(data, `{"error"`):
			var e struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Code    string `json:"code"`
					Status  int    `json:"status"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				t.Fatal(err)
			}
			status := e.Error.Status
			if status == 0 {
				status = 500
			}
			err = enc.Fail(w, &providers.Error{Status: status, Type: e.Error.Type, Code: e.Error.Code, Message: e.Error.Message})
		default:
			err = enc.Chunk(w, []byte(data))
		}
		if errors.Is(err, errNativeOnly) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
