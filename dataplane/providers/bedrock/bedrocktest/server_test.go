package bedrocktest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

// The official SDK is the reference client: if the fake accepts its
// signatures and its requests, and the SDK parses the fake's answers, the
// fake speaks Bedrock's wire format (and its signature check is the one AWS
// applies, double escaping of the path included).

func sdkClient(s *Server, akid, secret, token string) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: token}, nil
		}),
		HTTPClient: http.DefaultClient,
	})
}

const sdkModel = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"

func userText(s string) []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}}
}

func TestSDKConverseIsAccepted(t *testing.T) {
	s := New()
	defer s.Close()
	for _, c := range []struct{ name, akid, secret, token string }{
		{"long-term keys", AccessKeyID, SecretAccessKey, ""},
		{"temporary credentials", TempAccessKeyID, TempSecretAccessKey, SessionToken},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := sdkClient(s, c.akid, c.secret, c.token).Converse(context.Background(), &bedrockruntime.ConverseInput{
				ModelId: aws.String(sdkModel), Messages: userText("hello there"),
				System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			msg := out.Output.(*types.ConverseOutputMemberMessage).Value
			if got := msg.Content[0].(*types.ContentBlockMemberText).Value; got != "fake: hello there" {
				t.Errorf("text = %q", got)
			}
			if out.StopReason != types.StopReasonEndTurn || aws.ToInt32(out.Usage.InputTokens) == 0 {
				t.Errorf("stop %q usage %+v", out.StopReason, out.Usage)
			}
			if p := s.LastRequest().RawPath; p != "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse" {
				t.Errorf("SDK path = %s", p)
			}
		})
	}
}

func TestSDKArnModelID(t *testing.T) {
	s := New()
	defer s.Close()
	arn := "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.fake.chat-v1:0"
	_, err := sdkClient(s, AccessKeyID, SecretAccessKey, "").Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(arn), Messages: userText("hi")})
	if err != nil {
		t.Fatal(err)
	}
	want := "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.fake.chat-v1%3A0/converse"
	if got := s.LastRequest().RawPath; got != want {
		t.Errorf("path = %s, want %s", got, want)
	}
}

func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae
}

func TestSDKRejections(t *testing.T) {
	s := New()
	defer s.Close()
	ctx := context.Background()
	bad := sdkClient(s, AccessKeyID, "wrong-secret", "")
	_, err := bad.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(sdkModel), Messages: userText("hi")})
	if ae := apiError(t, err); ae.ErrorCode() != "InvalidSignatureException" {
		t.Errorf("wrong secret: %s %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	unknown := sdkClient(s, "AKIAUNKNOWN", SecretAccessKey, "")
	_, err = unknown.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(sdkModel), Messages: userText("hi")})
	if ae := apiError(t, err); ae.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("unknown key: %s", ae.ErrorCode())
	}
	good := sdkClient(s, AccessKeyID, SecretAccessKey, "")
	msgs := append(userText("a"), userText("b")...)
	_, err = good.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(sdkModel), Messages: msgs})
	if ae := apiError(t, err); ae.ErrorCode() != "ValidationException" || !strings.Contains(ae.ErrorMessage(), "alternate") {
		t.Errorf("alternation: %s %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	_, err = good.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("fake.fail-429-v1:0"), Messages: userText("a")})
	if ae := apiError(t, err); ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("429: %s", ae.ErrorCode())
	}
}

func TestSDKConverseStreamToolUse(t *testing.T) {
	s := New()
	defer s.Close()
	schema := document.NewLazyDocument(map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}})
	out, err := sdkClient(s, AccessKeyID, SecretAccessKey, "").ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("fake.tool-call-v1:0"), Messages: userText("Paris"),
		ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("get_weather"), InputSchema: &types.ToolInputSchemaMemberJson{Value: schema}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var (
		input bytes.Buffer
		names []string
		stop  types.StopReason
		usage *types.TokenUsage
	)
	for ev := range stream.Events() {
		switch e := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			names = append(names, aws.ToString(e.Value.Start.(*types.ContentBlockStartMemberToolUse).Value.Name))
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if d, ok := e.Value.Delta.(*types.ContentBlockDeltaMemberToolUse); ok {
				input.WriteString(aws.ToString(d.Value.Input))
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = e.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			usage = e.Value.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "get_weather" || input.String() != `{"city":"Paris"}` || stop != types.StopReasonToolUse || usage == nil {
		t.Errorf("names %v input %s stop %s usage %v", names, input.String(), stop, usage)
	}
}

func TestSDKStreamException(t *testing.T) {
	s := New()
	defer s.Close()
	out, err := sdkClient(s, AccessKeyID, SecretAccessKey, "").ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String("fake.error-stream-v1:0"), Messages: userText("one two three")})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	for range stream.Events() {
	}
	var mse *types.ModelStreamErrorException
	if err := stream.Err(); !errors.As(err, &mse) {
		t.Fatalf("stream error = %v, want ModelStreamErrorException", err)
	}
}

func TestSDKTitanInvoke(t *testing.T) {
	s := New()
	defer s.Close()
	out, err := sdkClient(s, AccessKeyID, SecretAccessKey, "").InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.titan-embed-text-v2:0"), ContentType: aws.String("application/json"),
		Body: []byte(`{"inputText":"hello world","dimensions":256,"normalize":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Body, []byte(`"inputTextTokenCount":2`)) {
		t.Errorf("body %.100s", out.Body)
	}
}
