package databricks_test

// Cross-checks at the store's level: the real databricks-sdk-go and
// gatewayd's dbx client against the same fake workspace, each reading the
// secrets the other put.

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/databricks/databricks-sdk-go/service/workspace"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/secrets"
	"github.com/ai-gateway/gateway/controlplane/secrets/databricks"
)

func TestCrossCheckSDKAndStore(t *testing.T) {
	s, fake := newStore(t, nil)
	sdk := workspace.NewSecrets(fake.SDKClient(t))
	values := map[string]string{"canary": canary, "empty": "", "binaryish": "multi\nline \"q\" ünïcode \x00",
		"large": strings.Repeat("x", databricks.MaxValue)}

	// Put by the store, read by the SDK's GetSecret (base64 on the wire).
	for key, v := range values {
		if err := s.Put(ctx, "ai-gateway", "store-"+key, v); err != nil {
			t.Fatal(err)
		}
		resp, err := sdk.GetSecret(ctx, workspace.GetSecretRequest{Scope: "ai-gateway", Key: "store-" + key})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := base64.StdEncoding.DecodeString(resp.Value); err != nil || string(got) != v {
			t.Errorf("SDK reads %s as %.10q, %v; want %.10q", key, got, err, v)
		}
	}
	// Put by the SDK (string_value and bytes_value), read by the store.
	for key, v := range values {
		if err := sdk.PutSecret(ctx, workspace.PutSecret{Scope: "ai-gateway", Key: "sdk-" + key, StringValue: v,
			ForceSendFields: []string{"StringValue"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "ai-gateway", "sdk-"+key); err != nil || got != v {
			t.Errorf("store reads %s as %.10q, %v; want %.10q", key, got, err, v)
		}
	}
	if err := sdk.PutSecret(ctx, workspace.PutSecret{Scope: "ai-gateway", Key: "bytes",
		BytesValue: base64.StdEncoding.EncodeToString([]byte(canary))}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "ai-gateway", "bytes"); err != nil || got != canary {
		t.Errorf("store reads a bytes_value as %q, %v", got, err)
	}
	// Deleted by the store, gone for the SDK; the other way round too.
	if err := s.Delete(ctx, "ai-gateway", "sdk-canary"); err != nil {
		t.Fatal(err)
	}
	list, err := sdk.ListSecretsAll(ctx, workspace.ListSecretsRequest{Scope: "ai-gateway"})
	if err != nil || len(list) != 2*len(values) {
		t.Errorf("SDK lists %d secrets, %v; want %d", len(list), err, 2*len(values))
	}
	if err := sdk.DeleteSecret(ctx, workspace.DeleteSecret{Scope: "ai-gateway", Key: "store-canary"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "ai-gateway", "store-canary"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("store Get after an SDK delete: %v", err)
	}
}

// echoAPI refuses every put with an error that quotes the value, as a
// careless server might.
type echoAPI struct{ databricks.API }

func (echoAPI) PutSecret(_ context.Context, _, _, value string) error {
	return &dbx.APIError{StatusCode: http.StatusBadRequest, ErrorCode: "INVALID_PARAMETER_VALUE", Message: "bad value " + value}
}

func TestPutErrorWithholdsTheValue(t *testing.T) {
	s := databricks.New(echoAPI{}, databricks.Options{})
	err := s.Put(ctx, "ai-gateway", "k", canary)
	if err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "withheld") {
		t.Errorf("Put = %v", err)
	}
}
