package anthropic_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/packages/ssestream"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/dialect/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// FuzzParseRequest: any body either fails with an Anthropic-style 400 (or
// 404 for an unknown method) or yields a unified request that decodes, with
// the client's body kept as is for native forwarding.
func FuzzParseRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/request/*.anthropic.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}]}`), false)
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{"x":[1,{"y":null}]}}]}]}`), true)
	f.Add([]byte(`{"model":"m","max_tokens":1e3,"messages":[{"role":"user","content":"\u2028"}],"stream":true}`), false)
	in := anthropic.New()
	f.Fuzz(func(t *testing.T, body []byte, countTokens bool) {
		method := anthropic.MethodMessages
		if countTokens {
			method = anthropic.MethodCountTokens
		}
		req, perr := in.ParseRequest(body, dialect.Params{Method: method})
		if perr != nil {
			if perr.Status != 400 || perr.Message == "" {
				t.Fatalf("bad error %+v", perr)
			}
			if !json.Valid(in.Error(perr)) {
				t.Fatalf("error body is not JSON: %s", in.Error(perr))
			}
			return
		}
		var ur unified.ChatRequest
		if err := json.Unmarshal(req.Body, &ur); err != nil {
			t.Fatalf("unified body does not decode: %v\n%s", err, req.Body)
		}
		if ur.Model != req.Endpoint || req.Endpoint == "" || len(ur.Messages) == 0 || ur.MaxTokens == nil {
			t.Fatalf("unified request %s for endpoint %q", req.Body, req.Endpoint)
		}
		if !bytes.Equal(req.Forward.Body, body) {
			t.Fatal("forward body differs from the client's")
		}
		if req.Stream && (countTokens || !req.IncludeUsage || ur.StreamOptions == nil || !ur.StreamOptions.IncludeUsage) {
			t.Fatalf("stream without usage: %s", req.Body)
		}
	})
}

// chunkProgram turns fuzz bytes into a unified chunk sequence: each byte pair
// is an operation (text, reasoning, tool-call fragment with or without index,
// id and name, finish, usage, garbage) and its argument. It returns the text
// the client must see and, for each tool call started with an id and name,
// the arguments its tool_use block must accumulate. Calls whose fragments
// interleave with another call or with text are left out: their late
// fragments go to a block already stopped, which the Go SDK's accumulator
// cannot take (see stream.toolCall); no known backend streams them so.
func chunkProgram(prog []byte) ([]string, string, map[int]string) {
	var (
		chunks []string
		text   strings.Builder
	)
	args := map[int]string{}
	named := map[int]bool{}
	interleaved := map[int]bool{}
	last := -1    // the call whose block is open, -1 for none
	lastCall := 0 // the call an index-less fragment joins
	fragment := func(k int, a string) {
		if _, seen := args[k]; seen && last != k {
			interleaved[k] = true
		}
		args[k] += a
		last, lastCall = k, k
	}
	frag := []string{`{"a"`, `:1`, `}`, ``, `"x\n"`, `[`, `\u00e9`, `{}`}
	chunk := func(delta, finish string) {
		chunks = append(chunks, `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":`+delta+`,"finish_reason":`+finish+`}],"usage":null}`)
	}
	for i := 0; i+1 < len(prog); i += 2 {
		op, arg := prog[i]%9, int(prog[i+1])
		k := arg % 3
		switch op {
		case 0:
			last = -1
			s := strings.Repeat("é<\"", arg%3) + strconv.Itoa(arg)
			text.WriteString(s)
			b, _ := json.Marshal(s)
			chunk(`{"content":`+string(b)+`}`, "null")
		case 1: // (closes the open block only when thinking is on; be safe)
			last = -1
			chunk(`{"reasoning_content":"r`+strconv.Itoa(arg)+`"}`, "null")
		case 2: // first fragment of a call: id and name
			named[k] = true
			a := frag[arg%len(frag)]
			fragment(k, a)
			b, _ := json.Marshal(a)
			chunk(`{"tool_calls":[{"index":`+strconv.Itoa(k)+`,"id":"call_`+strconv.Itoa(k)+`","type":"function","function":{"name":"f`+strconv.Itoa(k)+`","arguments":`+string(b)+`}}]}`, "null")
		case 3: // argument fragment
			a := frag[arg%len(frag)]
			fragment(k, a)
			b, _ := json.Marshal(a)
			chunk(`{"tool_calls":[{"index":`+strconv.Itoa(k)+`,"function":{"arguments":`+string(b)+`}}]}`, "null")
		case 4: // a fragment with neither index nor id joins the last call
			chunk(`{"tool_calls":[{"function":{"arguments":"x"}}]}`, "null")
			interleaved[lastCall] = true
		case 5:
			finishes := []string{`"stop"`, `"length"`, `"tool_calls"`, `"content_filter"`, `"weird"`, `null`}
			chunk(`{}`, finishes[arg%len(finishes)])
		case 6:
			chunks = append(chunks, `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":`+strconv.Itoa(arg)+`,"completion_tokens":3,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":`+strconv.Itoa(arg/2)+`}}}`)
		case 7:
			chunks = append(chunks, []string{`garbage`, `{}`, `{"choices":[{"index":1,"delta":{"content":"other choice"}}]}`, `{"choices":null}`}[arg%4])
		case 8:
			last = -1
			text.WriteString("no")
			chunk(`{"refusal":"no"}`, "null")
		}
	}
	// Only calls that started with an id and name have predictable inputs.
	for k := range args {
		if !named[k] || interleaved[k] {
			delete(args, k)
		}
	}
	return chunks, text.String(), args
}

// FuzzStream: any unified chunk sequence gives an event stream the official
// SDK decodes and accumulates without error, that starts with message_start,
// ends with message_stop (or an error event after Fail), and keeps the text.
func FuzzStream(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 5, 0, 6, 40}, false, false)
	f.Add([]byte{2, 0, 3, 0, 3, 1, 3, 2, 2, 1, 3, 4, 5, 2, 6, 50}, false, false)
	f.Add([]byte{1, 0, 1, 1, 0, 5, 2, 0, 0, 7, 3, 0}, true, false)
	f.Add([]byte{2, 0, 2, 1, 3, 0, 3, 1, 4, 0, 7, 2, 8, 0}, false, true)
	f.Add([]byte{}, false, false)
	in := anthropic.New()
	f.Fuzz(func(t *testing.T, prog []byte, thinking, fail bool) {
		checkStream(t, in, prog, thinking, fail)
	})
}

// checkStream runs one chunk program through the encoder and the SDK.
func checkStream(t *testing.T, in *anthropic.Ingress, prog []byte, thinking, fail bool) {
	t.Helper()
	chunks, text, args := chunkProgram(prog)
	body := `{"model":"ep","max_tokens":100,"messages":[{"role":"user","content":"x"}],"stream":true}`
	if thinking {
		body = `{"model":"ep","max_tokens":100,"messages":[{"role":"user","content":"x"}],"stream":true,"thinking":{"type":"enabled","budget_tokens":50}}`
	}
	req, perr := in.ParseRequest([]byte(body), dialect.Params{Method: anthropic.MethodMessages})
	if perr != nil {
		t.Fatal(perr)
	}
	enc := in.NewStream(req)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, c := range chunks {
		if err := enc.Chunk(w, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if fail {
		if err := enc.Fail(w, &providers.Error{Status: 502, Message: "boom"}); err != nil {
			t.Fatal(err)
		}
	} else if err := enc.End(w); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()

	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(buf.Bytes())), Request: &http.Request{Method: "POST"}}
	stream := ssestream.NewStream[sdk.MessageStreamEventUnion](ssestream.NewDecoder(res), nil)
	var (
		msg   sdk.Message
		types []string
	)
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("Accumulate(%s): %v\n%s", ev.Type, err, buf.Bytes())
		}
	}
	if fail {
		if stream.Err() == nil {
			t.Fatalf("Fail did not surface as an error\n%s", buf.Bytes())
		}
		if len(types) == 0 {
			return // failed before any chunk began the message
		}
	} else if stream.Err() != nil {
		t.Fatalf("stream: %v\n%s", stream.Err(), buf.Bytes())
	}
	if len(types) == 0 || types[0] != "message_start" {
		t.Fatalf("events %v", types)
	}
	if !fail && (len(types) < 3 || types[len(types)-1] != "message_stop" || types[len(types)-2] != "message_delta") {
		t.Fatalf("events %v", types)
	}
	var got strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			got.WriteString(b.Text)
		case "thinking":
			if !thinking {
				t.Fatalf("thinking block without thinking enabled\n%s", buf.Bytes())
			}
		case "tool_use":
			k, err := strconv.Atoi(strings.TrimPrefix(b.ID, "call_"))
			want, ok := args[k]
			if err != nil || !ok || !json.Valid([]byte(want)) {
				continue
			}
			if !bytes.Equal(b.Input, []byte(want)) {
				t.Fatalf("tool %s input %s, want %s\n%s", b.ID, b.Input, want, buf.Bytes())
			}
		}
	}
	if !fail && got.String() != text {
		t.Fatalf("text %q, want %q\n%s", got.String(), text, buf.Bytes())
	}
}
