package gemini

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func TestFinishReason(t *testing.T) {
	tests := []struct {
		reason     string
		calledTool bool
		want       string
	}{
		{"STOP", false, "stop"},
		{"STOP", true, "tool_calls"},
		{"", false, "stop"},
		{"", true, "tool_calls"},
		{"MAX_TOKENS", false, "length"},
		{"MAX_TOKENS", true, "length"},
		{"SAFETY", false, "content_filter"},
		{"RECITATION", false, "content_filter"},
		{"BLOCKLIST", false, "content_filter"},
		{"PROHIBITED_CONTENT", false, "content_filter"},
		{"SPII", false, "content_filter"},
		{"IMAGE_SAFETY", false, "content_filter"},
		{"IMAGE_PROHIBITED_CONTENT", false, "content_filter"},
		{"IMAGE_RECITATION", false, "content_filter"},
		{"SAFETY", true, "content_filter"},
		{"OTHER", false, "stop"},
		{"LANGUAGE", false, "stop"},
		{"MALFORMED_FUNCTION_CALL", false, "stop"},
		{"UNEXPECTED_TOOL_CALL", true, "tool_calls"},
		{"TOO_MANY_TOOL_CALLS", false, "stop"},
		{"FINISH_REASON_UNSPECIFIED", false, "stop"},
		{"SOMETHING_NEW", false, "stop"},
	}
	for _, tt := range tests {
		if got := finishReason(tt.reason, tt.calledTool); got != tt.want {
			t.Errorf("finishReason(%q, %v) = %q, want %q", tt.reason, tt.calledTool, got, tt.want)
		}
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		in   *usageMetadata
		want *unified.Usage
	}{
		{"absent", nil, nil},
		{"plain", &usageMetadata{PromptTokenCount: 9, CandidatesTokenCount: 3, TotalTokenCount: 12},
			&unified.Usage{PromptTokens: 9, CompletionTokens: 3, TotalTokens: 12,
				PromptTokensDetails: &unified.PromptTokensDetails{}, CompletionTokensDetails: &unified.CompletionTokensDetails{}}},
		{"thoughts count as completion and reasoning", &usageMetadata{PromptTokenCount: 10, CandidatesTokenCount: 5, ThoughtsTokenCount: 20, TotalTokenCount: 35},
			&unified.Usage{PromptTokens: 10, CompletionTokens: 25, TotalTokens: 35,
				PromptTokensDetails: &unified.PromptTokensDetails{}, CompletionTokensDetails: &unified.CompletionTokensDetails{ReasoningTokens: 20}}},
		{"cached tokens are part of the prompt", &usageMetadata{PromptTokenCount: 100, CachedContentTokenCount: 80, CandidatesTokenCount: 1, TotalTokenCount: 101},
			&unified.Usage{PromptTokens: 100, CompletionTokens: 1, TotalTokens: 101,
				PromptTokensDetails: &unified.PromptTokensDetails{CachedTokens: 80}, CompletionTokensDetails: &unified.CompletionTokensDetails{}}},
		{"tool-use prompt tokens count as prompt", &usageMetadata{PromptTokenCount: 10, ToolUsePromptTokenCount: 7, CandidatesTokenCount: 2, TotalTokenCount: 19},
			&unified.Usage{PromptTokens: 17, CompletionTokens: 2, TotalTokens: 19,
				PromptTokensDetails: &unified.PromptTokensDetails{}, CompletionTokensDetails: &unified.CompletionTokensDetails{}}},
		{"missing total is the sum", &usageMetadata{PromptTokenCount: 4, CandidatesTokenCount: 6},
			&unified.Usage{PromptTokens: 4, CompletionTokens: 6, TotalTokens: 10,
				PromptTokensDetails: &unified.PromptTokensDetails{}, CompletionTokensDetails: &unified.CompletionTokensDetails{}}},
		{"a larger upstream total wins", &usageMetadata{PromptTokenCount: 4, CandidatesTokenCount: 6, TotalTokenCount: 15},
			&unified.Usage{PromptTokens: 4, CompletionTokens: 6, TotalTokens: 15,
				PromptTokensDetails: &unified.PromptTokensDetails{}, CompletionTokensDetails: &unified.CompletionTokensDetails{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, toUsage(tt.in)); diff != "" {
				t.Errorf("toUsage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpstreamError(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		retryAfter string
		want       providers.Error
	}{
		{"invalid argument", 400, `{"error":{"code":400,"message":"* GenerateContentRequest.contents: contents is not specified\n","status":"INVALID_ARGUMENT"}}`, "",
			providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_argument", Message: "* GenerateContentRequest.contents: contents is not specified\n"}},
		{"bad API key becomes 401", 400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, "",
			providers.Error{Status: 401, Type: "authentication_error", Code: "invalid_api_key", Message: "API key not valid. Please pass a valid API key."}},
		{"rate limited with RetryInfo", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"36.5s"}]}}`, "",
			providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_exceeded", Message: "quota", RetryAfter: "37", Retryable: true}},
		{"Retry-After header wins", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"retryDelay":"36s"}]}}`, "5",
			providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_exceeded", Message: "quota", RetryAfter: "5", Retryable: true}},
		{"overloaded", 503, `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`, "",
			providers.Error{Status: 503, Type: "api_error", Code: "unavailable", Message: "The model is overloaded. Please try again later.", Retryable: true}},
		{"unknown model", 404, `{"error":{"code":404,"message":"models/nope is not found for API version v1beta","status":"NOT_FOUND"}}`, "",
			providers.Error{Status: 404, Type: "invalid_request_error", Code: "model_not_found", Message: "models/nope is not found for API version v1beta"}},
		{"array form", 500, `[{"error":{"code":500,"message":"internal","status":"INTERNAL"}}]`, "",
			providers.Error{Status: 500, Type: "api_error", Code: "internal", Message: "internal", Retryable: true}},
		{"not JSON", 502, `<html>Bad Gateway</html>`, "",
			providers.Error{Status: 502, Type: "api_error", Message: "<html>Bad Gateway</html>", Retryable: true}},
		{"empty body", 504, ``, "",
			providers.Error{Status: 504, Type: "timeout_error", Message: "gemini returned status 504", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := upstreamError(tt.status, []byte(tt.body), tt.retryAfter)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("upstreamError (-want +got):\n%s", diff)
			}
		})
	}
}

func TestURL(t *testing.T) {
	studio, vertex := New(Options{}), NewVertex(Options{})
	vopts := func(project, location string) map[string]string {
		return map[string]string{OptionProject: project, OptionLocation: location}
	}
	tests := []struct {
		name    string
		a       *Adapter
		cred    providers.Credential
		model   string
		method  string
		want    string
		wantErr string
	}{
		{"studio default", studio, providers.Credential{}, "gemini-2.5-flash", "generateContent",
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", ""},
		{"studio models/ prefix and stream", studio, providers.Credential{}, "models/gemini-2.5-flash", "streamGenerateContent?alt=sse",
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", ""},
		{"studio base URL override", studio, providers.Credential{BaseURL: "http://127.0.0.1:9/"}, "gemini-x", "embedContent",
			"http://127.0.0.1:9/v1beta/models/gemini-x:embedContent", ""},
		{"studio base URL with version", studio, providers.Credential{BaseURL: "https://proxy.example/gemini/v1"}, "gemini-x", "generateContent",
			"https://proxy.example/gemini/v1/models/gemini-x:generateContent", ""},
		{"studio escapes the model", studio, providers.Credential{}, "a/b?c", "generateContent",
			"https://generativelanguage.googleapis.com/v1beta/models/a%2Fb%3Fc:generateContent", ""},
		{"vertex regional", vertex, providers.Credential{Options: vopts("my-proj", "us-central1")}, "gemini-2.5-pro", "generateContent",
			"https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent", ""},
		{"vertex global", vertex, providers.Credential{Options: vopts("my-proj", "global")}, "gemini-2.5-pro", "streamGenerateContent?alt=sse",
			"https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse", ""},
		{"vertex base URL override", vertex, providers.Credential{BaseURL: "http://127.0.0.1:9", Options: vopts("p", "europe-west4")}, "text-embedding-005", "predict",
			"http://127.0.0.1:9/v1/projects/p/locations/europe-west4/publishers/google/models/text-embedding-005:predict", ""},
		{"vertex publisher prefix", vertex, providers.Credential{Options: vopts("p", "global")}, "publishers/google/models/gemini-2.5-pro", "generateContent",
			"https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:generateContent", ""},
		{"vertex without project", vertex, providers.Credential{Name: "gcp", Options: map[string]string{OptionLocation: "global"}}, "m", "generateContent",
			"", `vertex-ai credential "gcp" has no project`},
		{"vertex without location", vertex, providers.Credential{Name: "gcp", Options: map[string]string{OptionProject: "p"}}, "m", "generateContent",
			"", `vertex-ai credential "gcp" has no location`},
		{"vertex location cannot change the host", vertex, providers.Credential{Options: vopts("p", "evil.com/x")}, "m", "generateContent",
			"", "invalid location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.url(&tt.cred, tt.model, tt.method)
			if tt.wantErr != "" {
				pe, ok := err.(*providers.Error)
				if !ok || pe.Status != 500 || pe.Retryable || !strings.Contains(pe.Message, tt.wantErr) {
					t.Fatalf("err = %v, want a non-retryable 500 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("url = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestConvertSchema(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"type names and dropped keys", `{"$schema":"x","type":"object","additionalProperties":false,"properties":{"a":{"type":"string","format":"uri"}},"required":["a"]}`,
			`{"properties":{"a":{"type":"STRING"}},"required":["a"],"type":"OBJECT"}`},
		{"nullable type array", `{"type":["integer","null"],"format":"int64"}`, `{"format":"int64","nullable":true,"type":"INTEGER"}`},
		{"several types become anyOf", `{"type":["string","number"]}`, `{"anyOf":[{"type":"STRING"},{"type":"NUMBER"}]}`},
		{"oneOf with null folds", `{"oneOf":[{"type":"null"},{"type":"boolean"}]}`, `{"nullable":true,"type":"BOOLEAN"}`},
		{"allOf merges", `{"allOf":[{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},{"properties":{"b":{"type":"integer"}}}]}`,
			`{"properties":{"a":{"type":"STRING"},"b":{"type":"INTEGER"}},"required":["a"],"type":"OBJECT"}`},
		{"recursive ref stops", `{"$defs":{"Node":{"type":"object","properties":{"next":{"$ref":"#/$defs/Node"}}}},"$ref":"#/$defs/Node"}`,
			`{"properties":{"next":{"type":"OBJECT"}},"type":"OBJECT"}`},
		{"unknown ref is any", `{"type":"object","properties":{"x":{"$ref":"https://example.com/s.json"}}}`, `{"properties":{"x":{}},"type":"OBJECT"}`},
		{"properties only on objects", `{"type":"string","properties":{"a":{}},"items":{"type":"string"}}`, `{"type":"STRING"}`},
		{"items imply an array", `{"items":{"type":"number","format":"float"},"minItems":1}`, `{"items":{"format":"float","type":"NUMBER"},"minItems":1,"type":"ARRAY"}`},
		{"const and examples", `{"const":"x","examples":["x"]}`, `{"enum":["x"],"example":"x","type":"STRING"}`},
		{"non-string enum dropped", `{"type":"number","enum":[1.5,2]}`, `{"type":"NUMBER"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := convertSchema(json.RawMessage(tt.in), false)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(s)
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`[1]`, `{"a":`, `"x"`} {
		if _, err := convertSchema(json.RawMessage(bad), false); err == nil {
			t.Errorf("convertSchema(%s) succeeded", bad)
		}
	}
	deep := strings.Repeat(`{"type":"array","items":`, 200) + `{}` + strings.Repeat(`}`, 200)
	if _, err := convertSchema(json.RawMessage(deep), false); err == nil {
		t.Errorf("a 200-level schema was accepted")
	}
}

func TestResponseIDs(t *testing.T) {
	r := &generateContentResponse{Candidates: []candidate{{Content: &content{Parts: []part{
		{FunctionCall: &functionCall{Name: "f", Args: json.RawMessage(`{}`)}},
		{FunctionCall: &functionCall{Name: "f"}},
	}}, FinishReason: "STOP"}}}
	a := translateResponse(r, "m", 1)
	b := translateResponse(r, "m", 1)
	if !strings.HasPrefix(a.ID, "chatcmpl-") || a.ID == b.ID {
		t.Errorf("ids without a responseId should be random: %q %q", a.ID, b.ID)
	}
	calls := a.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[0].ID == calls[1].ID || calls[1].Function.Arguments != "{}" {
		t.Errorf("tool calls = %+v", calls)
	}
	if a.Choices[0].Message.Content != nil || a.Choices[0].FinishReason != "tool_calls" || a.Model != "m" {
		t.Errorf("choice = %+v", a.Choices[0])
	}
}

func TestToolResultsNeedTheirCall(t *testing.T) {
	body := `{"messages":[{"role":"user","content":"x"},{"role":"function","name":"legacy","content":"1"}]}`
	var req unified.ChatRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	out, err := translateRequest(context.Background(), &req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fr := out.Contents[0].Parts[1].FunctionResponse; fr == nil || fr.Name != "legacy" {
		t.Errorf("a legacy function message is answered by its name: %+v", out.Contents)
	}
}
