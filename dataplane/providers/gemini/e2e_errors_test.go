package gemini_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/ai-gateway/gateway/dataplane/state"
)

func TestErrors(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{
		"badkey": {"gemini-2.5-flash", "studio-badkey"}, "unknown": {"gpt-4o", "studio"}, "vunknown": {"llama-3", "vertex"},
		"limited": {"gemini-fail-429", "studio"}, "broken": {"gemini-fail-500", "studio"}, "overloaded": {"gemini-overloaded", "vertex"},
		"noproject": {"gemini-2.5-flash", "vertex-noproject"}, "rogue": {"gemini-2.5-flash", "vertex-rogue"},
		"notjson": {"gemini-2.5-flash", "vertex-notjson"}, "ok": {"gemini-2.5-flash", "studio"},
		"embedding-as-chat": {"text-embedding-004", "studio"},
	})
	tests := []struct {
		endpoint string
		msgs     []openai.ChatCompletionMessageParamUnion
		status   int
		contains string
	}{
		{"badkey", nil, 401, "API key not valid"},
		{"unknown", nil, 404, "models/gpt-4o is not found"},
		{"vunknown", nil, 404, "Publisher Model"},
		{"embedding-as-chat", nil, 404, "not supported for generateContent"},
		{"limited", nil, 429, "exceeded your current quota"},
		{"broken", nil, 500, "fake upstream failure 500"},
		{"overloaded", nil, 503, "The model is overloaded"},
		{"noproject", nil, 500, "has no project"},
		{"rogue", nil, 401, "Invalid JWT Signature"},
		{"notjson", nil, 500, "not a Google service-account JSON key"},
		{"ok", []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("only a system message")}, 400, "contents is not specified"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			msgs := tt.msgs
			if msgs == nil {
				msgs = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}
			}
			_, err := e.client.Chat.Completions.New(t.Context(), chatParams(tt.endpoint, msgs...))
			if status(err) != tt.status || !strings.Contains(message(err), tt.contains) {
				t.Fatalf("err = %v (%s); want %d containing %q", err, message(err), tt.status, tt.contains)
			}
			if strings.Contains(message(err), apiKey) || strings.Contains(message(err), "PRIVATE KEY") {
				t.Errorf("error leaks a credential: %v", err)
			}
			var ae *openai.Error
			if errors.As(err, &ae) && tt.status == 429 && ae.Response.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After = %q, want 7 (from RetryInfo)", ae.Response.Header.Get("Retry-After"))
			}
		})
	}
}

func TestRetryableFailuresAreRetried(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"flaky": {"gemini-overloaded", "studio"}}, func(ep *state.Endpoint) {
		ep.Retry = state.Retry{Attempts: 3, Backoff: time.Millisecond}
		ep.Fallbacks = []state.Target{{Model: "gemini-2.5-flash", Credential: "vertex"}}
	})
	resp, err := e.client.Chat.Completions.New(t.Context(), chatParams("flaky", openai.UserMessage("hi")))
	if err != nil || resp.Choices[0].Message.Content != "fake: hi" {
		t.Fatalf("fallback answer %v: %v", resp, err)
	}
	if n := e.up.Calls(); n != 4 {
		t.Errorf("upstream calls = %d, want 3 attempts + 1 fallback", n)
	}
}

func TestBlockedPromptIsContentFilter(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"blocked": {"gemini-blocked", "studio"}})
	resp, err := e.client.Chat.Completions.New(t.Context(), chatParams("blocked", openai.UserMessage("something bad")))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Choices[0]
	if c.FinishReason != "content_filter" || !strings.Contains(c.Message.Refusal, "SAFETY") || c.Message.Content != "" {
		t.Errorf("choice %s", resp.RawJSON())
	}
}

func TestStreamFailures(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"errstream": {"gemini-error-stream", "studio"}, "breakstream": {"gemini-break-stream", "vertex"}})
	for _, tt := range []struct{ endpoint, contains string }{
		{"errstream", "An internal error has occurred"},
		{"breakstream", "closed the stream before it finished"},
	} {
		t.Run(tt.endpoint, func(t *testing.T) {
			s := e.client.Chat.Completions.NewStreaming(t.Context(), chatParams(tt.endpoint, openai.UserMessage("one two three")))
			acc := openai.ChatCompletionAccumulator{}
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if s.Err() == nil || !strings.Contains(s.Err().Error(), tt.contains) {
				t.Fatalf("stream error = %v, want one containing %q", s.Err(), tt.contains)
			}
			if acc.Choices[0].Message.Content != "fake: " {
				t.Errorf("content before the failure: %q", acc.Choices[0].Message.Content)
			}
		})
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	e := newEnv(t)
	e.serve(map[string][2]string{"slow": {"gemini-slow", "studio"}}, func(ep *state.Endpoint) { ep.Timeout = 300 * time.Millisecond })
	_, err := e.client.Chat.Completions.New(t.Context(), chatParams("slow", openai.UserMessage("hi")))
	if status(err) != 504 {
		t.Fatalf("err = %v, want 504", err)
	}
}

func status(err error) int {
	var ae *openai.Error
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// message is the error message the gateway answered with.
func message(err error) string {
	var ae *openai.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	if err != nil {
		return err.Error()
	}
	return ""
}
