package bedrock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/bedrock/bedrocktest"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

const chatModel = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"

func newFake(t *testing.T) (*bedrocktest.Server, *Adapter) {
	t.Helper()
	s := bedrocktest.New()
	t.Cleanup(s.Close)
	return s, New(Options{Fetcher: testFetcher})
}

func cred(s *bedrocktest.Server, secret string) *providers.Credential {
	return &providers.Credential{Name: "aws", Provider: "bedrock", BaseURL: s.BaseURL(), Secret: providers.Secret(secret),
		Options: map[string]string{RegionOption: bedrocktest.Region}}
}

var (
	jsonSecret    = `{"accessKeyId":"` + bedrocktest.AccessKeyID + `","secretAccessKey":"` + bedrocktest.SecretAccessKey + `"}`
	compactSecret = bedrocktest.TempAccessKeyID + ":" + bedrocktest.TempSecretAccessKey + ":" + bedrocktest.SessionToken
)

func chatCall(model, body string) *providers.Call {
	return &providers.Call{Task: providers.TaskChat, Model: model, Body: []byte(body)}
}

func asProviderError(t *testing.T, err error) *providers.Error {
	t.Helper()
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *providers.Error", err)
	}
	return pe
}

func TestSendConverse(t *testing.T) {
	s, a := newFake(t)
	body := `{"model":"gw","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Hello <world> & co"}],"max_tokens":50}`
	call := chatCall(chatModel, body)
	res, err := a.Send(context.Background(), cred(s, jsonSecret), call)
	if err != nil {
		t.Fatal(err)
	}
	if string(call.Body) != body {
		t.Fatal("Send modified call.Body")
	}
	var out unified.ChatResponse
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	if c := out.Choices[0].Message.Content; c == nil || *c != "fake: Hello <world> & co" {
		t.Errorf("content = %v", c)
	}
	if !strings.HasPrefix(out.ID, "chatcmpl-fake-req-") || out.Model != chatModel || out.Usage.PromptTokens == 0 {
		t.Errorf("response %s", res.Body)
	}
	if res.Header["X-Upstream-Request-Id"] != strings.TrimPrefix(out.ID, "chatcmpl-") {
		t.Errorf("request id header %v", res.Header)
	}
	req := s.LastRequest()
	if req.RawPath != "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse" {
		t.Errorf("path %s", req.RawPath)
	}
	authz := req.Header.Get("Authorization")
	if !strings.HasPrefix(authz, "AWS4-HMAC-SHA256 Credential="+bedrocktest.AccessKeyID+"/") || !strings.Contains(authz, "/us-east-1/bedrock/aws4_request") {
		t.Errorf("Authorization = %s", authz)
	}
	if req.Header.Get("X-Amz-Security-Token") != "" {
		t.Error("session token sent for long-term keys")
	}
}

func TestCredentialFormats(t *testing.T) {
	s, a := newFake(t)
	for name, secret := range map[string]string{
		"json":             jsonSecret,
		"json with token":  `{"accessKeyId":"` + bedrocktest.TempAccessKeyID + `","secretAccessKey":"` + bedrocktest.TempSecretAccessKey + `","sessionToken":"` + bedrocktest.SessionToken + `"}`,
		"compact":          bedrocktest.AccessKeyID + ":" + bedrocktest.SecretAccessKey,
		"compact with tok": compactSecret,
		"api key":          bedrocktest.APIKey,
		"json api key":     `{"apiKey":"` + bedrocktest.APIKey + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := a.Send(context.Background(), cred(s, secret), chatCall(chatModel, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
				t.Fatal(err)
			}
			h := s.LastRequest().Header
			if strings.HasSuffix(name, "api key") {
				if h.Get("Authorization") != "Bearer "+bedrocktest.APIKey || h.Get("X-Amz-Date") != "" {
					t.Errorf("API key not sent as a bare bearer token: %v", h)
				}
			} else if strings.Contains(name, "tok") && h.Get("X-Amz-Security-Token") != bedrocktest.SessionToken {
				t.Error("session token not sent")
			}
		})
	}
}

func TestCredentialErrors(t *testing.T) {
	s, a := newFake(t)
	call := chatCall(chatModel, `{"messages":[{"role":"user","content":"hi"}]}`)
	noRegion := cred(s, jsonSecret)
	noRegion.Options = nil
	_, err := a.Send(context.Background(), noRegion, call)
	if pe := asProviderError(t, err); pe.Status != 500 || !strings.Contains(pe.Message, "spec.config.aws.region") {
		t.Errorf("missing region: %+v", pe)
	}
	if a.ValidateCredential(noRegion) == nil || a.ValidateCredential(cred(s, jsonSecret)) != nil {
		t.Error("Validate disagrees with Send")
	}
	odd := cred(s, jsonSecret)
	odd.Options = map[string]string{RegionOption: "us-east-1.evil.com/"}
	if _, err := a.Send(context.Background(), odd, call); err == nil || !strings.Contains(err.Error(), "invalid AWS region") {
		t.Errorf("odd region accepted: %v", err)
	}
	secret := "NotAKnownFormatSECRET123"
	_, err = a.Send(context.Background(), cred(s, secret), call)
	if pe := asProviderError(t, err); strings.Contains(pe.Message, secret) || pe.Code != "invalid_credential" {
		t.Errorf("bad secret: %+v", pe)
	}
	_, err = a.Send(context.Background(), cred(s, bedrocktest.AccessKeyID+":wrong"), call)
	if pe := asProviderError(t, err); pe.Status != 403 || pe.Type != "authentication_error" || pe.Code != "InvalidSignatureException" {
		t.Errorf("wrong secret key: %+v", pe)
	}
	_, err = a.Send(context.Background(), cred(s, "ABSKbm90LXRoZS1rZXk="), call)
	if pe := asProviderError(t, err); pe.Status != 403 || pe.Retryable {
		t.Errorf("wrong API key: %+v", pe)
	}
	if s.Calls() != 2 {
		t.Errorf("upstream calls = %d; configuration errors must not reach it", s.Calls())
	}
}

func TestDefaultBaseURL(t *testing.T) {
	a := New(Options{})
	tg, err := a.target(&providers.Credential{Secret: "AKIA1:sk", Options: map[string]string{RegionOption: "eu-west-3"}})
	if err != nil || tg.base != "https://bedrock-runtime.eu-west-3.amazonaws.com" {
		t.Errorf("base %q err %v", tg.base, err)
	}
	tg, _ = a.target(&providers.Credential{BaseURL: "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com:443/", Secret: "AKIA1:sk",
		Options: map[string]string{RegionOption: "us-east-1"}})
	if tg.base != "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com" {
		t.Errorf("VPC endpoint base %q", tg.base)
	}
	if c := (&fasthttp.Client{}); New(Options{Client: c}).client == c {
		t.Error("a client that normalizes paths would unescape %2F after signing; it must be replaced")
	}
}

func TestARNModelAndCustomHeaders(t *testing.T) {
	s, a := newFake(t)
	c := cred(s, jsonSecret)
	c.Headers = map[string]string{"X-Amzn-Bedrock-Trace": "ENABLED"}
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.fake.chat-v1:0"
	if _, err := a.Send(context.Background(), c, chatCall(arn, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	req := s.LastRequest()
	if !strings.Contains(req.RawPath, "inference-profile%2Fus.fake.chat-v1%3A0") || req.ModelID != arn {
		t.Errorf("path %s model %s", req.RawPath, req.ModelID)
	}
	if req.Header.Get("X-Amzn-Bedrock-Trace") != "ENABLED" || !strings.Contains(req.Header.Get("Authorization"), "x-amzn-bedrock-trace") {
		t.Errorf("custom header not sent and signed: %v", req.Header)
	}
}

func TestUpstreamErrors(t *testing.T) {
	s, a := newFake(t)
	tests := []struct {
		model, body string
		status      int
		code        string
		retryable   bool
		contains    string
	}{
		{"fake.fail-400-v1:0", "", 400, "ValidationException", false, "fake upstream failure 400"},
		{"fake.fail-403-v1:0", "", 403, "AccessDeniedException", false, ""},
		{"fake.fail-404-v1:0", "", 404, "ResourceNotFoundException", false, ""},
		{"fake.fail-408-v1:0", "", 408, "ModelTimeoutException", true, ""},
		{"fake.fail-429-v1:0", "", 429, "ThrottlingException", true, ""},
		{"fake.fail-500-v1:0", "", 500, "InternalServerException", true, ""},
		{"fake.fail-503-v1:0", "", 503, "ServiceUnavailableException", true, ""},
		{chatModel, `{"messages":[{"role":"assistant","content":"I start"},{"role":"user","content":"hi"}]}`, 400, "ValidationException", false, "must start with a user message"},
		{chatModel, `{"messages":[{"role":"user","content":"hi"}],"maxTokens":0,"max_tokens":0}`, 400, "ValidationException", false, "inferenceConfig.maxTokens"},
	}
	for _, tt := range tests {
		body := tt.body
		if body == "" {
			body = `{"messages":[{"role":"user","content":"hi"}]}`
		}
		_, err := a.Send(context.Background(), cred(s, jsonSecret), chatCall(tt.model, body))
		pe := asProviderError(t, err)
		if pe.Status != tt.status || pe.Code != tt.code || pe.Retryable != tt.retryable || !strings.Contains(pe.Message, tt.contains) {
			t.Errorf("%s: got %+v", tt.model, pe)
		}
	}
}

func TestRetryAfterPassedOn(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["x-amzn-ErrorType"] = []string{"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"message":"Too many requests, please wait before trying again."}`)
	}))
	defer up.Close()
	c := &providers.Credential{Name: "aws", BaseURL: up.URL, Secret: "AKIA1:sk", Options: map[string]string{RegionOption: "us-east-1"}}
	_, err := New(Options{}).Send(context.Background(), c, chatCall(chatModel, `{"messages":[{"role":"user","content":"hi"}]}`))
	if pe := asProviderError(t, err); pe.Status != 429 || pe.RetryAfter != "3" || !pe.Retryable || pe.Code != "ThrottlingException" {
		t.Errorf("got %+v", pe)
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	s, a := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := a.Send(ctx, cred(s, jsonSecret), chatCall("fake.slow-v1:0", `{"messages":[{"role":"user","content":"hi"}]}`))
	if pe := asProviderError(t, err); !pe.Timeout || !pe.Retryable {
		t.Errorf("got %+v", pe)
	}
}

// collect drains a Result stream into its chunks and final error.
func collect(t *testing.T, res *providers.Result) ([]unified.Chunk, error) {
	t.Helper()
	defer res.Stream.Close()
	var out []unified.Chunk
	for {
		b, err := res.Stream.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return out, err
		}
		var c unified.Chunk
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("bad chunk %s: %v", b, err)
		}
		out = append(out, c)
	}
}

func streamCall(model, body string, includeUsage bool) *providers.Call {
	return &providers.Call{Task: providers.TaskChat, Model: model, Body: []byte(body), Stream: true, IncludeUsage: includeUsage}
}

func TestSendStream(t *testing.T) {
	s, a := newFake(t)
	res, err := a.Send(context.Background(), cred(s, compactSecret), streamCall(chatModel, `{"stream":true,"messages":[{"role":"user","content":"one two three"}]}`, true))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, res)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, c := range chunks[:len(chunks)-1] {
		if c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
	}
	if text.String() != "fake: one two three" || chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Errorf("text %q", text.String())
	}
	last := chunks[len(chunks)-1]
	if len(last.Choices) != 0 || last.Usage == nil || last.Usage.CompletionTokens != 4 {
		t.Errorf("usage chunk %+v", last)
	}
	if fin := chunks[len(chunks)-2].Choices[0].FinishReason; fin == nil || *fin != "stop" {
		t.Errorf("finish chunk %+v", chunks[len(chunks)-2])
	}
	if u := res.Stream.(providers.UsageReporter).Usage(); u.CompletionTokens != 4 || u.PromptTokens == 0 {
		t.Errorf("reported usage %+v", u)
	}
	if p := s.LastRequest().RawPath; !strings.HasSuffix(p, "%3A0/converse-stream") {
		t.Errorf("path %s", p)
	}
}

func TestSendStreamToolUse(t *testing.T) {
	s, a := newFake(t)
	body := `{"stream":true,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
		{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
		"messages":[{"role":"user","content":"Paris"}]}`
	res, err := a.Send(context.Background(), cred(s, jsonSecret), streamCall("fake.parallel-tools-v1:0", body, false))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, res)
	if err != nil {
		t.Fatal(err)
	}
	args := map[int]string{}
	names := map[int]string{}
	frags := 0
	for _, c := range chunks {
		if c.Usage != nil {
			t.Error("usage chunk without include_usage")
		}
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if tc.ID != "" {
				names[*tc.Index] = tc.Function.Name
			} else {
				frags++
			}
			args[*tc.Index] += tc.Function.Arguments
		}
	}
	if names[0] != "get_weather" || names[1] != "get_time" || args[0] != `{"city":"Paris"}` || args[1] != `{"city":"Paris"}` || frags < 6 {
		t.Errorf("names %v args %v fragments %d", names, args, frags)
	}
	if fin := chunks[len(chunks)-1].Choices[0].FinishReason; fin == nil || *fin != "tool_calls" {
		t.Error("finish reason is not tool_calls")
	}
}

func TestStreamFailures(t *testing.T) {
	s, a := newFake(t)
	tests := []struct {
		model     string
		status    int
		code      string
		retryable bool
	}{
		{"fake.break-stream-v1:0", 502, "stream_truncated", true},
		{"fake.torn-stream-v1:0", 502, "stream_truncated", true},
		{"fake.error-stream-v1:0", 424, "ModelStreamErrorException", false},
		{"fake.throttle-stream-v1:0", 429, "ThrottlingException", true},
	}
	for _, tt := range tests {
		res, err := a.Send(context.Background(), cred(s, jsonSecret), streamCall(tt.model, `{"messages":[{"role":"user","content":"one two"}]}`, true))
		if err != nil {
			t.Fatalf("%s: %v", tt.model, err)
		}
		_, err = collect(t, res)
		if pe := asProviderError(t, err); pe.Status != tt.status || pe.Code != tt.code || pe.Retryable != tt.retryable {
			t.Errorf("%s: %+v", tt.model, pe)
		}
	}
}

func TestJSONSchemaEndToEnd(t *testing.T) {
	s, a := newFake(t)
	body := `{"messages":[{"role":"user","content":"colours"}],"response_format":{"type":"json_schema","json_schema":{"name":"c","schema":{"type":"object","properties":{"colours":{"type":"string"}}}}}}`
	res, err := a.Send(context.Background(), cred(s, jsonSecret), chatCall(chatModel, body))
	if err != nil {
		t.Fatal(err)
	}
	var out unified.ChatResponse
	_ = json.Unmarshal(res.Body, &out)
	m := out.Choices[0].Message
	if m.Content == nil || *m.Content != `{"colours":"colours"}` || len(m.ToolCalls) != 0 || out.Choices[0].FinishReason != "stop" {
		t.Errorf("got %s", res.Body)
	}
}

func TestEmbeddings(t *testing.T) {
	s, a := newFake(t)
	call := &providers.Call{Task: providers.TaskEmbeddings, Model: "amazon.titan-embed-text-v2:0",
		Body: []byte(`{"model":"gw","input":["one","two words","three little words"],"dimensions":256}`)}
	res, err := a.Send(context.Background(), cred(s, jsonSecret), call)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
		Usage unified.Usage `json:"usage"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data) != 3 || len(out.Data[2].Embedding) != 256 || out.Data[2].Index != 2 || out.Usage.PromptTokens != 6 {
		t.Errorf("titan: %d vectors, usage %+v", len(out.Data), out.Usage)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("titan calls = %d, want one per input", n)
	}

	texts := make([]string, 100)
	for i := range texts {
		texts[i] = "text"
	}
	in, _ := json.Marshal(map[string]any{"input": texts, "encoding_format": "base64", "input_type": "search_query"})
	res, err = a.Send(context.Background(), cred(s, jsonSecret), &providers.Call{Task: providers.TaskEmbeddings, Model: "cohere.embed-english-v3", Body: in})
	if err != nil {
		t.Fatal(err)
	}
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
		Usage unified.Usage `json:"usage"`
	}
	if err := json.Unmarshal(res.Body, &b64); err != nil {
		t.Fatal(err)
	}
	if len(b64.Data) != 100 || b64.Usage.PromptTokens != 100 {
		t.Fatalf("cohere: %d vectors usage %+v", len(b64.Data), b64.Usage)
	}
	if raw, err := base64.StdEncoding.DecodeString(b64.Data[99].Embedding); err != nil || len(raw) != 4*1024 {
		t.Errorf("cohere: %d vectors usage %+v", len(b64.Data), b64.Usage)
	}
	if got := s.LastBody()["input_type"]; got != "search_query" || len(s.Requests()) != 5 {
		t.Errorf("input_type %v, calls %d (want 2 batches)", got, len(s.Requests()))
	}

	for _, bad := range []struct{ model, body, contains string }{
		{"meta.llama3-8b-instruct-v1:0", `{"input":"x"}`, "not a supported embeddings model"},
		{"amazon.titan-embed-text-v2:0", `{"input":[[1,2,3]]}`, "token arrays"},
		{"amazon.titan-embed-text-v2:0", `{"input":[]}`, "must not be empty"},
		{"amazon.titan-embed-text-v2:0", `{"input":"x","dimensions":100}`, "dimensions"},
		{"cohere.embed-english-v3", `{"input":"x","dimensions":256}`, "output_dimension"},
	} {
		_, err := a.Send(context.Background(), cred(s, jsonSecret), &providers.Call{Task: providers.TaskEmbeddings, Model: bad.model, Body: []byte(bad.body)})
		if pe := asProviderError(t, err); pe.Status != 400 || !strings.Contains(pe.Message, bad.contains) {
			t.Errorf("%s %s: %+v", bad.model, bad.body, pe)
		}
	}
}

func TestCompletionsRefused(t *testing.T) {
	s, a := newFake(t)
	_, err := a.Send(context.Background(), cred(s, jsonSecret), &providers.Call{Task: providers.TaskCompletions, Model: chatModel, Body: []byte(`{}`)})
	if pe := asProviderError(t, err); pe.Status != 400 || s.Calls() != 0 {
		t.Errorf("got %+v", pe)
	}
}

func TestImageURLFetched(t *testing.T) {
	s, a := newFake(t)
	body := `{"messages":[{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image_url","image_url":{"url":"https://images.example/x.png"}}]}]}`
	if _, err := a.Send(context.Background(), cred(s, jsonSecret), chatCall(chatModel, body)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(s.LastRequest().Body, []byte(`"image":{"format":"png","source":{"bytes":"iVBORw0KGgo`)) {
		t.Errorf("image not inlined: %.300s", s.LastRequest().Body)
	}
}

// TestPathMatchesSDK sends the same model ids through the official AWS SDK
// and through the adapter: both must reach the fake on the same raw path, and
// the fake must accept both signatures.
func TestPathMatchesSDK(t *testing.T) {
	s, a := newFake(t)
	sdk := bedrockruntime.New(bedrockruntime.Options{Region: bedrocktest.Region, BaseEndpoint: aws.String(s.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: bedrocktest.AccessKeyID, SecretAccessKey: bedrocktest.SecretAccessKey}, nil
		})})
	for _, model := range []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a1b2c3~d4 e5+f6",
	} {
		_, err := sdk.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(model),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}})
		if err != nil {
			t.Fatalf("SDK %s: %v", model, err)
		}
		want := s.LastRequest().RawPath
		if _, err := a.Send(context.Background(), cred(s, jsonSecret), chatCall(model, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
			t.Fatalf("adapter %s: %v", model, err)
		}
		if got := s.LastRequest().RawPath; got != want {
			t.Errorf("%s: adapter path %s, SDK path %s", model, got, want)
		}
	}
}
