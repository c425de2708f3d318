package gemini

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestNative(t *testing.T) {
	if New().Native() != "gemini" {
		t.Fatal("Native() must be the gemini provider id")
	}
}

func TestErrorBody(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{400, "INVALID_ARGUMENT"}, {401, "UNAUTHENTICATED"}, {403, "PERMISSION_DENIED"}, {404, "NOT_FOUND"},
		{409, "ABORTED"}, {413, "INVALID_ARGUMENT"}, {429, "RESOURCE_EXHAUSTED"}, {500, "INTERNAL"},
		{502, "UNAVAILABLE"}, {503, "UNAVAILABLE"}, {504, "DEADLINE_EXCEEDED"}, {418, "FAILED_PRECONDITION"},
	}
	for _, tt := range tests {
		b := New().Error(&providers.Error{Status: tt.status, Message: "boom <&>"})
		var e struct {
			Error struct {
				Code    int
				Message string
				Status  string
				Details []map[string]any
			}
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if e.Error.Code != tt.status || e.Error.Status != tt.want || e.Error.Message != "boom <&>" || e.Error.Details != nil {
			t.Errorf("%d: %s", tt.status, b)
		}
		if !bytes.Contains(b, []byte("<&>")) {
			t.Errorf("HTML-escaped: %s", b)
		}
	}
	b := New().Error(&providers.Error{Status: 429, RetryAfter: "7"})
	want := `{"error":{"code":429,"message":"Too Many Requests","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw, forward string
		sse          bool
	}{
		{"", "", false},
		{"alt=sse", "alt=sse", true},
		{"key=secret&alt=sse", "alt=sse", true},
		{"alt=SSE&%6Bey=secret&access_token=tok&x=1", "alt=SSE&x=1", true},
		{"alt=json&key", "alt=json", false},
		{"$alt=sse", "$alt=sse", true},
	}
	for _, tt := range tests {
		q := parseQuery(tt.raw)
		if q.forward != tt.forward || q.sse != tt.sse {
			t.Errorf("%q: forward %q sse %v, want %q %v", tt.raw, q.forward, q.sse, tt.forward, tt.sse)
		}
	}
}

// TestBadRequests: every rejection is a 400 (404 for an unknown method)
// naming the offending field.
func TestBadRequests(t *testing.T) {
	tests := []struct {
		name, method, body string
		status             int
		contains           string
	}{
		{"unknown method", "predict", `{}`, 404, `"predict"`},
		{"not JSON", MethodGenerateContent, `{"contents":`, 400, "Invalid JSON payload"},
		{"not an object", MethodGenerateContent, `[1]`, 400, "expected a JSON object"},
		{"empty body", MethodGenerateContent, ``, 400, "GenerateContentRequest.contents: contents is not specified"},
		{"no contents", MethodGenerateContent, `{"contents":[]}`, 400, "GenerateContentRequest.contents"},
		{"contents not a list", MethodGenerateContent, `{"contents":"hi"}`, 400, "Invalid value at 'contents[0]' (TYPE_MESSAGE)"},
		{"no parts", MethodGenerateContent, `{"contents":[{"role":"user"}]}`, 400, "contents[0].parts: contents.parts must not be empty"},
		{"bad role", MethodGenerateContent, `{"contents":[{"role":"system","parts":[{"text":"x"}]}]}`, 400, "contents[0].role"},
		{"role not a string", MethodGenerateContent, `{"contents":[{"role":1,"parts":[{"text":"x"}]}]}`, 400, "'contents[0].role' (TYPE_STRING)"},
		{"text not a string", MethodGenerateContent, `{"contents":[{"parts":[{"text":5}]}]}`, 400, "contents[0].parts[0].text"},
		{"empty part", MethodGenerateContent, `{"contents":[{"parts":[{}]}]}`, 400, "contents[0].parts[0].data"},
		{"inlineData without data", MethodGenerateContent, `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png"}}]}]}`, 400, "contents[0].parts[0].inlineData.data"},
		{"inlineData without mimeType", MethodGenerateContent, `{"contents":[{"parts":[{"inlineData":{"data":"AA=="}}]}]}`, 400, "inlineData.mimeType"},
		{"fileData without uri", MethodGenerateContent, `{"contents":[{"parts":[{"fileData":{"mimeType":"image/png"}}]}]}`, 400, "fileData.fileUri"},
		{"functionCall in a user turn", MethodGenerateContent, `{"contents":[{"parts":[{"functionCall":{"name":"f"}}]}]}`, 400, "contents[0].parts[0].functionCall"},
		{"functionCall without name", MethodGenerateContent, `{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}`, 400, "functionCall.name"},
		{"functionCall args not an object", MethodGenerateContent, `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":[1]}}]}]}`, 400, "functionCall.args"},
		{"functionResponse in a model turn", MethodGenerateContent, `{"contents":[{"role":"model","parts":[{"functionResponse":{"name":"f"}}]}]}`, 400, "functionResponse"},
		{"functionResponse response not an object", MethodGenerateContent, `{"contents":[{"parts":[{"functionResponse":{"name":"f","response":"x"}}]}]}`, 400, "functionResponse.response"},
		{"temperature not a number", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":"hot"}}`, 400, "'generationConfig.temperature' (TYPE_DOUBLE), \"hot\""},
		{"maxOutputTokens not an integer", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":1.5}}`, 400, "generationConfig.maxOutputTokens"},
		{"maxOutputTokens zero", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":0}}`, 400, "generationConfig.maxOutputTokens"},
		{"candidateCount too big", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":1000}}`, 400, "generationConfig.candidateCount"},
		{"stop sequence not a string", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"stopSequences":[1]}}`, 400, "generationConfig.stopSequences[0]"},
		{"bad schema type", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseSchema":{"type":"WIDGET"}}}`, 400, "generationConfig.responseSchema.type"},
		{"bad nested schema", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"ARRAY","items":{"nullable":"yes"}}}}}]}]}`, 400, "tools[0].functionDeclarations[0].parameters.properties.a.items.nullable"},
		{"declaration without name", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}`, 400, "tools[0].functionDeclarations[0].name"},
		{"bad mode", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`, 400, "toolConfig.functionCallingConfig.mode"},
		{"allowed function unknown", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["g"]}}}`, 400, "allowedFunctionNames[0]"},
		{"thinkingBudget not an integer", MethodGenerateContent, `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":"lots"}}}`, 400, "generationConfig.thinkingConfig.thinkingBudget"},
		{"countTokens inner contents", MethodCountTokens, `{"generateContentRequest":{"model":"models/e"}}`, 400, "CountTokensRequest.generateContentRequest.contents"},
		{"embed without content", MethodEmbedContent, `{"taskType":"RETRIEVAL_QUERY"}`, 400, "EmbedContentRequest.content"},
		{"embed bad dimensions", MethodEmbedContent, `{"content":{"parts":[{"text":"x"}]},"outputDimensionality":0}`, 400, "outputDimensionality"},
		{"batch without requests", MethodBatchEmbedContents, `{}`, 400, "BatchEmbedContentsRequest.requests"},
		{"batch model mismatch", MethodBatchEmbedContents, `{"requests":[{"model":"models/other","content":{"parts":[{"text":"x"}]}}]}`, 400, "requests[0].model"},
		{"batch mixed dimensions", MethodBatchEmbedContents, `{"requests":[{"content":{"parts":[{"text":"x"}]},"outputDimensionality":8},{"content":{"parts":[{"text":"y"}]},"outputDimensionality":16}]}`, 400, "requests[1].outputDimensionality"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, perr := New().ParseRequest([]byte(tt.body), dialect.Params{Endpoint: "e", Method: tt.method})
			if perr == nil {
				t.Fatalf("accepted: %s", req.Body)
			}
			if perr.Status != tt.status || !strings.Contains(perr.Message, tt.contains) {
				t.Errorf("%d %q, want %d containing %q", perr.Status, perr.Message, tt.status, tt.contains)
			}
		})
	}
	if _, perr := New().ParseRequest([]byte(`{"contents":[{"parts":[{"text":"x"}]}]}`), dialect.Params{Method: MethodGenerateContent}); perr == nil || perr.Status != 400 {
		t.Errorf("no endpoint in the path: %v", perr)
	}
}

func TestResponseErrors(t *testing.T) {
	in := New()
	chatReq, _ := in.ParseRequest([]byte(`{"contents":[{"parts":[{"text":"x"}]}]}`), dialect.Params{Endpoint: "e", Method: MethodGenerateContent})
	batchReq, _ := in.ParseRequest([]byte(`{"requests":[{"content":{"parts":[{"text":"x"}]}},{"content":{"parts":[{"text":"y"}]}}]}`),
		dialect.Params{Endpoint: "e", Method: MethodBatchEmbedContents})
	tests := []struct {
		name string
		req  *dialect.Request
		body string
	}{
		{"not JSON", chatReq, `{`},
		{"no choices", chatReq, `{"choices":[]}`},
		{"embeddings count", batchReq, `{"data":[{"index":0,"embedding":[1]}]}`},
		{"embeddings repeated", batchReq, `{"data":[{"index":1,"embedding":[1]},{"index":1,"embedding":[2]}]}`},
		{"embedding not numbers", batchReq, `{"data":[{"index":0,"embedding":["a"]},{"index":1,"embedding":[2]}]}`},
		{"embedding null", batchReq, `{"data":[{"index":0,"embedding":[null]},{"index":1,"embedding":[2]}]}`},
		{"embedding bad base64", batchReq, `{"data":[{"index":0,"embedding":"!!"},{"index":1,"embedding":[2]}]}`},
	}
	for _, tt := range tests {
		if out, err := in.Response(tt.req, []byte(tt.body)); err == nil {
			t.Errorf("%s: accepted, rendered %s", tt.name, out)
		}
	}
}

// TestStreamAfterClose: nothing is written once the stream has ended or
// failed.
func TestStreamAfterClose(t *testing.T) {
	for _, sse := range []bool{true, false} {
		enc := New().NewStream(&dialect.Request{State: &State{Endpoint: "e", Method: MethodStreamGenerateContent, SSE: sse}})
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if err := enc.Fail(w, &providers.Error{Status: 500}); err != nil {
			t.Fatal(err)
		}
		_ = enc.Chunk(w, []byte(`{"choices":[{"index":0,"delta":{"content":"late"}}]}`))
		_ = enc.End(w)
		_ = enc.Fail(w, &providers.Error{Status: 502})
		_ = w.Flush()
		if bytes.Contains(out.Bytes(), []byte("late")) || bytes.Count(out.Bytes(), []byte(`"error"`)) != 1 {
			t.Errorf("sse=%v: %s", sse, out.Bytes())
		}
		if !sse && !json.Valid(out.Bytes()) {
			t.Errorf("array stream is not JSON: %s", out.Bytes())
		}
	}
}
