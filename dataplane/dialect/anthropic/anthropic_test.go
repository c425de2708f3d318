package anthropic

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func TestParseRequestErrors(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name, method, body, param, contains string
	}{
		{"empty body", "", ``, "", "empty"},
		{"not JSON", "", `{"model":`, "", "not valid JSON"},
		{"not an object", "", `[1]`, "", "JSON object"},
		{"missing model", "", `{"max_tokens":5,` + msgs + `}`, "model", "model: Field required"},
		{"model not a string", "", `{"model":3,"max_tokens":5,` + msgs + `}`, "model", "valid string"},
		{"empty model", "", `{"model":"","max_tokens":5,` + msgs + `}`, "model", "at least 1 character"},
		{"missing max_tokens", "", `{"model":"m",` + msgs + `}`, "max_tokens", "max_tokens: Field required"},
		{"max_tokens a string", "", `{"model":"m","max_tokens":"5",` + msgs + `}`, "max_tokens", "valid integer"},
		{"max_tokens fractional", "", `{"model":"m","max_tokens":5.5,` + msgs + `}`, "max_tokens", "valid integer"},
		{"max_tokens zero", "", `{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens", "greater than or equal to 1"},
		{"missing messages", "", `{"model":"m","max_tokens":5}`, "messages", "Field required"},
		{"messages not an array", "", `{"model":"m","max_tokens":5,"messages":"hi"}`, "messages", "valid list"},
		{"no messages", "", `{"model":"m","max_tokens":5,"messages":[]}`, "messages", "at least 1 item"},
		{"message not an object", "", `{"model":"m","max_tokens":5,"messages":["hi"]}`, "messages.0", "valid dictionary"},
		{"unknown role", "", `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, "messages.0.role", "'user' or 'assistant'"},
		{"missing role", "", `{"model":"m","max_tokens":5,"messages":[{"content":"x"}]}`, "messages.0.role", "Field required"},
		{"missing content", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user"}]}`, "messages.0.content", "Field required"},
		{"content a number", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]}`, "messages.0.content", "list of content blocks"},
		{"block without type", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages.0.content.0.type", "Field required"},
		{"block not an object", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":["x"]}]}`, "messages.0.content.0", "valid dictionary"},
		{"text not a string", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}`, "messages.0.content.0.text", "valid string"},
		{"text missing", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages.0.content.0.text", "Field required"},
		{"image without source", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, "messages.0.content.0.source", "Field required"},
		{"image without data", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}`, "messages.0.content.0.source.data", "Field required"},
		{"image bad source type", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"ftp"}}]}]}`, "messages.0.content.0.source.type", "ftp"},
		{"tool_use in user turn", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}`, "messages.0.content.0.type", "assistant messages"},
		{"tool_result in assistant turn", "", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"a"}]}]}`, "messages.0.content.0.type", "user messages"},
		{"tool_use without id", "", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]}`, "messages.0.content.0.id", "Field required"},
		{"tool_use input not an object", "", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":[1]}]}]}`, "messages.0.content.0.input", "valid dictionary"},
		{"tool_result without id", "", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages.0.content.0.tool_use_id", "Field required"},
		{"system block not text", "", `{"model":"m","max_tokens":5,"system":[{"type":"image"}],` + msgs + `}`, "system.0.type", "'text'"},
		{"system a number", "", `{"model":"m","max_tokens":5,"system":1,` + msgs + `}`, "system", "valid string or a list"},
		{"tool without schema", "", `{"model":"m","max_tokens":5,"tools":[{"name":"f"}],` + msgs + `}`, "tools.0.input_schema", "Field required"},
		{"tool without name", "", `{"model":"m","max_tokens":5,"tools":[{"input_schema":{}}],` + msgs + `}`, "tools.0.name", "Field required"},
		{"tools not a list", "", `{"model":"m","max_tokens":5,"tools":{},` + msgs + `}`, "tools", "valid list"},
		{"tool_choice unknown", "", `{"model":"m","max_tokens":5,"tool_choice":{"type":"maybe"},` + msgs + `}`, "tool_choice.type", "'auto'"},
		{"tool_choice tool unknown", "", `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"g"},` + msgs + `}`, "tool_choice.name", `"g"`},
		{"tool_choice tool without name", "", `{"model":"m","max_tokens":5,"tool_choice":{"type":"tool"},` + msgs + `}`, "tool_choice.name", "Field required"},
		{"stop_sequences not strings", "", `{"model":"m","max_tokens":5,"stop_sequences":[1],` + msgs + `}`, "stop_sequences.0", "valid string"},
		{"temperature a string", "", `{"model":"m","max_tokens":5,"temperature":"hot",` + msgs + `}`, "temperature", "valid number"},
		{"stream a string", "", `{"model":"m","max_tokens":5,"stream":"yes",` + msgs + `}`, "stream", "valid boolean"},
		{"thinking without budget", "", `{"model":"m","max_tokens":5,"thinking":{"type":"enabled"},` + msgs + `}`, "thinking.budget_tokens", "Field required"},
		{"thinking unknown type", "", `{"model":"m","max_tokens":5,"thinking":{"type":"on"},` + msgs + `}`, "thinking.type", "'enabled'"},
		{"metadata user_id a number", "", `{"model":"m","max_tokens":5,"metadata":{"user_id":1},` + msgs + `}`, "metadata.user_id", "valid string"},
		{"output format not a schema", "", `{"model":"m","max_tokens":5,"output_config":{"format":{"type":"text"}},` + msgs + `}`, "output_config.format.type", "json_schema"},
		{"count_tokens still needs model", "count_tokens", `{` + msgs + `}`, "model", "Field required"},
	}
	in := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = MethodMessages
			}
			req, perr := in.ParseRequest([]byte(tt.body), dialect.Params{Method: method})
			if perr == nil {
				t.Fatalf("accepted: %s", req.Body)
			}
			if perr.Status != 400 || perr.Type != "invalid_request_error" || perr.Param != tt.param || !strings.Contains(perr.Message, tt.contains) {
				t.Fatalf("got %d %s param %q %q; want param %q containing %q", perr.Status, perr.Type, perr.Param, perr.Message, tt.param, tt.contains)
			}
			var body struct {
				Type  string `json:"type"`
				Error struct{ Type, Message string }
			}
			if err := json.Unmarshal(in.Error(perr), &body); err != nil || body.Type != "error" || body.Error.Type != "invalid_request_error" || body.Error.Message != perr.Message {
				t.Fatalf("error body %s: %v", in.Error(perr), err)
			}
		})
	}
}

func TestParseRequestAcceptsWhatItDoesNotTranslate(t *testing.T) {
	// Unknown fields and block types newer than this gateway must not fail a
	// request that may be forwarded natively.
	body := `{"model":"m","max_tokens":5,"top_k":3,"service_tier":"auto","container":"c","brand_new":{"x":1},
	 "messages":[{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[{"type":"text","text":"x"}]},{"type":"future_block","weird":[1]}]}]}`
	req, perr := New().ParseRequest([]byte(body), dialect.Params{Method: MethodMessages})
	if perr != nil {
		t.Fatal(perr)
	}
	st := req.State.(*State)
	if len(st.Dropped) != 2 {
		t.Errorf("dropped %v", st.Dropped)
	}
	var ur unified.ChatRequest
	if err := json.Unmarshal(req.Body, &ur); err != nil || len(ur.Messages) != 1 || ur.Messages[0].Role != "user" {
		t.Errorf("unified %s: %v", req.Body, err)
	}
}

func TestLongUserIDIsHashed(t *testing.T) {
	long := "user_" + strings.Repeat("ab", 32) + "_account__session_123e4567-e89b-12d3-a456-426614174000"
	sum := sha256.Sum256([]byte(long))
	for id, want := range map[string]string{"user-42": "user-42", long: hex.EncodeToString(sum[:])} {
		req, perr := New().ParseRequest([]byte(`{"model":"m","max_tokens":5,"metadata":{"user_id":"`+id+`"},"messages":[{"role":"user","content":"x"}]}`),
			dialect.Params{Method: MethodMessages})
		if perr != nil {
			t.Fatal(perr)
		}
		var ur unified.ChatRequest
		if err := json.Unmarshal(req.Body, &ur); err != nil {
			t.Fatal(err)
		}
		if ur.User != want {
			t.Errorf("user %q for %q, want %q", ur.User, id, want)
		}
	}
}

func TestParseRequestUnknownMethod(t *testing.T) {
	_, perr := New().ParseRequest([]byte(`{}`), dialect.Params{Method: "batches"})
	if perr == nil || perr.Status != 404 {
		t.Fatalf("got %v", perr)
	}
}

func TestErrorTypes(t *testing.T) {
	tests := map[int]string{
		400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
		404: "not_found_error", 405: "invalid_request_error", 408: "timeout_error", 409: "invalid_request_error",
		413: "request_too_large", 422: "invalid_request_error", 429: "rate_limit_error", 500: "api_error",
		502: "api_error", 503: "overloaded_error", 504: "timeout_error", 529: "overloaded_error",
	}
	for status, want := range tests {
		b := New().Error(&providers.Error{Status: status, Type: "whatever", Message: "m <&> \"q\""})
		var body struct {
			Type  string `json:"type"`
			Error struct{ Type, Message string }
		}
		if err := json.Unmarshal(b, &body); err != nil || body.Type != "error" || body.Error.Type != want || body.Error.Message != `m <&> "q"` {
			t.Errorf("%d: %s (%v), want type %s", status, b, err, want)
		}
	}
	if b := New().Error(&providers.Error{Status: 502}); !strings.Contains(string(b), "Bad Gateway") {
		t.Errorf("empty message: %s", b)
	}
}

// events runs chunks through a stream encoder and returns "name data" lines.
func events(t *testing.T, req *dialect.Request, chunks ...string) []string {
	t.Helper()
	in := testIngress()
	enc := in.NewStream(req)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, c := range chunks {
		if err := enc.Chunk(w, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.End(w); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	var out []string
	for _, ev := range strings.Split(strings.TrimSuffix(buf.String(), "\n\n"), "\n\n") {
		name, data, _ := strings.Cut(ev, "\n")
		out = append(out, strings.TrimPrefix(name, "event: ")+" "+strings.TrimPrefix(data, "data: "))
	}
	return out
}

func TestStreamToolCallEdgeCases(t *testing.T) {
	req := &dialect.Request{State: &State{Model: "m"}}
	chunk := func(delta string) string {
		return `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}`
	}
	t.Run("name arrives after arguments", func(t *testing.T) {
		ev := events(t, req,
			chunk(`{"tool_calls":[{"index":0,"id":"call_1","function":{"arguments":"{\"a\""}}]}`),
			chunk(`{"tool_calls":[{"index":0,"function":{"name":"f","arguments":":1}"}}]}`))
		want := []string{
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"call_1","name":"f","input":{}}}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":1}"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
		}
		if got := ev[2:5]; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s", strings.Join(ev, "\n"))
		}
		if !strings.Contains(ev[5], `"stop_reason":"tool_use"`) {
			t.Errorf("stop reason: %s", ev[5])
		}
	})
	t.Run("calls without index or id", func(t *testing.T) {
		ev := events(t, req,
			chunk(`{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]}`),
			chunk(`{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"{"}}]}`),
			chunk(`{"tool_calls":[{"function":{"arguments":"}"}}]}`),
			chunk(`{"tool_calls":[{"index":5,"function":{"name":"h"}}]}`))
		got := strings.Join(ev, "\n")
		for _, want := range []string{`"index":0,"content_block":{"type":"tool_use","id":"a","name":"f"`,
			`"index":1,"content_block":{"type":"tool_use","id":"b","name":"g"`,
			`"index":1,"delta":{"type":"input_json_delta","partial_json":"}"}`,
			`"index":2,"content_block":{"type":"tool_use","id":"toolu_gen1","name":"h"`} {
			if !strings.Contains(got, want) {
				t.Errorf("missing %s in\n%s", want, got)
			}
		}
	})
	t.Run("reasoning dropped unless thinking was asked for", func(t *testing.T) {
		ev := events(t, req, chunk(`{"reasoning_content":"hmm","content":"ok"}`))
		if got := strings.Join(ev, "\n"); strings.Contains(got, "thinking") || !strings.Contains(got, `"text":"ok"`) {
			t.Errorf("got\n%s", got)
		}
	})
	t.Run("garbage chunks are skipped", func(t *testing.T) {
		ev := events(t, req, `not json`, chunk(`{"content":"ok"}`), `[]`)
		if len(ev) != 7 {
			t.Errorf("got\n%s", strings.Join(ev, "\n"))
		}
	})
}
