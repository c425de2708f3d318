package openai

import (
	"encoding/json"
	"github.com/valyala/bytebufferpool"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
)

func TestQuirksApply(t *testing.T) {
	short := ShortToolCallID("call_abc")
	tests := []struct {
		name   string
		quirks Quirks
		in     string
		want   string
	}{
		{"no quirks, no change", Quirks{}, `{"max_completion_tokens":5,"seed":1}`, `{"max_completion_tokens":5,"seed":1}`},
		{"stream_options removed", Quirks{NoStreamOptions: true},
			`{"stream":true,"stream_options":{"include_usage":true}}`, `{"stream":true}`},
		{"stream_options absent: body untouched", Quirks{NoStreamOptions: true}, `{"stream":true}`, `{"stream":true}`},
		{"max_completion_tokens renamed", Quirks{MaxTokensField: "max_tokens"},
			`{"max_completion_tokens":5}`, `{"max_tokens":5}`},
		{"existing max_tokens wins", Quirks{MaxTokensField: "max_tokens"},
			`{"max_tokens":7,"max_completion_tokens":5}`, `{"max_tokens":7}`},
		{"seed renamed", Quirks{SeedField: "random_seed"}, `{"seed":42}`, `{"random_seed":42}`},
		{"developer becomes system", Quirks{DeveloperAsSystem: true},
			`{"messages":[{"role":"developer","content":"a"},{"role":"user","content":"developer"}]}`,
			`{"messages":[{"role":"system","content":"a"},{"role":"user","content":"developer"}]}`},
		{"tool-call ids shortened in calls and results", Quirks{ShortToolCallIDs: true},
			`{"messages":[{"role":"assistant","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"Ab3dE6gH9","type":"function","function":{"name":"g","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"call_abc","content":"1"},{"role":"tool","tool_call_id":"Ab3dE6gH9","content":"2"}]}`,
			`{"messages":[{"role":"assistant","tool_calls":[{"id":"` + short + `","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"Ab3dE6gH9","type":"function","function":{"name":"g","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"` + short + `","content":"1"},{"role":"tool","tool_call_id":"Ab3dE6gH9","content":"2"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, err := tt.quirks.apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(decode(t, tt.want), decode(t, string(got))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if string(in) != tt.in {
				t.Errorf("input was modified: %s", in)
			}
		})
	}
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return v
}

func TestShortToolCallID(t *testing.T) {
	re := regexp.MustCompile(`^[a-zA-Z0-9]{9}$`)
	seen := map[string]string{}
	for _, id := range []string{"call_1", "call_2", "toolu_01A", "", "a-very-long-id-" + strings.Repeat("x", 100)} {
		s := ShortToolCallID(id)
		if !re.MatchString(s) {
			t.Errorf("%q -> %q does not match Mistral's rule", id, s)
		}
		if s != ShortToolCallID(id) {
			t.Errorf("%q is not mapped deterministically", id)
		}
		if prev, ok := seen[s]; ok {
			t.Errorf("%q and %q collide", prev, id)
		}
		seen[s] = id
	}
}

func TestUpstreamBodyNeverAsksForUsageWithNoStreamOptions(t *testing.T) {
	a := New(Options{StreamUsage: true, Quirks: Quirks{NoStreamOptions: true}})
	body, hide, err := a.upstreamBody(new(bytebufferpool.ByteBuffer), &providers.Call{Task: providers.TaskChat, Model: "m", Stream: true,
		Body: []byte(`{"model":"x","stream":true,"messages":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if hide || strings.Contains(string(body), "stream_options") {
		t.Fatalf("hide=%v body=%s", hide, body)
	}
}

// fakeStream feeds a transcript to the stream code without a network.
func streamFrom(transcript string, synth bool) *stream {
	s := &stream{r: sse.NewDataReader(strings.NewReader(transcript)), synthUsage: synth}
	return s
}

func TestStreamSynthesisesUsageChunk(t *testing.T) {
	const transcript = `data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}

data: {"id":"c1","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}

data: [DONE]

`
	tests := []struct {
		name  string
		synth bool
		want  int
	}{
		{"client asked for usage", true, 3},
		{"client did not ask", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := streamFrom(transcript, tt.synth)
			var got []string
			for {
				p, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(p))
			}
			if len(got) != tt.want {
				t.Fatalf("got %d chunks: %q", len(got), got)
			}
			if tt.synth {
				want := `{"id":"c1","object":"chat.completion.chunk","created":5,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
				if got[2] != want {
					t.Fatalf("usage chunk\n got %s\nwant %s", got[2], want)
				}
			}
			if u := s.Usage(); u.PromptTokens != 3 || u.CompletionTokens != 1 {
				t.Fatalf("usage %+v", u)
			}
		})
	}
}
