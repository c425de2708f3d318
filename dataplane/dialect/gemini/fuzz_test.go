package gemini

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

var fuzzMethods = []string{MethodGenerateContent, MethodStreamGenerateContent, MethodCountTokens, MethodEmbedContent,
	MethodBatchEmbedContents}

// FuzzParseRequest: any body, method and query either fails with a 4xx
// naming a Gemini status, or yields a valid unified body, a forward request
// without credentials, and answers Response and the stream encoder render.
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/request/*.gemini.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		method, _, _ := strings.Cut(filepath.Base(name), ".")
		for i, m := range fuzzMethods {
			if m == method {
				f.Add(b, uint8(i), "alt=sse&key=k")
			}
		}
	}
	f.Add([]byte(`{"contents":{"parts":{"text":"x"}}}`), uint8(0), "")
	f.Add([]byte(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f.g:h","args":{}}}]},{"parts":[{"functionResponse":{"name":"f.g:h","response":{}}}]}]}`), uint8(1), "alt=sse")
	f.Add([]byte(`{"requests":[{"content":{"parts":[{"text":"x"}]},"outputDimensionality":"8"}]}`), uint8(4), "")
	f.Fuzz(func(t *testing.T, body []byte, method uint8, query string) {
		in := testIngress()
		p := dialect.Params{Endpoint: "e", Method: fuzzMethods[int(method)%len(fuzzMethods)], Query: query}
		req, perr := in.ParseRequest(body, p)
		if perr != nil {
			if perr.Status < 400 || perr.Status >= 500 || perr.Message == "" {
				t.Fatalf("error %+v", perr)
			}
			if !json.Valid(in.Error(perr)) {
				t.Fatalf("error body %s", in.Error(perr))
			}
			return
		}
		if !json.Valid(req.Body) {
			t.Fatalf("unified body is not JSON: %s", req.Body)
		}
		if req.Forward == nil || !bytes.Equal(req.Forward.Body, body) {
			t.Fatalf("forward %+v", req.Forward)
		}
		for _, kv := range strings.Split(req.Forward.Query, "&") {
			if k, _, _ := strings.Cut(kv, "="); k == "key" || k == "access_token" {
				t.Fatalf("forward query %q carries a credential", req.Forward.Query)
			}
		}
		var answer string
		switch req.Task {
		case providers.TaskEmbeddings:
			var data []string
			for i := 0; i < req.State.(*State).Inputs; i++ {
				data = append(data, `{"index":`+strconv.Itoa(i)+`,"embedding":[0.5,1]}`)
			}
			answer = `{"data":[` + strings.Join(data, ",") + `]}`
		default:
			answer = `{"id":"chatcmpl-1","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"hi","reasoning_content":"r","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`
		}
		if out, err := in.Response(req, []byte(answer)); err == nil && !json.Valid(out) {
			t.Fatalf("response is not JSON: %s", out)
		}
		if req.Stream {
			checkStream(t, in.NewStream(req), []string{
				`{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}`,
				`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
			}, true)
		}
	})
}

// FuzzStream: any sequence of unified chunks (one per line; "ERROR" fails
// the stream) renders, in SSE mode, as events whose payloads are JSON and,
// in array mode, as one JSON array.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/stream/*.unified.sse")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if d, ok := strings.CutPrefix(l, "data: "); ok && d != "[DONE]" {
				if strings.HasPrefix(d, `{"error"`) {
					d = "ERROR"
				}
				lines = append(lines, d)
			}
		}
		f.Add(strings.Join(lines, "\n"), true, false)
		f.Add(strings.Join(lines, "\n"), false, true)
	}
	f.Fuzz(func(t *testing.T, chunks string, sse, thoughts bool) {
		req := &dialect.Request{Stream: true, State: &State{Endpoint: "e\"<>", Method: MethodStreamGenerateContent, SSE: sse, Thoughts: thoughts}}
		lines := strings.Split(chunks, "\n")
		end := true
		if n := len(lines); n > 0 && lines[n-1] == "ERROR" {
			lines, end = lines[:n-1], false
		}
		checkStream(t, testIngress().NewStream(req), lines, end)
	})
}

func checkStream(t *testing.T, enc dialect.StreamEncoder, chunks []string, end bool) {
	t.Helper()
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	for _, c := range chunks {
		if err := enc.Chunk(w, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if end {
		err = enc.End(w)
	} else {
		err = enc.Fail(w, &providers.Error{Status: 502, Message: "broken \"\n stream"})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if enc.ContentType() == "application/json" {
		var arr []map[string]any
		if err := json.Unmarshal(out.Bytes(), &arr); err != nil || len(arr) == 0 {
			t.Fatalf("not a JSON array of objects (%v): %s", err, out.Bytes())
		}
		return
	}
	events := strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n")
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for _, ev := range events {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") || !json.Valid([]byte(data)) {
			t.Fatalf("bad event %q in %s", ev, out.Bytes())
		}
	}
}
