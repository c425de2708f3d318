package bedrocktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedPost sends body to rawPath signed with the long-term test keys; tamper
// may change the request after signing.
func signedPost(t *testing.T, s *Server, rawPath string, body []byte, tamper func(*http.Request)) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+rawPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock", Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &e)
	typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	return resp.StatusCode, typ, e.Message
}

const converse = "/model/fake.chat-v1%3A0/converse"

func TestValidationRejects(t *testing.T) {
	s := New()
	defer s.Close()
	weather := `"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object"}}}}]}`
	use := `{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{}}}]}`
	tests := []struct {
		name, body, contains string
	}{
		{"no messages", `{"messages":[]}`, "must start with a user message"},
		{"starts with assistant", `{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}`, "must start with a user message"},
		{"bad role", `{"messages":[{"role":"system","content":[{"text":"hi"}]}]}`, "enum value set: [user, assistant]"},
		{"not alternating", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}`, "must alternate between user and assistant"},
		{"empty content", `{"messages":[{"role":"user","content":[]}]}`, "messages.0 is empty"},
		{"blank text", `{"messages":[{"role":"user","content":[{"text":"  "}]}]}`, "ContentBlock object at messages.0.content.0 is blank"},
		{"blank system", `{"system":[{"text":""}],"messages":[{"role":"user","content":[{"text":"a"}]}]}`, "system.0 is blank"},
		{"two members", `{"messages":[{"role":"user","content":[{"text":"a","image":{"format":"png","source":{"bytes":"AA=="}}}]}]}`, "exactly one member"},
		{"unknown member", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"max_tokens":5}`, `unknown field "max_tokens"`},
		{"bad image format", `{"messages":[{"role":"user","content":[{"image":{"format":"bmp","source":{"bytes":"AA=="}}}]}]}`, "[png, jpeg, gif, webp]"},
		{"tool blocks without toolConfig", `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use + `,{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}]}`,
			"toolConfig field must be defined"},
		{"toolResult without toolUse", `{"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],` + weather + `}`,
			"exceeds the number of toolUse blocks of previous turn"},
		{"toolUse without toolResult", `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use + `,{"role":"user","content":[{"text":"go on"}]}],` + weather + `}`,
			"Expected toolResult blocks at messages.2.content for the following Ids: t1"},
		{"toolResult for another id", `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use + `,{"role":"user","content":[{"toolResult":{"toolUseId":"t2","content":[{"text":"ok"}]}}]}],` + weather + `}`,
			"following Ids: t1"},
		{"toolUse in a user turn", `{"messages":[{"role":"user","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{}}}]}],` + weather + `}`,
			"only allowed in assistant messages"},
		{"toolUse input not an object", `{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":"x"}}]}],` + weather + `}`,
			"must be a JSON object"},
		{"maxTokens 0", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"maxTokens":0}}`, "inferenceConfig.maxTokens"},
		{"empty tools", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[]}}`, "toolConfig.tools"},
		{"bad tool name", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get weather","inputSchema":{"json":{}}}}]}}`,
			"toolSpec.name"},
		{"choice of an undeclared tool", `{"messages":[{"role":"user","content":[{"text":"a"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}],"toolChoice":{"tool":{"name":"g"}}}}`,
			"not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, msg := signedPost(t, s, converse, []byte(tt.body), nil)
			if status != 400 || typ != "ValidationException" || !strings.Contains(msg, tt.contains) {
				t.Errorf("got %d %s %q, want 400 ValidationException containing %q", status, typ, msg, tt.contains)
			}
		})
	}
	ok := `{"messages":[{"role":"user","content":[{"text":"a"}]},` + use + `,{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[]}},{"text":"and?"}]}],` + weather + `}`
	if status, typ, msg := signedPost(t, s, converse, []byte(ok), nil); status != 200 {
		t.Errorf("valid tool round trip refused: %d %s %s", status, typ, msg)
	}
}

func TestSignatureChecks(t *testing.T) {
	s := New()
	defer s.Close()
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"a"}]}]}`)
	tests := []struct {
		name   string
		tamper func(*http.Request)
		status int
		typ    string
	}{
		{"untouched", nil, 200, ""},
		{"path sent unescaped after signing the escaped one", func(r *http.Request) {
			r.URL.RawPath = ""
			r.URL.Path = "/model/fake.chat-v1:0/converse"
		}, 403, "InvalidSignatureException"},
		{"body changed", func(r *http.Request) {
			b := []byte(`{"messages":[{"role":"user","content":[{"text":"b"}]}]}`)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}, 403, "InvalidSignatureException"},
		{"signed header changed", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 403, "InvalidSignatureException"},
		{"no signature", func(r *http.Request) { r.Header.Del("Authorization") }, 403, "MissingAuthenticationTokenException"},
		{"other region", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
		}, 403, "InvalidSignatureException"},
		{"API key", func(r *http.Request) { r.Header = http.Header{"Authorization": {"Bearer " + APIKey}} }, 200, ""},
		{"wrong API key", func(r *http.Request) { r.Header = http.Header{"Authorization": {"Bearer ABSKnope"}} }, 403, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ, msg := signedPost(t, s, converse, body, tt.tamper)
			if status != tt.status || typ != tt.typ {
				t.Errorf("got %d %s %q, want %d %s", status, typ, msg, tt.status, tt.typ)
			}
		})
	}
	if status, typ, _ := signedPost(t, s, "/model/a%3A0/chat", body, nil); status != 404 || typ != "UnknownOperationException" {
		t.Errorf("unknown operation: %d %s", status, typ)
	}
	// An ARN whose '/' was not escaped does not match any operation.
	if status, _, _ := signedPost(t, s, "/model/arn:aws:bedrock:us-east-1:1:inference-profile/x/converse", body, nil); status != 404 {
		t.Errorf("unescaped ARN: %d", status)
	}
}
