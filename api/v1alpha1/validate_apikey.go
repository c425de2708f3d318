package v1alpha1

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// CredentialHeaders are header names that carry a provider credential; they may
// not be set through spec.config.headers, where they would sit in a manifest in
// clear text. Compared case-insensitively.
var CredentialHeaders = []string{"Authorization", "x-api-key", "api-key", "x-goog-api-key"}

const (
	providerDetail  = "must consist of lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
	secretRefDetail = "must be at most 128 letters, digits, '-', '_' and '.'"
	envDetail       = "must be an environment variable name: letters, digits and '_', not starting with a digit"
	baseURLDetail   = "must be an absolute http(s) URL"
)

var (
	providerRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$`)
	secretRefRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (v *validator) apiKeySpec(s *APIKeySpec) {
	switch {
	case s.Provider == "":
		v.fail("spec.provider", "required")
	case !providerRE.MatchString(s.Provider):
		v.fail("spec.provider", providerDetail)
	}
	// At most one credential source; whether the provider needs one is the
	// catalog's business, checked by the controller.
	var sources []string
	if s.SecretRef != nil {
		sources = append(sources, "secretRef")
	}
	if s.Env != "" {
		sources = append(sources, "env")
	}
	if s.Value != "" {
		sources = append(sources, "value")
	}
	if len(sources) > 1 {
		got := strings.Join(sources[:len(sources)-1], ", ") + " and " + sources[len(sources)-1]
		v.fail("spec", "only one credential source may be set, got "+got)
	}
	if r := s.SecretRef; r != nil {
		v.secretRefPart("spec.secretRef.scope", r.Scope)
		v.secretRefPart("spec.secretRef.key", r.Key)
	}
	if s.Env != "" && !envRE.MatchString(s.Env) {
		v.fail("spec.env", envDetail)
	}
	if c := s.Config; c != nil {
		v.providerConfig(c)
	}
}

func (v *validator) secretRefPart(path, s string) {
	switch {
	case s == "":
		v.fail(path, "required")
	case len(s) > 128 || !secretRefRE.MatchString(s):
		v.fail(path, secretRefDetail)
	}
}

func (v *validator) providerConfig(c *ProviderConfig) {
	if c.BaseURL != "" {
		if detail := checkBaseURL(c.BaseURL); detail != "" {
			v.fail("spec.config.baseURL", detail)
		}
	}
	for _, name := range sortedKeys(c.Headers) {
		p := keyPath("spec.config.headers", name)
		switch {
		case !isToken(name):
			v.fail(p, "must be a valid HTTP header name")
		case isCredentialHeader(name):
			v.fail(p, "credentials belong in secretRef, env or value")
		}
		// Never echo header values: a misplaced credential may be one.
		if strings.ContainsAny(c.Headers[name], "\r\n\x00") {
			v.fail(p, "value must not contain CR, LF or NUL")
		}
	}
	if a := c.AWS; a != nil && a.Region == "" {
		v.fail("spec.config.aws.region", "required")
	}
	if g := c.Vertex; g != nil {
		if g.Project == "" {
			v.fail("spec.config.vertex.project", "required")
		}
		if g.Location == "" {
			v.fail("spec.config.vertex.location", "required")
		}
	}
}

// checkBaseURL returns what is wrong with a base URL, or "". It never quotes
// the URL, which could hold a password.
func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Hostname() == "" {
		return baseURLDetail
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return baseURLDetail
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return baseURLDetail
		}
	}
	switch {
	case u.User != nil:
		return baseURLDetail + " without user credentials"
	case u.RawQuery != "" || u.ForceQuery:
		return baseURLDetail + " without a query"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return baseURLDetail + " without a fragment"
	}
	return ""
}

func isCredentialHeader(name string) bool {
	for _, h := range CredentialHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// isToken reports whether s is an RFC 9110 token, the syntax of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
