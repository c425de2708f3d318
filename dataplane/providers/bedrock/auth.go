package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"
)

// SigningService is the SigV4 service name of the Bedrock runtime (not
// "bedrock-runtime").
const SigningService = "bedrock"

// apiKeyPrefixes start Bedrock API keys: "ABSK" for long-term keys,
// "bedrock-api-key-" for short-term ones. These are the formats seen in
// AWS's examples and tools; they were not checked against the live service.
var apiKeyPrefixes = []string{"ABSK", "bedrock-api-key-"}

// auth is a parsed credential: either AWS access keys (SigV4) or a Bedrock
// API key (bearer). It never appears in logs or errors.
type auth struct {
	creds  aws.Credentials
	apiKey string
	err    string
}

// parseSecret reads the credential formats an APIKey secret may hold:
//
//	{"accessKeyId":"AKIA...","secretAccessKey":"...","sessionToken":"..."}
//	AKIA...:SECRET[:SESSION_TOKEN]
//	{"apiKey":"ABSK..."}  or  ABSK...  (Bedrock API key, sent as a bearer token)
//
// JSON keys match case-insensitively, so the AccessKeyId/SecretAccessKey/
// SessionToken output of STS and credential_process is accepted too. Errors
// describe the expected format and never quote the secret.
func parseSecret(secret string) auth {
	s := strings.TrimSpace(secret)
	switch {
	case s == "":
		return auth{err: "the secret is empty"}
	case strings.HasPrefix(s, "{"):
		var j struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			APIKey          string `json:"apiKey"`
		}
		if json.Unmarshal([]byte(s), &j) != nil {
			return auth{err: "the secret starts with '{' but is not a valid JSON object"}
		}
		if j.APIKey != "" {
			return auth{apiKey: j.APIKey}
		}
		if j.AccessKeyID == "" || j.SecretAccessKey == "" {
			return auth{err: `the JSON secret needs "accessKeyId" and "secretAccessKey" (or "apiKey")`}
		}
		return auth{creds: aws.Credentials{AccessKeyID: j.AccessKeyID, SecretAccessKey: j.SecretAccessKey, SessionToken: j.SessionToken}}
	}
	for _, p := range apiKeyPrefixes {
		if strings.HasPrefix(s, p) {
			return auth{apiKey: s}
		}
	}
	parts := strings.Split(s, ":")
	if (len(parts) == 2 || len(parts) == 3) && parts[0] != "" && parts[1] != "" && (len(parts) == 2 || parts[2] != "") {
		a := auth{creds: aws.Credentials{AccessKeyID: parts[0], SecretAccessKey: parts[1]}}
		if len(parts) == 3 {
			a.creds.SessionToken = parts[2]
		}
		return a
	}
	return auth{err: `the secret must be JSON {"accessKeyId","secretAccessKey","sessionToken"}, ` +
		`ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN], or a Bedrock API key`}
}

// maxCachedAuth bounds the parse cache; it only grows when secrets rotate,
// and is simply emptied when full.
const maxCachedAuth = 1024

// authCache parses each secret once.
type authCache struct {
	mu sync.Mutex
	m  map[string]*auth
}

func (c *authCache) get(secret string) *auth {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.m[secret]; ok {
		return a
	}
	if c.m == nil || len(c.m) >= maxCachedAuth {
		c.m = map[string]*auth{}
	}
	a := parseSecret(secret)
	c.m[secret] = &a
	return &a
}

// signedHeaders are the headers SigV4 produces; they are copied from the
// signed net/http request onto the fasthttp one.
var signedHeaders = []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}

// sign authenticates req. With an API key it sets a bearer token. Otherwise
// it signs with SigV4: the data plane speaks fasthttp, and the AWS signer
// takes a *net/http.Request, so an equivalent request (same method, URL with
// the escaped path, headers and content length) is signed and the resulting
// headers are copied over. The signer escapes the already-escaped path once
// more for the canonical request, as the AWS SDK does for every service but
// S3.
func (a *auth) sign(ctx context.Context, signer *v4.Signer, req *fasthttp.Request, rawURL string, headers [][2]string,
	body []byte, region string, now time.Time) error {
	if a.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+a.apiKey)
		return nil
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, nil)
	if err != nil {
		return err
	}
	hr.ContentLength = int64(len(body))
	for _, h := range headers {
		hr.Header.Set(h[0], h[1])
	}
	sum := sha256.Sum256(body)
	if err := signer.SignHTTP(ctx, a.creds, hr, hex.EncodeToString(sum[:]), SigningService, region, now); err != nil {
		return err
	}
	for _, h := range signedHeaders {
		if v := hr.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	return nil
}
