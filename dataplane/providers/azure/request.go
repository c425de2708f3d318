package azure

import (
	"net/url"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

// DefaultAPIVersion is the api-version sent on classic deployment URLs when
// the APIKey sets no config option "azure.apiVersion": the latest GA
// data-plane inference version (chat, completions, embeddings, tools,
// structured outputs and stream_options are all available in it).
const DefaultAPIVersion = "2024-10-21"

// OptionAPIVersion is the Credential.Options key that overrides DefaultAPIVersion.
const OptionAPIVersion = "azure.apiVersion"

// v1Suffix marks a base URL of the v1 API.
const v1Suffix = "/openai/v1"

// IsV1 reports whether a base URL addresses the v1 API rather than classic
// deployments.
func IsV1(base string) bool {
	return strings.HasSuffix(strings.TrimRight(base, "/"), v1Suffix)
}

// requestURL builds the upstream URL for call. The classic form also accepts
// a base that already ends in "/openai" (a common copy from the portal).
func requestURL(cred *providers.Credential, call *providers.Call) (string, error) {
	base := strings.TrimRight(cred.BaseURL, "/")
	if base == "" || strings.Contains(base, "{") {
		return "", &providers.Error{Status: 500, Type: "api_error", Code: "missing_base_url",
			Message: "provider " + ID + " needs config.baseURL: https://{resource}.openai.azure.com or https://{resource}.openai.azure.com/openai/v1"}
	}
	if IsV1(base) {
		return base + openai.TaskPath(call.Task), nil
	}
	if call.Model == "" {
		return "", &providers.Error{Status: 400, Type: "invalid_request_error", Code: "missing_deployment",
			Message: "the target's model must name the Azure deployment"}
	}
	version := cred.Options[OptionAPIVersion]
	if version == "" {
		version = DefaultAPIVersion
	}
	base = strings.TrimSuffix(base, "/openai")
	return base + "/openai/deployments/" + url.PathEscape(call.Model) + openai.TaskPath(call.Task) +
		"?api-version=" + url.QueryEscape(version), nil
}

// upstreamBody rewrites the model (the deployment; classic URLs ignore it but
// it keeps logs truthful) and, for streams, asks for usage so metrics and
// token limits work; the usage chunk is hidden again from clients that did not
// ask for it. The client's body is never modified: sjson returns a copy.
func upstreamBody(call *providers.Call) ([]byte, bool, error) {
	body, err := sjson.SetBytes(call.Body, "model", call.Model)
	if err != nil {
		return nil, false, err
	}
	if !call.Stream || call.IncludeUsage || call.Task == providers.TaskEmbeddings {
		return body, false, nil
	}
	body, err = sjson.SetBytes(body, "stream_options.include_usage", true)
	if err != nil {
		return nil, false, err
	}
	return body, true, nil
}
