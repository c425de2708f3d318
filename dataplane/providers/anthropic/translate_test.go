package anthropic

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func TestFinishReason(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"natural end", "end_turn", "stop"},
		{"stop sequence", "stop_sequence", "stop"},
		{"max tokens", "max_tokens", "length"},
		{"tool use", "tool_use", "tool_calls"},
		{"refusal", "refusal", "content_filter"},
		{"pause turn (server tools) ends the turn", "pause_turn", "stop"},
		{"context window exceeded", "model_context_window_exceeded", "length"},
		{"compaction", "compaction", "length"},
		{"missing", "", "stop"},
		{"unknown future reason", "something_new", "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := finishReason(tt.in); got != tt.want {
				t.Errorf("finishReason(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUsageArithmetic(t *testing.T) {
	tests := []struct {
		name string
		in   usage
		want unified.Usage
	}{
		{"no cache", usage{InputTokens: 10, OutputTokens: 5},
			unified.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: &unified.PromptTokensDetails{}}},
		{"cache read counts as prompt and cached", usage{InputTokens: 10, OutputTokens: 5, CacheReadInputTokens: 100},
			unified.Usage{PromptTokens: 110, CompletionTokens: 5, TotalTokens: 115, PromptTokensDetails: &unified.PromptTokensDetails{CachedTokens: 100}}},
		{"cache write counts as prompt, not cached", usage{InputTokens: 10, OutputTokens: 5, CacheCreationInputTokens: 40},
			unified.Usage{PromptTokens: 50, CompletionTokens: 5, TotalTokens: 55, PromptTokensDetails: &unified.PromptTokensDetails{CacheWriteTokens: 40}}},
		{"both", usage{InputTokens: 3, OutputTokens: 7, CacheReadInputTokens: 1000, CacheCreationInputTokens: 200},
			unified.Usage{PromptTokens: 1203, CompletionTokens: 7, TotalTokens: 1210, PromptTokensDetails: &unified.PromptTokensDetails{CachedTokens: 1000, CacheWriteTokens: 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, *openAIUsage(tt.in)); diff != "" {
				t.Errorf("openAIUsage (-want +got):\n%s", diff)
			}
			g := gatewayUsage(tt.in)
			if g.PromptTokens != tt.want.PromptTokens || g.CompletionTokens != tt.want.CompletionTokens {
				t.Errorf("gatewayUsage = %+v", g)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	const tools = `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	tests := []struct {
		name, body, param, contains string
	}{
		{"temperature above 1 is rejected", `{"messages":[{"role":"user","content":"x"}],"temperature":1.5}`, "temperature", "between 0 and 1"},
		{"several choices", `{"messages":[{"role":"user","content":"x"}],"n":2}`, "n", "one choice"},
		{"no messages", `{"messages":[]}`, "messages", "at least one"},
		{"only a system prompt", `{"messages":[{"role":"system","content":"be nice"}]}`, "messages", "at least one"},
		{"unknown role", `{"messages":[{"role":"function","content":"x"}]}`, "messages", `role "function"`},
		{"audio input", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, "messages", "input_audio"},
		{"file by id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "messages", "file_id"},
		{"image by ftp", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`, "messages", "http(s) URL or a data URI"},
		{"image not base64", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`, "messages", "base64"},
		{"unsupported image type", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}`, "messages", "image/bmp"},
		{"arguments not an object", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages", "JSON object"},
		{"tool call without id", `{"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, "messages", "id and function.name"},
		{"tool result without id", `{"messages":[{"role":"tool","content":"x"}]}`, "messages", "tool_call_id"},
		{"required without tools", `{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`, "tool_choice", "requires tools"},
		{"named tool missing", `{"messages":[{"role":"user","content":"x"}],` + tools + `,"tool_choice":{"type":"function","function":{"name":"g"}}}`, "tool_choice", `"g"`},
		{"non-function tool", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","function":{"name":"f"}}]}`, "tools", "only function tools"},
		{"reserved tool name", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"json_tool_call"}}],"response_format":{"type":"json_object"}}`, "tools", "reserved"},
		{"schema missing", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}`, "response_format", "schema is required"},
		{"unknown response format", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"yaml"}}`, "response_format", "yaml"},
		{"zero max tokens", `{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}`, "max_completion_tokens", "at least 1"},
		{"thinking with a low temperature", `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","temperature":0.2}`, "temperature", "reasoning_effort"},
		{"thinking with a forced tool", `{"messages":[{"role":"user","content":"x"}],` + tools + `,"tool_choice":"required","reasoning_effort":"low"}`, "tool_choice", "forces a tool"},
		{"thinking with structured output", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"reasoning_effort":"low"}`, "response_format", "forces a tool"},
		{"thinking without room", `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"low","max_tokens":1000}`, "max_tokens", "1024"},
		{"unknown effort", `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}`, "reasoning_effort", "extreme"},
		{"not JSON", `{"messages":`, "", "invalid chat request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, perr := buildRequest(&providers.Call{Task: providers.TaskChat, Model: "m", Body: []byte(tt.body)})
			if perr == nil {
				t.Fatal("translation succeeded, want a 400")
			}
			if perr.Status != 400 || perr.Param != tt.param || !strings.Contains(perr.Message, tt.contains) {
				t.Errorf("got %d param=%q %q; want 400 param=%q containing %q", perr.Status, perr.Param, perr.Message, tt.param, tt.contains)
			}
		})
	}
}

func TestSanitizeID(t *testing.T) {
	for in, want := range map[string]string{
		"toolu_01A":     "toolu_01A",
		"call_abc-123":  "call_abc-123",
		"fc.1:2/x":      "fc_1_2_x",
		"function-call": "function-call",
	} {
		if got := sanitizeID(in); got != want {
			t.Errorf("sanitizeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUpstreamError(t *testing.T) {
	body := func(typ, msg string) []byte {
		return []byte(`{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_1"}`)
	}
	tests := []struct {
		name       string
		status     int
		body       []byte
		retryAfter string
		want       providers.Error
	}{
		{"invalid request", 400, body("invalid_request_error", "max_tokens: Field required"), "",
			providers.Error{Status: 400, Type: "invalid_request_error", Code: "invalid_request_error", Message: "max_tokens: Field required"}},
		{"bad key", 401, body("authentication_error", "invalid x-api-key"), "",
			providers.Error{Status: 401, Type: "authentication_error", Code: "authentication_error", Message: "invalid x-api-key"}},
		{"forbidden", 403, body("permission_error", "no access"), "",
			providers.Error{Status: 403, Type: "permission_error", Code: "permission_error", Message: "no access"}},
		{"unknown model", 404, body("not_found_error", "model: claude-x"), "",
			providers.Error{Status: 404, Type: "invalid_request_error", Code: "not_found_error", Message: "model: claude-x"}},
		{"rate limited", 429, body("rate_limit_error", "slow down"), "7",
			providers.Error{Status: 429, Type: "rate_limit_error", Code: "rate_limit_error", Message: "slow down", RetryAfter: "7", Retryable: true}},
		{"server error", 500, body("api_error", "oops"), "",
			providers.Error{Status: 500, Type: "api_error", Code: "api_error", Message: "oops", Retryable: true}},
		{"overloaded 529 becomes 503", 529, body("overloaded_error", "Overloaded"), "",
			providers.Error{Status: 503, Type: "api_error", Code: "overloaded_error", Message: "Overloaded", Retryable: true}},
		{"not JSON", 502, []byte("<html>bad gateway</html>"), "",
			providers.Error{Status: 502, Type: "api_error", Message: "<html>bad gateway</html>", Retryable: true}},
		{"empty body", 500, nil, "",
			providers.Error{Status: 500, Type: "api_error", Message: "anthropic returned status 500", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, *UpstreamError(tt.status, tt.body, tt.retryAfter)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamErrors(t *testing.T) {
	start := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n"
	tests := []struct {
		name, in   string
		wantStatus int
		wantCode   string
	}{
		{"empty body is a truncation", "", 502, "stream_truncated"},
		{"no message_stop", start, 502, "stream_truncated"},
		{"invalid JSON", start + "event: content_block_delta\ndata: {nope\n\n", 502, "invalid_upstream_response"},
		{"rate limit event", start + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"later\"}}\n\n", 429, "rate_limit_error"},
		{"error event without details", "event: error\ndata: {\"type\":\"error\"}\n\n", 500, "api_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStream(strings.NewReader(tt.in), nil, newStreamTranslator(requestInfo{}, "m", 1, false))
			var err error
			for err == nil {
				_, err = s.Next()
			}
			var pe *providers.Error
			if !errors.As(err, &pe) || pe.Status != tt.wantStatus || pe.Code != tt.wantCode {
				t.Fatalf("err = %v, want status %d code %q", err, tt.wantStatus, tt.wantCode)
			}
			if _, again := s.Next(); again != err {
				t.Errorf("a failed stream must keep failing, got %v", again)
			}
		})
	}
}

func TestStreamReportsUsageWithoutUsageChunk(t *testing.T) {
	in := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":10}}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	out, s := relay(strings.NewReader(in), requestInfo{}, false)
	if strings.Contains(string(out), `"choices":[]`) {
		t.Errorf("usage chunk sent to a client that did not ask for it:\n%s", out)
	}
	if u := s.Usage(); u.PromptTokens != 13 || u.CompletionTokens != 9 {
		t.Errorf("Usage() = %+v, want 13/9", u)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("after message_stop Next = %v, want io.EOF", err)
	}
}

func TestMessagesURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "https://api.anthropic.com/v1/messages",
		"https://api.anthropic.com":    "https://api.anthropic.com/v1/messages",
		"https://api.anthropic.com/":   "https://api.anthropic.com/v1/messages",
		"https://api.anthropic.com/v1": "https://api.anthropic.com/v1/messages",
		"http://proxy:8080/anthropic/": "http://proxy:8080/anthropic/v1/messages",
	} {
		if got := messagesURL(in); got != want {
			t.Errorf("messagesURL(%q) = %q, want %q", in, got, want)
		}
	}
}
