package dbxfake

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/service/workspace"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
)

// SDKWorkspace gives the real SDK's workspace service the method set of
// *dbx.Client that the workspace-file store uses, so its tests can run with
// either client. Writes go through the SDK's multipart Upload (the store's
// client sends JSON), so both import encodings are exercised.
type SDKWorkspace struct{ API *workspace.WorkspaceAPI }

// NewSDKWorkspace adapts c.
func NewSDKWorkspace(c *client.DatabricksClient) SDKWorkspace {
	return SDKWorkspace{workspace.NewWorkspace(c)}
}

// List is ListAll.
func (w SDKWorkspace) List(ctx context.Context, dir string) ([]dbx.ObjectInfo, error) {
	objs, err := w.API.ListAll(ctx, workspace.ListWorkspaceRequest{Path: dir})
	if err != nil {
		return nil, FromSDK(err)
	}
	out := make([]dbx.ObjectInfo, len(objs))
	for i, o := range objs {
		out[i] = objectInfo(o)
	}
	return out, nil
}

// GetStatus is GetStatus.
func (w SDKWorkspace) GetStatus(ctx context.Context, path string) (*dbx.ObjectInfo, error) {
	o, err := w.API.GetStatus(ctx, workspace.GetStatusRequest{Path: path})
	if err != nil {
		return nil, FromSDK(err)
	}
	info := objectInfo(*o)
	return &info, nil
}

// Export is Download (direct_download).
func (w SDKWorkspace) Export(ctx context.Context, path string) ([]byte, error) {
	rc, err := w.API.Download(ctx, path)
	if err != nil {
		return nil, FromSDK(err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Import is Upload (multipart) with format AUTO.
func (w SDKWorkspace) Import(ctx context.Context, path string, data []byte, overwrite bool) error {
	opts := []workspace.UploadOption{workspace.UploadFormat(workspace.ImportFormatAuto)}
	if overwrite {
		opts = append(opts, workspace.UploadOverwrite())
	}
	return FromSDK(w.API.Upload(ctx, path, bytes.NewReader(data), opts...))
}

// Mkdirs is Mkdirs.
func (w SDKWorkspace) Mkdirs(ctx context.Context, path string) error {
	return FromSDK(w.API.Mkdirs(ctx, workspace.Mkdirs{Path: path}))
}

// Delete is Delete.
func (w SDKWorkspace) Delete(ctx context.Context, path string, recursive bool) error {
	return FromSDK(w.API.Delete(ctx, workspace.Delete{Path: path, Recursive: recursive}))
}

func objectInfo(o workspace.ObjectInfo) dbx.ObjectInfo {
	return dbx.ObjectInfo{Path: o.Path, ObjectType: dbx.ObjectType(o.ObjectType), ObjectID: o.ObjectId,
		Size: o.Size, CreatedAt: o.CreatedAt, ModifiedAt: o.ModifiedAt, Language: string(o.Language),
		ResourceID: o.ResourceId}
}

// SDKSecrets gives the real SDK's secrets service the method set of
// *dbx.Client that the secret store uses.
type SDKSecrets struct{ API *workspace.SecretsAPI }

// NewSDKSecrets adapts c.
func NewSDKSecrets(c *client.DatabricksClient) SDKSecrets {
	return SDKSecrets{workspace.NewSecrets(c)}
}

// GetSecret is GetSecret, its base64 answer decoded.
func (s SDKSecrets) GetSecret(ctx context.Context, scope, key string) ([]byte, error) {
	resp, err := s.API.GetSecret(ctx, workspace.GetSecretRequest{Scope: scope, Key: key})
	if err != nil {
		return nil, FromSDK(err)
	}
	v, err := base64.StdEncoding.DecodeString(resp.Value)
	if err != nil {
		return nil, errors.New("the secret value is not base64")
	}
	return v, nil
}

// PutSecret is PutSecret with string_value (sent even when empty).
func (s SDKSecrets) PutSecret(ctx context.Context, scope, key, value string) error {
	return FromSDK(s.API.PutSecret(ctx, workspace.PutSecret{Scope: scope, Key: key, StringValue: value,
		ForceSendFields: []string{"StringValue"}}))
}

// DeleteSecret is DeleteSecret.
func (s SDKSecrets) DeleteSecret(ctx context.Context, scope, key string) error {
	return FromSDK(s.API.DeleteSecret(ctx, workspace.DeleteSecret{Scope: scope, Key: key}))
}

// ListSecrets is ListSecretsAll.
func (s SDKSecrets) ListSecrets(ctx context.Context, scope string) ([]dbx.SecretMetadata, error) {
	list, err := s.API.ListSecretsAll(ctx, workspace.ListSecretsRequest{Scope: scope})
	if err != nil {
		return nil, FromSDK(err)
	}
	out := make([]dbx.SecretMetadata, len(list))
	for i, m := range list {
		out[i] = dbx.SecretMetadata{Key: m.Key, LastUpdatedTimestamp: m.LastUpdatedTimestamp}
	}
	return out, nil
}

// FromSDK turns the SDK's *apierr.APIError into a *dbx.APIError with the
// same status, code and message (so dbx.IsNotFound and friends apply),
// keeping the original in the chain; other errors pass unchanged.
func FromSDK(err error) error {
	var e *apierr.APIError
	if !errors.As(err, &e) {
		return err
	}
	return &sdkError{APIError: dbx.APIError{StatusCode: e.StatusCode, ErrorCode: e.ErrorCode, Message: e.Message}, sdk: err}
}

type sdkError struct {
	dbx.APIError
	sdk error
}

func (e *sdkError) Error() string { return fmt.Sprintf("sdk: %s", e.APIError.Error()) }

// As lets errors.As find the *dbx.APIError.
func (e *sdkError) As(target any) bool {
	if t, ok := target.(**dbx.APIError); ok {
		*t = &e.APIError
		return true
	}
	return false
}

func (e *sdkError) Unwrap() error { return e.sdk }
