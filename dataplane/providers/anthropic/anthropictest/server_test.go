package anthropictest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, s *Server, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.BaseURL()+"/v1/messages", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "k")
	req.Header.Set("Anthropic-Version", Version)
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

const (
	user      = `{"role":"user","content":"hi"}`
	toolUse   = `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]}`
	toolTools = `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
)

func TestRejectsWhatTheAPIRejects(t *testing.T) {
	s := New("k")
	defer s.Close()
	tests := []struct {
		name     string
		headers  map[string]string
		body     string
		status   int
		contains string
	}{
		{"missing key", map[string]string{"X-Api-Key": ""}, `{}`, 401, "x-api-key"},
		{"wrong key", map[string]string{"X-Api-Key": "nope"}, `{}`, 401, "invalid x-api-key"},
		{"missing version", map[string]string{"Anthropic-Version": ""}, `{}`, 400, "anthropic-version"},
		{"not JSON", nil, `{`, 400, "invalid JSON"},
		{"missing max_tokens", nil, `{"model":"m","messages":[` + user + `]}`, 400, "max_tokens: Field required"},
		{"missing messages", nil, `{"model":"m","max_tokens":5}`, 400, "messages: Field required"},
		{"empty messages", nil, `{"model":"m","max_tokens":5,"messages":[]}`, 400, "at least one message"},
		{"system role in messages", nil, `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"},` + user + `]}`, 400, "messages.0.role"},
		{"OpenAI-only field", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],"n":1}`, 400, "n: Extra inputs are not permitted"},
		{"temperature above 1", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],"temperature":1.2}`, 400, "temperature"},
		{"empty content", nil, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":""}]}`, 400, "non-empty content"},
		{"empty text block", nil, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, 400, "non-empty"},
		{"OpenAI image part", nil, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "Input tag 'image_url'"},
		{"bad image media type", nil, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AA=="}}]}]}`, 400, "media_type"},
		{"orphan tool_result", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `,{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}`, 400, "unexpected `tool_use_id`"},
		{"tool_use left unanswered", nil, `{"model":"m","max_tokens":5,` + toolTools + `,"messages":[` + user + `,` + toolUse + `,` + user + `]}`, 400, "without `tool_result`"},
		{"tool_result after text", nil, `{"model":"m","max_tokens":5,` + toolTools + `,"messages":[` + user + `,` + toolUse + `,{"role":"user","content":[{"type":"text","text":"a"},{"type":"tool_result","tool_use_id":"toolu_1"}]}]}`, 400, "must come first"},
		{"tool input not an object", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `,{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":"{}"}]}]}`, 400, "valid dictionary"},
		{"OpenAI-shaped tool", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],"tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "tools.0.custom.name"},
		{"duplicate tool names", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],"tools":[{"name":"f","input_schema":{"type":"object"}},{"name":"f","input_schema":{"type":"object"}}]}`, 400, "unique"},
		{"tool_choice names an unknown tool", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],` + toolTools + `,"tool_choice":{"type":"tool","name":"g"}}`, 400, "not found"},
		{"none with parallel flag", nil, `{"model":"m","max_tokens":5,"messages":[` + user + `],` + toolTools + `,"tool_choice":{"type":"none","disable_parallel_tool_use":true}}`, 400, "Extra inputs"},
		{"thinking budget too large", nil, `{"model":"m","max_tokens":2000,"messages":[` + user + `],"thinking":{"type":"enabled","budget_tokens":2000}}`, 400, "greater than `thinking.budget_tokens`"},
		{"thinking with temperature", nil, `{"model":"m","max_tokens":5000,"temperature":0.5,"messages":[` + user + `],"thinking":{"type":"enabled","budget_tokens":1024}}`, 400, "temperature"},
		{"thinking with forced tool", nil, `{"model":"m","max_tokens":5000,"messages":[` + user + `],` + toolTools + `,"tool_choice":{"type":"any"},"thinking":{"type":"enabled","budget_tokens":1024}}`, 400, "forces tool use"},
		{"thinking without the signed block in a tool turn", nil, `{"model":"m","max_tokens":5000,` + toolTools + `,"messages":[` + user + `,` + toolUse + `,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}],"thinking":{"type":"enabled","budget_tokens":1024}}`, 400, "must start with a thinking block"},
		{"failure by model name", nil, `{"model":"fail-529","max_tokens":5,"messages":[` + user + `]}`, 529, "overloaded_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, s, tt.headers, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var e struct {
				Type  string `json:"type"`
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Type != "error" || e.Error.Type == "" {
				t.Fatalf("not an Anthropic error body: %s", body)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body %s does not mention %q", body, tt.contains)
			}
		})
	}
}

func TestAcceptsValidRequests(t *testing.T) {
	s := New("k")
	defer s.Close()
	tests := []struct{ name, body, contains string }{
		{"plain", `{"model":"m","max_tokens":5,"messages":[` + user + `]}`, `"text":"fake: hi"`},
		{"consecutive same roles are merged", `{"model":"m","max_tokens":5,"messages":[` + user + `,{"role":"user","content":"there"}]}`, `"text":"fake: hi there"`},
		{"first message from the assistant", `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"Hello."},` + user + `]}`, `"fake: hi"`},
		{"tool round trip", `{"model":"m","max_tokens":5,` + toolTools + `,"messages":[` + user + `,` + toolUse + `,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"42"}]}]}`, "fake: tool said 42"},
		{"forced tool", `{"model":"m","max_tokens":5,` + toolTools + `,"tool_choice":{"type":"tool","name":"f"},"messages":[` + user + `]}`, `"stop_reason":"tool_use"`},
		{"stop sequence", `{"model":"m","max_tokens":5,"stop_sequences":["i"],"messages":[` + user + `]}`, `"stop_sequence":"i"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, s, nil, tt.body)
			if resp.StatusCode != 200 || !strings.Contains(string(body), tt.contains) {
				t.Fatalf("status %d: %s (want %q)", resp.StatusCode, body, tt.contains)
			}
		})
	}
}

func TestStreamFraming(t *testing.T) {
	s := New("")
	defer s.Close()
	resp, body := post(t, s, nil, `{"model":"tool-text","max_tokens":50,"stream":true,"messages":[`+user+`],`+
		`"tools":[{"name":"f","input_schema":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}}]}`)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var names []string
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	var name string
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "event: "); ok {
			name = n
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			var ev struct{ Type string }
			if err := json.Unmarshal([]byte(d), &ev); err != nil || ev.Type != name {
				t.Fatalf("event %q carries %s", name, d)
			}
			names = append(names, name)
		}
	}
	got := strings.Join(names, ",")
	if !strings.HasPrefix(got, "message_start,ping,content_block_start,content_block_delta") ||
		!strings.HasSuffix(got, "content_block_stop,message_delta,message_stop") {
		t.Errorf("event sequence %s", got)
	}
	if strings.Count(string(body), `"input_json_delta"`) < 4 {
		t.Errorf("tool input should be split across several fragments:\n%s", body)
	}
}
