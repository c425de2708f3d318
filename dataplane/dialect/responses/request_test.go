package responses

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		name, body      string
		param, contains string
	}{
		{"empty body", ``, "", "empty"},
		{"invalid JSON", `{"model":`, "", "not valid JSON"},
		{"not an object", `[1]`, "", "JSON object"},
		{"missing model", `{"input":"hi"}`, "model", "Missing required parameter: 'model'"},
		{"model not a string", `{"model":7,"input":"hi"}`, "model", "expected a string, but got an integer"},
		{"duplicate model", `{"model":"o1-pro","input":"hi","mod\u0065l":"my-endpoint"}`, "model", "Duplicate parameter"},
		{"model in another case", `{"model":"a","Model":"b","input":"hi"}`, "model", "Duplicate parameter"},
		{"empty model", `{"model":"","input":"hi"}`, "model", "empty string"},
		{"missing input", `{"model":"m"}`, "input", "Missing required parameter: 'input'"},
		{"input a number", `{"model":"m","input":1.5}`, "input", "expected a string or an array, but got a decimal"},
		{"item not an object", `{"model":"m","input":["hi"]}`, "input[0]", "expected an object"},
		{"item without type or role", `{"model":"m","input":[{"content":"hi"}]}`, "input[0].type", "Missing required"},
		{"unknown role", `{"model":"m","input":[{"role":"tool","content":"hi"}]}`, "input[0].role", "Supported values are: 'user', 'assistant', 'system', 'developer'"},
		{"message without content", `{"model":"m","input":[{"role":"user"}]}`, "input[0].content", "Missing required"},
		{"content an object", `{"model":"m","input":[{"role":"user","content":{}}]}`, "input[0].content", "a string or an array"},
		{"part without type", `{"model":"m","input":[{"role":"user","content":[{"text":"x"}]}]}`, "input[0].content[0].type", "Missing required"},
		{"input_text without text", `{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}`, "input[0].content[0].text", "Missing required"},
		{"input_image without source", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","detail":"auto"}]}]}`, "input[0].content[0].image_url", "Missing required"},
		{"input_file without source", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","filename":"a.pdf"}]}]}`, "input[0].content[0].file_data", "Missing required"},
		{"function_call without call_id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "Missing required"},
		{"function_call arguments an object", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`, "input[0].arguments", "expected a string, but got an object"},
		{"orphan output", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":"x"}]}`, "input", "No tool call found for function call output with call_id c."},
		{"output missing", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c"}]}`, "input[1].output", "Missing required"},
		{"tools an object", `{"model":"m","input":"x","tools":{}}`, "tools", "expected an array"},
		{"tool without type", `{"model":"m","input":"x","tools":[{"name":"f"}]}`, "tools[0].type", "Missing required"},
		{"function tool without name", `{"model":"m","input":"x","tools":[{"type":"function"}]}`, "tools[0].name", "Missing required"},
		{"function tool parameters a string", `{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":"{}"}]}`, "tools[0].parameters", "expected an object"},
		{"tool_choice unknown", `{"model":"m","input":"x","tool_choice":"any"}`, "tool_choice", "Supported values are: 'none', 'auto', 'required'"},
		{"tool_choice function without name", `{"model":"m","input":"x","tool_choice":{"type":"function"}}`, "tool_choice.name", "Missing required"},
		{"allowed_tools bad mode", `{"model":"m","input":"x","tool_choice":{"type":"allowed_tools","mode":"none","tools":[]}}`, "tool_choice.mode", "'auto', 'required'"},
		{"json_schema without name", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","schema":{}}}}`, "text.format.name", "Missing required"},
		{"json_schema without schema", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"s"}}}`, "text.format.schema", "Missing required"},
		{"max_output_tokens zero", `{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens", "below minimum"},
		{"max_output_tokens a string", `{"model":"m","input":"x","max_output_tokens":"5"}`, "max_output_tokens", "expected an integer, but got a string"},
		{"max_output_tokens a fraction", `{"model":"m","input":"x","max_output_tokens":2.5}`, "max_output_tokens", "expected an integer, but got a decimal"},
		{"temperature a string", `{"model":"m","input":"x","temperature":"hot"}`, "temperature", "expected a decimal, but got a string"},
		{"stream a string", `{"model":"m","input":"x","stream":"yes"}`, "stream", "expected a boolean"},
		{"metadata an array", `{"model":"m","input":"x","metadata":[]}`, "metadata", "expected an object"},
		{"reasoning effort a number", `{"model":"m","input":"x","reasoning":{"effort":1}}`, "reasoning.effort", "expected a string"},
		{"instructions an array", `{"model":"m","input":"x","instructions":["a"]}`, "instructions", "expected a string"},
		{"background a string", `{"model":"m","input":"x","background":"true"}`, "background", "expected a boolean"},
	}
	in := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, perr := in.ParseRequest([]byte(tt.body), dialect.Params{Method: Method})
			if perr == nil {
				t.Fatalf("accepted: %s", req.Body)
			}
			if perr.Status != 400 || perr.Type != "invalid_request_error" {
				t.Errorf("status %d type %q", perr.Status, perr.Type)
			}
			if perr.Param != tt.param {
				t.Errorf("param %q, want %q", perr.Param, tt.param)
			}
			if !strings.Contains(perr.Message, tt.contains) {
				t.Errorf("message %q does not contain %q", perr.Message, tt.contains)
			}
		})
	}
}

func TestParseRequestUnknownMethod(t *testing.T) {
	_, perr := New().ParseRequest([]byte(`{"model":"m","input":"x"}`), dialect.Params{Method: "responses/compact"})
	if perr == nil || perr.Status != 404 {
		t.Fatalf("got %v, want a 404", perr)
	}
}

// TestNativeOnly: OpenAI-only features are accepted (an OpenAI-backed
// endpoint forwards them) but refused in translation.
func TestNativeOnly(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"previous_response_id without input", `{"model":"m","previous_response_id":"resp_1"}`, []string{"previous_response_id"}},
		{"conversation with an orphan output", `{"model":"m","conversation":"conv_1","input":[{"type":"function_call_output","call_id":"c","output":"x"}]}`, []string{"conversation"}},
		{"prompt", `{"model":"m","prompt":{"id":"pmpt_1"},"input":"x"}`, []string{"prompt"}},
		{"background", `{"model":"m","background":true,"input":"x"}`, []string{"background"}},
		{"hosted tools", `{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["vs_1"]},{"type":"custom","name":"grammar"}]}`,
			[]string{"tools[0] (file_search)", "tools[1] (custom)"}},
		{"allowed hosted tool", `{"model":"m","input":"x","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"web_search"}]}}`,
			[]string{"tool_choice.tools[0] (web_search)"}},
		{"file by id and url", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"},{"type":"input_file","file_url":"https://x/a.pdf"}]}]}`,
			[]string{"input[0].content[0].file_id", "input[0].content[1].file_url"}},
		{"image in a system message", `{"model":"m","input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x/a.png"}]}]}`,
			[]string{"input[0].content[0] (image_url in a system message)"}},
		{"hosted tool call items", `{"model":"m","input":[{"type":"web_search_call","id":"ws_1","status":"completed"},{"type":"mcp_call","id":"mcp_1"}]}`,
			[]string{"input[0] (web_search_call)", "input[1] (mcp_call)"}},
		{"unknown part", `{"model":"m","input":[{"role":"user","content":[{"type":"input_video","video_url":"x"}]}]}`,
			[]string{"input[0].content[0] (input_video)"}},
		{"grammar format", `{"model":"m","input":"x","text":{"format":{"type":"grammar","grammar":"..."}}}`, []string{"text.format (grammar)"}},
	}
	in := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, perr := in.ParseRequest([]byte(tt.body), dialect.Params{Method: Method})
			if perr != nil {
				t.Fatalf("refused: %v", perr)
			}
			got := req.State.(*State).NativeOnly
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("native only %q, want %q", got, tt.want)
			}
			e := in.CheckTranslate(req)
			if e == nil || e.Status != 400 || !strings.Contains(e.Message, "needs an OpenAI-backed endpoint") || e.Param == "" {
				t.Fatalf("CheckTranslate = %+v", e)
			}
			if _, err := in.Response(req, []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}`)); err == nil {
				t.Errorf("a translated answer was rendered")
			}
		})
	}
	req, perr := in.ParseRequest([]byte(`{"model":"m","input":"x","tools":[{"type":"function","name":"f"}],"previous_response_id":null,"background":false}`), dialect.Params{Method: Method})
	if perr != nil {
		t.Fatal(perr)
	}
	if e := in.CheckTranslate(req); e != nil {
		t.Errorf("a plain request cannot be translated: %v", e)
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		e    providers.Error
		want string
	}{
		{providers.Error{Status: 404, Type: "invalid_request_error", Param: "model", Code: "model_not_found", Message: `endpoint "x" does not exist`},
			`{"error":{"message":"endpoint \"x\" does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}`},
		{providers.Error{Status: 429, Message: "slow down <now>"},
			`{"error":{"message":"slow down <now>","type":"rate_limit_error","param":null,"code":null}}`},
		{providers.Error{Status: 502},
			`{"error":{"message":"Bad Gateway","type":"api_error","param":null,"code":null}}`},
	}
	for _, tt := range tests {
		got := string(New().Error(&tt.e))
		if got != tt.want {
			t.Errorf("Error(%+v) = %s, want %s", tt.e, got, tt.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("invalid JSON %s", got)
		}
	}
}

// TestStreamWithoutChunks: a stream that ends or fails before any chunk
// still gives the client a well-formed sequence.
func TestStreamWithoutChunks(t *testing.T) {
	in := testIngress()
	req := parse(t, in, []byte(`{"model":"m","input":"x","stream":true}`))
	out := string(encodeTranscript(t, in.NewStream(req), []byte("data: [DONE]\n")))
	for _, ev := range []string{"response.created", "response.in_progress", "response.output_item.added", "response.output_text.done", "response.completed"} {
		if !strings.Contains(out, "event: "+ev+"\n") {
			t.Errorf("no %s in\n%s", ev, out)
		}
	}
	out = string(encodeTranscript(t, in.NewStream(req), []byte(`data: {"error":{"message":"boom","status":429}}`+"\n")))
	if !strings.Contains(out, "event: error\n") || !strings.Contains(out, `"code":"rate_limit_exceeded"`) || !strings.Contains(out, "event: response.failed\n") {
		t.Errorf("unexpected failure sequence:\n%s", out)
	}
}
