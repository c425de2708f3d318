package geminitest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The fake OAuth2 token endpoint plays Google's for service accounts: it
// takes the JWT-bearer grant (RFC 7523) that golang.org/x/oauth2/google sends,
// verifies the RS256 signature with the public key of the service account
// named in "iss", checks audience, scope and expiry, and issues an access
// token the Vertex paths then accept.

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// ServiceAccountKey returns a service-account JSON key for email, with a
// fresh RSA key whose public half the server trusts and token_uri pointing
// at this server.
func (s *Server) ServiceAccountKey(email string) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.saKeys[email] = &key.PublicKey
	s.mu.Unlock()
	return ServiceAccountJSON(email, key, s.TokenURL())
}

// TokenURL is the token endpoint's address.
func (s *Server) TokenURL() string { return s.URL + "/token" }

// ServiceAccountJSON builds a service-account key file around key.
func ServiceAccountJSON(email string, key *rsa.PrivateKey, tokenURI string) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	b, _ := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "fake-project",
		"private_key_id":              "fake-key-id",
		"private_key":                 string(pemKey),
		"client_email":                email,
		"client_id":                   "1234567890",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return b
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.tokenCalls.Add(1)
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		tokenError(w, "invalid_request", "Bad Request")
		return
	}
	if r.PostForm.Get("grant_type") != jwtBearer {
		tokenError(w, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		tokenError(w, "invalid_grant", "Invalid JWT: malformed assertion")
		return
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
	}
	if !decodeSegment(parts[0], &header) || !decodeSegment(parts[1], &claims) || header.Alg != "RS256" {
		tokenError(w, "invalid_grant", "Invalid JWT: malformed header or claims")
		return
	}
	s.mu.Lock()
	pub := s.saKeys[claims.Iss]
	s.mu.Unlock()
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if pub == nil || err != nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
		tokenError(w, "invalid_grant", "Invalid JWT Signature.")
		return
	}
	now := time.Now().Unix()
	switch {
	case claims.Aud != s.TokenURL():
		tokenError(w, "invalid_grant", "Invalid JWT: audience must be the token endpoint")
		return
	case claims.Exp < now || claims.Iat > now+300 || claims.Exp-claims.Iat > 3600:
		tokenError(w, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
		return
	case !strings.Contains(" "+claims.Scope+" ", " https://www.googleapis.com/auth/cloud-platform "):
		tokenError(w, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
		return
	}
	s.mu.Lock()
	s.tokenSeq++
	tok := fmt.Sprintf("ya29.fake-%d", s.tokenSeq)
	s.tokens[tok] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
}

// RevokeTokens forgets every issued access token, as if they had expired
// early; the Vertex paths then answer 401 until a new token is fetched.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}

// ValidToken reports whether tok is an access token this server issued and
// has not revoked; other fakes of Vertex AI services (anthropictest's) use
// it to accept the tokens minted here.
func (s *Server) ValidToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[tok]
}
