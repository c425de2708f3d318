package azure

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestUpstreamError(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		body, ra, rams string
		want           providers.Error
	}{
		{"deployment not found", 404, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`, "", "",
			providers.Error{Status: 404, Type: "invalid_request_error", Code: "DeploymentNotFound", Message: "The API deployment for this resource does not exist."}},
		{"throttled with both headers", 429, `{"error":{"code":"429","message":"Please retry after 7 seconds."}}`, "7", "7000",
			providers.Error{Status: 429, Type: "rate_limit_error", Message: "Please retry after 7 seconds.", RetryAfter: "7", Retryable: true}},
		{"throttled with milliseconds only", 429, `{"error":{"code":"429","message":"slow down"}}`, "", "1500",
			providers.Error{Status: 429, Type: "rate_limit_error", Message: "slow down", RetryAfter: "2", Retryable: true}},
		{"content filter", 400, `{"error":{"code":"content_filter","message":"filtered","param":"prompt","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation"}}}`, "", "",
			providers.Error{Status: 400, Type: "invalid_request_error", Code: "content_filter", Param: "prompt", Message: "filtered"}},
		{"gateway-layer 401", 401, `{"statusCode":401,"message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}`, "", "",
			providers.Error{Status: 401, Type: "authentication_error", Message: "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}},
		{"server error", 500, `{"error":{"code":"InternalServerError","message":"Backend returned unexpected response."}}`, "", "",
			providers.Error{Status: 500, Type: "api_error", Code: "InternalServerError", Message: "Backend returned unexpected response.", Retryable: true}},
		{"not JSON", 503, `Service Unavailable`, "", "",
			providers.Error{Status: 503, Type: "api_error", Message: "Service Unavailable", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := upstreamError(tt.status, []byte(tt.body), tt.ra, tt.rams)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestURLErrors(t *testing.T) {
	for _, base := range []string{"", "https://{resource}.openai.azure.com"} {
		_, err := requestURL(&providers.Credential{BaseURL: base}, &providers.Call{Model: "d"})
		if pe, ok := err.(*providers.Error); !ok || pe.Code != "missing_base_url" || pe.Retryable {
			t.Errorf("base %q: %v", base, err)
		}
	}
	_, err := requestURL(&providers.Credential{BaseURL: "https://r.openai.azure.com"}, &providers.Call{})
	if pe, ok := err.(*providers.Error); !ok || pe.Status != 400 {
		t.Errorf("no deployment: %v", err)
	}
}
