package anthropic

import (
	"encoding/json"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

var (
	benchReq  = []byte(`{"model":"c","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one paragraph about foxes and dogs."}],"temperature":0.7,"max_tokens":200}`)
	benchResp = []byte(`{"id":"msg_bench","type":"message","role":"assistant","model":"claude-bench","content":[{"type":"text","text":"The quick brown fox jumps over the lazy dog. This sentence is here to make the answer a realistic size."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"output_tokens":42,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`)
)

// BenchmarkTranslateRoundTrip measures the OpenAI→Anthropic translation of a
// request and of its answer: the CPU translation adds over same-dialect
// forwarding.
func BenchmarkTranslateRoundTrip(b *testing.B) {
	call := &providers.Call{Task: providers.TaskChat, Model: "claude-bench", Body: benchReq}
	b.ReportAllocs()
	for b.Loop() {
		req, info, perr := buildRequest(call)
		if perr != nil {
			b.Fatal(perr)
		}
		if _, err := json.Marshal(req); err != nil {
			b.Fatal(err)
		}
		if _, _, err := translateResponse(benchResp, info, call.Model, 1700000000); err != nil {
			b.Fatal(err)
		}
	}
}
