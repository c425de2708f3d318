package responses

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func seedFiles(f *testing.F, pattern string) [][]byte {
	files, _ := filepath.Glob(pattern)
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzParseRequest: any body is either refused with a 4xx in OpenAI's error
// format or becomes a unified request that decodes, with the client's body
// kept as is for native forwarding.
func FuzzParseRequest(f *testing.F) {
	for _, b := range seedFiles(f, "testdata/*/*.request.json") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, "testdata/request/*.responses.json") {
		f.Add(b)
	}
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"x"}]}]}`))
	f.Add([]byte(`{"model":"m","input":[{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}`))
	in := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		req, perr := in.ParseRequest(body, dialect.Params{Method: Method})
		if !bytes.Equal(body, orig) {
			t.Fatal("ParseRequest modified the body")
		}
		if perr != nil {
			if perr.Status != 400 || perr.Message == "" {
				t.Fatalf("error %+v", perr)
			}
			if !json.Valid(in.Error(perr)) {
				t.Fatalf("error body %s", in.Error(perr))
			}
			return
		}
		var u unified.ChatRequest
		if err := json.Unmarshal(req.Body, &u); err != nil {
			t.Fatalf("unified body %s: %v", req.Body, err)
		}
		if u.Model != req.Endpoint || req.Endpoint == "" || req.Task != providers.TaskChat {
			t.Fatalf("endpoint %q model %q task %q", req.Endpoint, u.Model, req.Task)
		}
		if req.Forward == nil || !bytes.Equal(req.Forward.Body, body) || req.Forward.Stream != req.Stream || u.Stream != req.Stream {
			t.Fatalf("forward %+v", req.Forward)
		}
		st := req.State.(*State)
		if (len(st.NativeOnly) > 0) != (in.CheckTranslate(req) != nil) {
			t.Fatalf("native only %q but CheckTranslate %v", st.NativeOnly, in.CheckTranslate(req))
		}
		for _, m := range u.Messages {
			if m.Role == unified.RoleAssistant && m.Content.IsNull() && len(m.ToolCalls) == 0 {
				t.Fatalf("an assistant message without content or tool calls: %s", req.Body)
			}
		}
		// The echo must render whatever the request held.
		out, err := in.Response(req, []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}`))
		if len(st.NativeOnly) == 0 && (err != nil || !json.Valid(out)) {
			t.Fatalf("response %s: %v", out, err)
		}
	})
}

// FuzzStream: whatever the unified chunks, the encoder writes named events
// whose data is JSON with the same "type", numbered from 0 without gaps, and
// ends with exactly one terminal event; the same chunks as a complete answer
// render without panicking.
func FuzzStream(f *testing.F) {
	for _, b := range seedFiles(f, "testdata/stream/*.unified.sse") {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{"}},{"index":3,"id":"a","function":{"name":"n"}}]}}]}`), false)
	f.Add([]byte(`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}},{"index":1,"id":"b","function":{"name":"g"}}]}}]}`+"\n"+
		`data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}],"content":"x"}}]}`), true)
	f.Fuzz(func(t *testing.T, transcript []byte, fail bool) {
		in := testIngress()
		req, perr := in.ParseRequest([]byte(`{"model":"m","input":"x","stream":true}`), dialect.Params{Method: Method})
		if perr != nil {
			t.Fatal(perr)
		}
		enc := in.NewStream(req)
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		for _, line := range bytes.Split(transcript, []byte("\n")) {
			if err := enc.Chunk(w, bytes.TrimPrefix(line, []byte("data: "))); err != nil {
				t.Fatal(err)
			}
			_, _ = in.Response(req, line)
		}
		var err error
		if fail {
			err = enc.Fail(w, &providers.Error{Status: 502, Message: "broken"})
		} else {
			err = enc.End(w)
		}
		if err != nil {
			t.Fatal(err)
		}
		// Nothing may follow the terminal event.
		if err := enc.Chunk(w, []byte(`{"choices":[{"index":0,"delta":{"content":"late"}}]}`)); err != nil {
			t.Fatal(err)
		}
		if err := enc.End(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		checkEvents(t, out.String(), fail)
	})
}

func checkEvents(t *testing.T, stream string, failed bool) {
	t.Helper()
	if !strings.HasSuffix(stream, "\n\n") {
		t.Fatalf("stream does not end with a blank line: %q", stream)
	}
	events := strings.Split(strings.TrimSuffix(stream, "\n\n"), "\n\n")
	terminal := 0
	for i, ev := range events {
		name, data, ok := strings.Cut(ev, "\n")
		name, ok1 := strings.CutPrefix(name, "event: ")
		data, ok2 := strings.CutPrefix(data, "data: ")
		if !ok || !ok1 || !ok2 || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not one event line and one data line: %q", i, ev)
		}
		var e struct {
			Type           string `json:"type"`
			SequenceNumber *int   `json:"sequence_number"`
		}
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatalf("event %d data %s: %v", i, data, err)
		}
		if e.Type != name || e.SequenceNumber == nil || *e.SequenceNumber != i {
			t.Fatalf("event %d %q: type %q sequence %v", i, name, e.Type, e.SequenceNumber)
		}
		switch name {
		case "response.completed", "response.incomplete", "response.failed":
			terminal++
			if i != len(events)-1 {
				t.Fatalf("%s is not last", name)
			}
			if failed != (name == "response.failed") {
				t.Fatalf("terminal %s, failed %v", name, failed)
			}
		}
	}
	if terminal != 1 {
		t.Fatalf("%d terminal events", terminal)
	}
}
