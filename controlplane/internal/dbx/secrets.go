package dbx

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
)

// SecretMetadata is a secret as list describes it: no value.
type SecretMetadata struct {
	// Key is the secret's key.
	Key string `json:"key"`
	// LastUpdatedTimestamp is the last write, in epoch milliseconds.
	LastUpdatedTimestamp int64 `json:"last_updated_timestamp"`
}

// PutSecret creates or replaces a secret with a string value (POST
// /api/2.0/secrets/put with string_value, sent even when empty).
func (c *Client) PutSecret(ctx context.Context, scope, key, value string) error {
	in := struct {
		Scope       string `json:"scope"`
		Key         string `json:"key"`
		StringValue string `json:"string_value"`
	}{scope, key, value}
	return c.call(ctx, http.MethodPost, "/api/2.0/secrets/put", nil, in, nil)
}

// GetSecret returns a secret's value (GET /api/2.0/secrets/get, whose
// answer is base64 even for a value put as a string). The API documents
// reading values as meant for DBUtils; a workspace may refuse it with
// BAD_REQUEST or PERMISSION_DENIED.
func (c *Client) GetSecret(ctx context.Context, scope, key string) ([]byte, error) {
	var out struct {
		Value string `json:"value"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/2.0/secrets/get", url.Values{"scope": {scope}, "key": {key}}, nil, &out); err != nil {
		return nil, err
	}
	value, err := base64.StdEncoding.DecodeString(out.Value)
	if err != nil {
		return nil, errors.New("the secret value is not base64 as the API promises")
	}
	return value, nil
}

// ListSecrets returns the keys of a scope, without values (GET
// /api/2.0/secrets/list); a missing scope is RESOURCE_DOES_NOT_EXIST.
func (c *Client) ListSecrets(ctx context.Context, scope string) ([]SecretMetadata, error) {
	var out struct {
		Secrets []SecretMetadata `json:"secrets"` // absent for an empty scope
	}
	if err := c.call(ctx, http.MethodGet, "/api/2.0/secrets/list", url.Values{"scope": {scope}}, nil, &out); err != nil {
		return nil, err
	}
	return out.Secrets, nil
}

// DeleteSecret removes a secret (POST /api/2.0/secrets/delete); a missing
// one is RESOURCE_DOES_NOT_EXIST.
func (c *Client) DeleteSecret(ctx context.Context, scope, key string) error {
	in := struct {
		Scope string `json:"scope"`
		Key   string `json:"key"`
	}{scope, key}
	return c.call(ctx, http.MethodPost, "/api/2.0/secrets/delete", nil, in, nil)
}
