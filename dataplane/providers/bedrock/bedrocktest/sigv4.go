package bedrocktest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Test identities the fake accepts.
const (
	// Region is the region the fake serves; credentials scoped to another
	// region are refused, as AWS does.
	Region = "us-east-1"
	// AccessKeyID and SecretAccessKey are long-term keys.
	AccessKeyID     = "AKIAFAKEBEDROCK00001"
	SecretAccessKey = "fAkE/SeCrEt+KeY0123456789abcdefGHIJKLMNop"
	// TempAccessKeyID, TempSecretAccessKey and SessionToken are temporary
	// credentials: requests must carry the token in X-Amz-Security-Token.
	TempAccessKeyID     = "ASIAFAKEBEDROCK00002"
	TempSecretAccessKey = "tEmP/SeCrEt+KeY9876543210zyxwvuTSRQPONmlk"
	SessionToken        = "IQoJb3JpZ2luX2VjEFakeSessionToken/+=="
	// APIKey is a Bedrock API key, sent as "Authorization: Bearer <key>".
	APIKey = "ABSKQmVkcm9ja0FQSUtleS1mYWtlLWtleQ=="
)

type identity struct {
	secret, token string
}

var identities = map[string]identity{
	AccessKeyID:     {secret: SecretAccessKey},
	TempAccessKeyID: {secret: TempSecretAccessKey, token: SessionToken},
}

// maxSkew is how far X-Amz-Date may be from the server's clock.
const maxSkew = 15 * time.Minute

// authFailure is why a request was refused: status, exception and message
// as AWS sends them.
type authFailure struct {
	status    int
	exception string
	message   string
}

const signatureMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// verify authenticates a request the way AWS does: a Bedrock API key as a
// bearer token, or a SigV4 signature. For SigV4 it rebuilds the canonical
// request from what actually arrived (the raw path as sent on the wire, the
// headers listed in SignedHeaders, the hash of the received body), signs it
// again with the identity's secret and compares signatures. A client that
// signs one path and sends another (say, an unescaped model id) fails here.
func verify(r *http.Request, body []byte, now time.Time) *authFailure {
	authz := r.Header.Get("Authorization")
	if bearer, ok := strings.CutPrefix(authz, "Bearer "); ok {
		if subtle.ConstantTimeCompare([]byte(bearer), []byte(APIKey)) != 1 {
			return &authFailure{403, "AccessDeniedException", "Authentication failed: Please make sure your API Key is valid."}
		}
		return nil
	}
	rest, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 ")
	if !ok {
		return &authFailure{403, "MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	fields := authFields(rest)
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" || scope[4] != "aws4_request" {
		return &authFailure{403, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	}
	id, known := identities[scope[0]]
	if !known {
		return &authFailure{403, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if scope[3] != "bedrock" {
		return &authFailure{403, "InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'. "}
	}
	if scope[2] != Region {
		return &authFailure{403, "InvalidSignatureException", "Credential should be scoped to a valid region. "}
	}
	if id.token != "" && r.Header.Get("X-Amz-Security-Token") != id.token {
		return &authFailure{403, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || when.Format("20060102") != scope[1] {
		return &authFailure{403, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format' and match the credential scope."}
	}
	if d := now.Sub(when); d > maxSkew || d < -maxSkew {
		return &authFailure{403, "InvalidSignatureException", "Signature expired: " + r.Header.Get("X-Amz-Date") + " is now earlier than the allowed skew."}
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !contains(signed, "host") || !contains(signed, "x-amz-date") {
		return &authFailure{403, "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers."}
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != hash {
		return &authFailure{400, "InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	// Rebuild the request exactly as received: RequestURI is the raw path.
	re, err := http.NewRequest(r.Method, "http://"+r.Host+r.RequestURI, nil)
	if err != nil {
		return &authFailure{403, "InvalidSignatureException", signatureMismatch}
	}
	re.Host = r.Host
	for _, h := range signed {
		switch h {
		case "host":
		case "content-length":
			re.ContentLength = int64(len(body))
		default:
			re.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: id.secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, re, hash, "bedrock", Region, when); err != nil {
		return &authFailure{403, "InvalidSignatureException", signatureMismatch}
	}
	want := authFields(strings.TrimPrefix(re.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "))
	if want["SignedHeaders"] != fields["SignedHeaders"] ||
		subtle.ConstantTimeCompare([]byte(want["Signature"]), []byte(fields["Signature"])) != 1 {
		return &authFailure{403, "InvalidSignatureException", signatureMismatch}
	}
	return nil
}

// authFields splits "Credential=..., SignedHeaders=..., Signature=...".
func authFields(s string) map[string]string {
	fields := map[string]string{}
	for _, f := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	return fields
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
