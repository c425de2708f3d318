package geminitest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestValidation pins what the fake rejects, with the real service's
// status and message, so adapter tests that pass against it mean something.
func TestValidation(t *testing.T) {
	s := New("key")
	defer s.Close()
	const gen = "/v1beta/models/gemini-2.5-flash:generateContent"
	user := `{"role":"user","parts":[{"text":"hi"}]}`
	call := `{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]}`
	resp := `{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"x"}}}]}`
	tests := []struct {
		name, path, key, body string
		status                int
		contains              string
	}{
		{"ok", gen, "key", `{"contents":[` + user + `]}`, 200, `"text": "fake: hi"`},
		{"missing key", gen, "", `{"contents":[` + user + `]}`, 403, "unregistered callers"},
		{"bad key", gen, "nope", `{"contents":[` + user + `]}`, 400, "API_KEY_INVALID"},
		{"unknown model", "/v1beta/models/gpt-4o:generateContent", "key", `{"contents":[` + user + `]}`, 404, "models/gpt-4o is not found"},
		{"empty contents", gen, "key", `{"contents":[]}`, 400, "contents is not specified"},
		{"unknown field", gen, "key", `{"contents":[` + user + `],"generationConfig":{"maxTokens":5}}`, 400, `Unknown name \"maxTokens\"`},
		{"bad role", gen, "key", `{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, 400, "valid role"},
		{"empty part", gen, "key", `{"contents":[{"role":"user","parts":[{}]}]}`, 400, "required oneof field 'data'"},
		{"two data fields", gen, "key", `{"contents":[{"role":"user","parts":[{"text":"a","inlineData":{"mimeType":"image/png","data":"AA=="}}]}]}`, 400, "already set"},
		{"response without call", gen, "key", `{"contents":[` + user + `,` + resp + `]}`, 400, "function response turn comes immediately after a function call turn"},
		{"call first", gen, "key", `{"contents":[` + call + `]}`, 400, "function call turn comes immediately after a user turn"},
		{"call and response", gen, "key", `{"contents":[` + user + `,` + call + `,` + resp + `]}`, 200, "fake: got f"},
		{"response count", gen, "key", `{"contents":[` + user + `,{"role":"model","parts":[{"functionCall":{"name":"f"}},{"functionCall":{"name":"f"}}]},` + resp + `]}`, 400, "number of function response parts"},
		{"additionalProperties", gen, "key", `{"contents":[` + user + `],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","additionalProperties":false,"properties":{"a":{"type":"STRING"}}}}]}]}`, 400, `Unknown name \"additionalProperties\"`},
		{"empty object parameters", gen, "key", `{"contents":[` + user + `],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT"}}]}]}`, 400, "should be non-empty for OBJECT type"},
		{"allowed names need ANY", gen, "key", `{"contents":[` + user + `],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO","allowedFunctionNames":["f"]}}}`, 400, "only be set when mode is ANY"},
		{"gs uri on AI Studio", gen, "key", `{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"image/png","fileUri":"gs://b/x.png"}}]}]}`, 400, "unsupported file uri"},
		{"embedding model cannot chat", "/v1beta/models/text-embedding-004:generateContent", "key", `{"contents":[` + user + `]}`, 404, "not supported for generateContent"},
		{"vertex needs a token", "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent", "key", `{"contents":[` + user + `]}`, 401, "UNAUTHENTICATED"},
		{"rate limited", "/v1beta/models/gemini-fail-429:generateContent", "key", `{}`, 429, `"retryDelay": "7s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.URL+tt.path, strings.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set("x-goog-api-key", tt.key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
				t.Fatalf("%d %s; want %d containing %q", res.StatusCode, b, tt.status, tt.contains)
			}
			if res.StatusCode >= 400 {
				var e struct {
					Error struct {
						Code   int    `json:"code"`
						Status string `json:"status"`
					} `json:"error"`
				}
				if json.Unmarshal(b, &e) != nil || e.Error.Code != res.StatusCode || e.Error.Status == "" {
					t.Errorf("not a Google error body: %s", b)
				}
			}
		})
	}
}

func TestStreamFraming(t *testing.T) {
	s := New("")
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		strings.NewReader(`{"contents":[{"role":"user","parts":[{"text":"a b"}]}]}`))
	req.Header.Set("x-goog-api-key", "any")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	body := string(b)
	if res.Header.Get("Content-Type") != "text/event-stream" || !strings.HasPrefix(body, "data: {") ||
		!strings.HasSuffix(body, "\r\n\r\n") || strings.Contains(body, "[DONE]") || !strings.Contains(body, `"finishReason":"STOP"`) {
		t.Fatalf("unexpected stream %q", body)
	}
}
