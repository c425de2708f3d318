package bedrock

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

func TestFinishReason(t *testing.T) {
	tests := []struct{ in, want string }{
		{"end_turn", "stop"},
		{"stop_sequence", "stop"},
		{"max_tokens", "length"},
		{"model_context_window_exceeded", "length"},
		{"tool_use", "tool_calls"},
		{"guardrail_intervened", "content_filter"},
		{"content_filtered", "content_filter"},
		{"malformed_model_output", "stop"},
		{"malformed_tool_use", "stop"},
		{"", "stop"},
		{"something_new", "stop"},
	}
	for _, tt := range tests {
		if got := finishReason(tt.in); got != tt.want {
			t.Errorf("finishReason(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConvertUsage(t *testing.T) {
	tests := []struct {
		name string
		in   *tokenUsage
		want *unified.Usage
	}{
		{"absent", nil, nil},
		{"plain", &tokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15},
			&unified.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: &unified.PromptTokensDetails{}}},
		{"cache reads and writes are prompt tokens", &tokenUsage{InputTokens: 5, OutputTokens: 3, TotalTokens: 1508, CacheReadInputTokens: 1200, CacheWriteInputTokens: 300},
			&unified.Usage{PromptTokens: 1505, CompletionTokens: 3, TotalTokens: 1508,
				PromptTokensDetails: &unified.PromptTokensDetails{CachedTokens: 1200, CacheWriteTokens: 300}}},
		{"only output", &tokenUsage{OutputTokens: 7},
			&unified.Usage{CompletionTokens: 7, TotalTokens: 7, PromptTokensDetails: &unified.PromptTokensDetails{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convertUsage(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got != nil && got.TotalTokens != got.PromptTokens+got.CompletionTokens {
				t.Errorf("total %d != prompt %d + completion %d", got.TotalTokens, got.PromptTokens, got.CompletionTokens)
			}
			if m := metricsUsage(got); got != nil && (m.PromptTokens != got.PromptTokens || m.CompletionTokens != got.CompletionTokens) {
				t.Errorf("metrics usage %+v", m)
			}
		})
	}
}

func TestTranslateRejects(t *testing.T) {
	tests := []struct {
		name, body, param, contains string
	}{
		{"not JSON", `{"messages":`, "", "invalid chat request"},
		{"n > 1", `{"n":2,"messages":[{"role":"user","content":"hi"}]}`, "n", "n > 1"},
		{"unknown role", `{"messages":[{"role":"function","content":"x"}]}`, "messages[0].role", `role "function"`},
		{"tool message without id", `{"messages":[{"role":"user","content":"a"},{"role":"tool","content":"x"}]}`, "messages[1].tool_call_id", "tool_call_id"},
		{"arguments not an object", `{"messages":[{"role":"user","content":"a"},{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`,
			"messages[1].tool_calls[0].function.arguments", "JSON object"},
		{"tool call without name", `{"messages":[{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"arguments":"{}"}}]}]}`,
			"messages[0].tool_calls[0]", "function.name"},
		{"audio", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`,
			"messages[0].content[0].type", "input_audio"},
		{"svg image", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="}}]}]}`,
			"messages[0].content[0].image_url", "image/svg+xml"},
		{"bad data URI", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,notbase64"}}]}]}`,
			"messages[0].content[0].image_url", "base64"},
		{"file by id", `{"messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`,
			"messages[0].content[0].file", "file_data"},
		{"schema missing", `{"response_format":{"type":"json_schema","json_schema":{"name":"x"}},"messages":[{"role":"user","content":"a"}]}`,
			"response_format.json_schema.schema", "schema"},
		{"unknown response format", `{"response_format":{"type":"yaml"},"messages":[{"role":"user","content":"a"}]}`,
			"response_format.type", "yaml"},
		{"required without tools", `{"tool_choice":"required","messages":[{"role":"user","content":"a"}]}`, "tool_choice", "needs tools"},
		{"unknown tool_choice", `{"tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"a"}]}`,
			"tool_choice", "sometimes"},
		{"custom tool", `{"tools":[{"type":"custom","function":{"name":"f"}}],"messages":[{"role":"user","content":"a"}]}`, "tools[0].type", "function tools"},
		{"temperature above 1", `{"temperature":1.5,"messages":[{"role":"user","content":"a"}]}`, "temperature", "between 0 and 1"},
		{"negative top_p", `{"top_p":-0.1,"messages":[{"role":"user","content":"a"}]}`, "top_p", "between 0 and 1"},
		{"only system", `{"messages":[{"role":"system","content":"be nice"},{"role":"user","content":"  "}]}`, "messages", "at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := translateChat(context.Background(), testFetcher, []byte(tt.body))
			pe, ok := err.(*providers.Error)
			if !ok {
				t.Fatalf("err = %v, want *providers.Error", err)
			}
			if pe.Status != 400 || pe.Type != "invalid_request_error" || pe.Param != tt.param || !strings.Contains(pe.Message, tt.contains) {
				t.Errorf("got %d %s param=%q %q; want param %q containing %q", pe.Status, pe.Type, pe.Param, pe.Message, tt.param, tt.contains)
			}
		})
	}
}

func TestToolUseID(t *testing.T) {
	for _, id := range []string{"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "call_abc123", "a-b_c"} {
		if got := toolUseID(id); got != id {
			t.Errorf("valid id %q changed to %q", id, got)
		}
	}
	for _, id := range []string{"call.with/odd:chars", strings.Repeat("x", 65), "toolu_01 space"} {
		got := toolUseID(id)
		if got == id || got != toolUseID(id) || len(got) > 64 || !strings.HasPrefix(got, "tooluse_") {
			t.Errorf("toolUseID(%q) = %q", id, got)
		}
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name, secret       string
		akid, sk, tok, key string
		bad                bool
	}{
		{"json", `{"accessKeyId":"AKIA1","secretAccessKey":"s/k+1"}`, "AKIA1", "s/k+1", "", "", false},
		{"json with token", `{"accessKeyId":"ASIA1","secretAccessKey":"sk","sessionToken":"tok=="}`, "ASIA1", "sk", "tok==", "", false},
		{"STS capitalisation", `{"AccessKeyId":"ASIA1","SecretAccessKey":"sk","SessionToken":"tok"}`, "ASIA1", "sk", "tok", "", false},
		{"compact", "AKIA1:s/k+1", "AKIA1", "s/k+1", "", "", false},
		{"compact with token", " AKIA1:sk:tok== \n", "AKIA1", "sk", "tok==", "", false},
		{"long-term API key", "ABSKQmVkcm9ja0FQSUtleS1hYmM=", "", "", "", "ABSKQmVkcm9ja0FQSUtleS1hYmM=", false},
		{"short-term API key", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", "", "", "", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", false},
		{"json API key", `{"apiKey":"ABSKxyz"}`, "", "", "", "ABSKxyz", false},
		{"empty", "  ", "", "", "", "", true},
		{"json missing secret", `{"accessKeyId":"AKIA1"}`, "", "", "", "", true},
		{"broken json", `{"accessKeyId":`, "", "", "", "", true},
		{"plain word", "hunter2", "", "", "", "", true},
		{"too many parts", "a:b:c:d", "", "", "", "", true},
		{"empty part", "AKIA1::tok", "", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := parseSecret(tt.secret)
			if (a.err != "") != tt.bad {
				t.Fatalf("err = %q, want bad=%v", a.err, tt.bad)
			}
			if tt.bad {
				if strings.Contains(a.err, strings.TrimSpace(tt.secret)) && strings.TrimSpace(tt.secret) != "" {
					t.Errorf("error quotes the secret: %s", a.err)
				}
				return
			}
			if a.creds.AccessKeyID != tt.akid || a.creds.SecretAccessKey != tt.sk || a.creds.SessionToken != tt.tok || a.apiKey != tt.key {
				t.Errorf("got akid=%q sk=%q tok=%q key=%q", a.creds.AccessKeyID, a.creds.SecretAccessKey, a.creds.SessionToken, a.apiKey)
			}
		})
	}
}

func TestModelPath(t *testing.T) {
	tests := []struct{ model, want string }{
		{"anthropic.claude-3-haiku-20240307-v1:0", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"},
		{"us.anthropic.claude-3-5-sonnet-20241022-v2:0", "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-1-8b-instruct-v1:0",
			"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-1-8b-instruct-v1%3A0/converse"},
	}
	for _, tt := range tests {
		if got := modelPath(tt.model, "converse"); got != tt.want {
			t.Errorf("modelPath(%q) = %s, want %s", tt.model, got, tt.want)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status     int
		header     string
		body       string
		wantStatus int
		wantType   string
		code       string
		retryable  bool
		message    string
	}{
		{400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"bad input"}`, 400, "invalid_request_error", "ValidationException", false, "bad input"},
		{403, "AccessDeniedException", `{"Message":"not authorized"}`, 403, "permission_error", "AccessDeniedException", false, "not authorized"},
		{403, "", `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`,
			403, "authentication_error", "UnrecognizedClientException", false, "The security token included in the request is invalid."},
		{404, "ResourceNotFoundException", `{"message":"no model"}`, 404, "invalid_request_error", "ResourceNotFoundException", false, "no model"},
		{408, "ModelTimeoutException", `{"message":"slow"}`, 408, "api_error", "ModelTimeoutException", true, "slow"},
		{424, "ModelErrorException", `{"message":"model broke"}`, 424, "api_error", "ModelErrorException", false, "model broke"},
		{429, "ThrottlingException", `{"message":"slow down"}`, 429, "rate_limit_error", "ThrottlingException", true, "slow down"},
		{429, "ModelNotReadyException", `{"message":"warming"}`, 429, "rate_limit_error", "ModelNotReadyException", true, "warming"},
		{500, "InternalServerException", `{"message":"oops"}`, 500, "api_error", "InternalServerException", true, "oops"},
		{503, "ServiceUnavailableException", `{"message":"busy"}`, 503, "api_error", "ServiceUnavailableException", true, "busy"},
		{502, "", `<html>bad gateway</html>`, 502, "api_error", "", true, "<html>bad gateway</html>"},
		{400, "", ``, 400, "invalid_request_error", "", false, "Bedrock returned status 400"},
	}
	for _, tt := range tests {
		e := upstreamError(tt.status, tt.header, []byte(tt.body), "")
		if e.Status != tt.wantStatus || e.Type != tt.wantType || e.Code != tt.code || e.Retryable != tt.retryable || e.Message != tt.message {
			t.Errorf("%d %s: got %+v", tt.status, tt.header, e)
		}
	}
	if e := upstreamError(429, "ThrottlingException", nil, "3"); e.RetryAfter != "3" {
		t.Errorf("Retry-After lost: %+v", e)
	}
	if e := upstreamError(408, "ModelTimeoutException", nil, ""); !e.Timeout {
		t.Error("ModelTimeoutException is a timeout")
	}
}
