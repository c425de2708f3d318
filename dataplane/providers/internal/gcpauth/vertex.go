package gcpauth

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Credential option keys for Vertex AI (an APIKey's spec.config.vertex).
const (
	OptionProject  = "vertex.project"
	OptionLocation = "vertex.location"
)

// versionSuffix matches a base URL that already names an API version.
var versionSuffix = regexp.MustCompile(`/v[0-9]+((alpha|beta)[0-9]*)?$`)

// locationPattern is what a Vertex location may look like; it becomes part
// of a host name, so nothing else is allowed.
var locationPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// VertexBase returns https://{host}/v1/projects/{project}/locations/{location}
// for a Vertex AI credential. The host is {location}-aiplatform.googleapis.com
// (aiplatform.googleapis.com for location "global") unless the credential's
// BaseURL overrides it; a BaseURL already ending in an API version keeps it.
// provider names the provider in errors.
func VertexBase(provider string, cred *providers.Credential) (string, error) {
	project, location := cred.Options[OptionProject], cred.Options[OptionLocation]
	if project == "" {
		return "", Misconfigured(provider + " credential " + quote(cred.Name) + " has no project: set spec.config.vertex.project")
	}
	if location == "" {
		return "", Misconfigured(provider + " credential " + quote(cred.Name) + " has no location: set spec.config.vertex.location")
	}
	if !locationPattern.MatchString(location) {
		return "", Misconfigured(provider + " credential " + quote(cred.Name) + " has an invalid location " + quote(location))
	}
	host := strings.TrimRight(cred.BaseURL, "/")
	switch {
	case host != "":
	case location == "global":
		host = "https://aiplatform.googleapis.com"
	default:
		host = "https://" + location + "-aiplatform.googleapis.com"
	}
	if !versionSuffix.MatchString(host) {
		host += "/v1"
	}
	return host + "/projects/" + url.PathEscape(project) + "/locations/" + location, nil
}

func quote(s string) string { return `"` + s + `"` }

// ValidateVertex checks what can be checked of a Vertex AI credential without
// a request: the project and location options and the service-account key.
func ValidateVertex(provider string, cred *providers.Credential) error {
	if _, err := VertexBase(provider, cred); err != nil {
		return err
	}
	_, err := ParseServiceAccount(context.Background(), provider, cred.Secret.Reveal())
	return err
}
