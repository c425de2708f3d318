package anthropic

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// testIngress returns an Ingress whose generated ids are a counter.
func testIngress() *Ingress {
	n := 0
	return &Ingress{newID: func(prefix string) string {
		n++
		return prefix + "gen" + strconv.Itoa(n)
	}}
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
			body := readFile(t, base+".anthropic.json")
			req := parse(t, testIngress(), base, body)
			if !bytes.Equal(req.Forward.Body, body) || req.Forward.ModelField != "model" || req.Forward.Method != "POST" || req.Forward.Header != nil {
				t.Errorf("forward request does not carry the client's body as is: %+v", req.Forward)
			}
			if req.Task != providers.TaskChat {
				t.Errorf("task %q", req.Task)
			}
			out, err := marshal(struct {
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
			golden(t, base+".unified.json", indent(t, out))
		})
	}
}

// TestGoldenResponses: unified response in, Anthropic message out.
func TestGoldenResponses(t *testing.T) {
	for _, base := range cases(t, "response", ".unified.json") {
		t.Run(filepath.Base(base), func(t *testing.T) {
			in := testIngress()
			out, err := in.Response(requestFor(t, in, base), readFile(t, base+".unified.json"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, base+".anthropic.json", indent(t, out))
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
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			for _, line := range strings.Split(string(readFile(t, base+".unified.sse")), "\n") {
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
					err = enc.Fail(w, &providers.Error{Status: status, Type: e.Error.Type, Message: e.Error.Message})
				default:
					err = enc.Chunk(w, []byte(data))
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			golden(t, base+".anthropic.sse", out.Bytes())
		})
	}
}
