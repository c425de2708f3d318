package databricks

import (
	"context"
	"errors"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

func TestServingURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://dbc-1.cloud.databricks.com":                     "https://dbc-1.cloud.databricks.com/serving-endpoints",
		"https://dbc-1.cloud.databricks.com/":                    "https://dbc-1.cloud.databricks.com/serving-endpoints",
		"https://adb-2.5.azuredatabricks.net/serving-endpoints/": "https://adb-2.5.azuredatabricks.net/serving-endpoints",
		"": "",
	} {
		if got := ServingURL(in); got != want {
			t.Errorf("ServingURL(%q) = %q, want %q", in, got, want)
		}
	}
}

type failingTokens struct{}

func (failingTokens) Token(context.Context, string) (string, error) {
	return "", errors.New("oidc down")
}

func TestSendErrorsBeforeTheNetwork(t *testing.T) {
	call := &providers.Call{Task: providers.TaskChat, Model: "databricks-claude", Body: []byte(`{"messages":[]}`)}
	_, err := New(Options{}).Send(t.Context(), &providers.Credential{Secret: "dapi"}, call)
	if pe, ok := err.(*providers.Error); !ok || pe.Code != "missing_base_url" || pe.Retryable {
		t.Fatalf("no workspace: %v", err)
	}
	_, err = New(Options{TokenSource: failingTokens{}}).Send(t.Context(), &providers.Credential{BaseURL: "http://127.0.0.1:1"}, call)
	if pe, ok := err.(*providers.Error); !ok || pe.Code != "token_unavailable" || !pe.Retryable {
		t.Fatalf("token source failure: %v", err)
	}
}

func TestDatabricksErrorBodies(t *testing.T) {
	tests := []struct {
		status  int
		body    string
		code    string
		message string
	}{
		{404, `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"The given endpoint does not exist, please retry after checking the specified model and version deployment exists."}`,
			"RESOURCE_DOES_NOT_EXIST", "The given endpoint does not exist, please retry after checking the specified model and version deployment exists."},
		{429, `{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"Exceeded workspace rate limit for Foundation Model APIs."}`,
			"REQUEST_LIMIT_EXCEEDED", "Exceeded workspace rate limit for Foundation Model APIs."},
		{400, `{"error_code":"BAD_REQUEST","message":"Bad request: json: unknown field \"foo\""}`, "BAD_REQUEST", "Bad request: json: unknown field \"foo\""},
		{400, `{"error":{"message":"OpenAI-shaped errors from external models","type":"invalid_request_error","code":null}}`, "", "OpenAI-shaped errors from external models"},
	}
	for _, tt := range tests {
		e := openai.UpstreamError(tt.status, []byte(tt.body))
		if e.Code != tt.code || e.Message != tt.message || e.Status != tt.status {
			t.Errorf("%s: %+v", tt.body, e)
		}
	}
}
