package cohere

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"COMPLETE", "stop", true},
		{"STOP_SEQUENCE", "stop", true},
		{"MAX_TOKENS", "length", true},
		{"ERROR_LIMIT", "length", true},
		{"TOOL_CALL", "tool_calls", true},
		{"ERROR_TOXIC", "content_filter", true},
		{"ERROR", "", false},
		{"TIMEOUT", "", false},
		{"", "stop", true},
		{"SOMETHING_NEW", "stop", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := finishReason(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("finishReason(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGenerationError(t *testing.T) {
	if e := generationError("TIMEOUT", ""); e.Status != 504 || !e.Timeout || !e.Retryable {
		t.Errorf("timeout: %+v", e)
	}
	if e := generationError("ERROR", "boom"); e.Status != 502 || e.Message != "cohere stopped the generation with ERROR: boom" {
		t.Errorf("error: %+v", e)
	}
}

func TestUsageArithmetic(t *testing.T) {
	tests := []struct {
		name string
		in   *usage
		want unified.Usage
	}{
		{"absent", nil, unified.Usage{}},
		{"billed units preferred", &usage{BilledUnits: &tokenCounts{10, 4}, Tokens: &tokenCounts{500, 6}},
			unified.Usage{PromptTokens: 10, CompletionTokens: 4, TotalTokens: 14}},
		{"tokens when nothing is billed", &usage{Tokens: &tokenCounts{30, 2}},
			unified.Usage{PromptTokens: 30, CompletionTokens: 2, TotalTokens: 32}},
		{"cached tokens", &usage{BilledUnits: &tokenCounts{20, 1}, CachedTokens: 16},
			unified.Usage{PromptTokens: 20, CompletionTokens: 1, TotalTokens: 21, PromptTokensDetails: &unified.PromptTokensDetails{CachedTokens: 16}}},
		{"empty object", &usage{}, unified.Usage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, toUsage(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpstreamError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		ra     string
		want   providers.Error
	}{
		{"invalid token", 401, `{"id":"x","message":"invalid api token"}`, "",
			providers.Error{Status: 401, Type: "authentication_error", Code: "invalid_api_key", Message: "invalid api token"}},
		{"498 becomes 401", 498, `{"message":"invalid api token"}`, "",
			providers.Error{Status: 401, Type: "authentication_error", Code: "invalid_api_key", Message: "invalid api token"}},
		{"rate limited", 429, `{"message":"You are using a Trial key"}`, "7",
			providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_exceeded", Message: "You are using a Trial key", RetryAfter: "7", Retryable: true}},
		{"bad request", 400, `{"id":"y","message":"invalid request: p must be between 0.01 and 0.99"}`, "",
			providers.Error{Status: 400, Type: "invalid_request_error", Message: "invalid request: p must be between 0.01 and 0.99"}},
		{"not found", 404, `{"message":"model 'x' not found, make sure the correct model ID was used"}`, "",
			providers.Error{Status: 404, Type: "invalid_request_error", Message: "model 'x' not found, make sure the correct model ID was used"}},
		{"server error", 500, `{"message":"internal server error"}`, "",
			providers.Error{Status: 500, Type: "api_error", Message: "internal server error", Retryable: true}},
		{"unavailable, not JSON", 503, `<html>busy</html>`, "",
			providers.Error{Status: 503, Type: "api_error", Message: "<html>busy</html>", Retryable: true}},
		{"499 becomes 502", 499, ``, "",
			providers.Error{Status: 502, Type: "api_error", Message: "cohere returned status 499", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, *upstreamError(tt.status, []byte(tt.body), tt.ra)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestChatRequestRejects(t *testing.T) {
	tests := []struct {
		name, body, param string
	}{
		{"several choices", `{"messages":[{"role":"user","content":"x"}],"n":2}`, "n"},
		{"audio", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`, "messages[0].content"},
		{"function role", `{"messages":[{"role":"function","content":"x","name":"f"}]}`, "messages[0].role"},
		{"tool result without id", `{"messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "messages[0].content"},
		{"named tool missing", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}}`, "tool_choice"},
		{"custom tool", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","function":{"name":"a"}}]}`, "tools[0].type"},
		{"unknown response format", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}`, "response_format.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTranslator(&providers.Call{Model: "m"}, fixedNow).chatRequest([]byte(tt.body), false)
			pe, ok := err.(*providers.Error)
			if !ok || pe.Status != 400 || pe.Param != tt.param {
				t.Fatalf("got %v (%+v), want a 400 on %q", err, pe, tt.param)
			}
		})
	}
}

func TestEmbedRequestRejects(t *testing.T) {
	for _, body := range []string{`{"input":[[1,2,3]]}`, `{"input":[]}`, `{"input":"x","encoding_format":"int8"}`, `{"input":"x","input_type":"image"}`} {
		if _, _, err := newTranslator(&providers.Call{Model: "m"}, fixedNow).embedRequest([]byte(body)); err == nil {
			t.Errorf("%s was accepted", body)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{"": DefaultBaseURL, "https://api.cohere.ai/": "https://api.cohere.ai",
		"https://api.cohere.com/v2": "https://api.cohere.com", "http://127.0.0.1:9/v1/": "http://127.0.0.1:9"} {
		if got := baseURL(&providers.Credential{BaseURL: in}); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", in, got, want)
		}
	}
}
