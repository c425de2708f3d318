package dbx

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
)

// MaxImport is the largest file the workspace imports (10 MB; above it the
// service answers MAX_NOTEBOOK_SIZE_EXCEEDED).
const MaxImport = 10 << 20

// ObjectType is a workspace object's kind.
type ObjectType string

// The object types of the workspace API.
const (
	ObjectTypeFile      ObjectType = "FILE"
	ObjectTypeDirectory ObjectType = "DIRECTORY"
	ObjectTypeNotebook  ObjectType = "NOTEBOOK"
	ObjectTypeRepo      ObjectType = "REPO"
	ObjectTypeLibrary   ObjectType = "LIBRARY"
	ObjectTypeDashboard ObjectType = "DASHBOARD"
)

// ObjectInfo is a workspace object as list and get-status describe it.
type ObjectInfo struct {
	// Path is the API path (no /Workspace prefix).
	Path string `json:"path"`
	// ObjectType is FILE, DIRECTORY, NOTEBOOK, REPO, ...
	ObjectType ObjectType `json:"object_type"`
	// ObjectID is stable for the object's lifetime; a file deleted and
	// created again gets a new one.
	ObjectID int64 `json:"object_id"`
	// Size is a file's size in bytes.
	Size int64 `json:"size,omitempty"`
	// CreatedAt and ModifiedAt are a file's times in epoch milliseconds.
	CreatedAt  int64 `json:"created_at,omitempty"`
	ModifiedAt int64 `json:"modified_at,omitempty"`
	// Language is a notebook's language.
	Language string `json:"language,omitempty"`
	// ResourceID is the object's id as a string.
	ResourceID string `json:"resource_id,omitempty"`
}

// List returns the objects directly in the folder dir (GET
// /api/2.0/workspace/list; one page, not recursive).
func (c *Client) List(ctx context.Context, dir string) ([]ObjectInfo, error) {
	var out struct {
		Objects []ObjectInfo `json:"objects"` // absent for an empty folder
	}
	if err := c.call(ctx, http.MethodGet, "/api/2.0/workspace/list", url.Values{"path": {dir}}, nil, &out); err != nil {
		return nil, err
	}
	return out.Objects, nil
}

// GetStatus describes one object (GET /api/2.0/workspace/get-status).
func (c *Client) GetStatus(ctx context.Context, path string) (*ObjectInfo, error) {
	var out ObjectInfo
	if err := c.call(ctx, http.MethodGet, "/api/2.0/workspace/get-status", url.Values{"path": {path}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Export returns a file's bytes as stored (GET /api/2.0/workspace/export
// with direct_download=true: the raw content, no JSON or base64).
func (c *Client) Export(ctx context.Context, path string) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/api/2.0/workspace/export",
		url.Values{"path": {path}, "direct_download": {"true"}}, nil)
}

// Import writes a file (POST /api/2.0/workspace/import, JSON with the
// content base64-encoded, format AUTO: a .yaml, .yml or .json becomes a
// workspace file byte for byte). Without overwrite, an existing path fails
// with RESOURCE_ALREADY_EXISTS (see IsAlreadyExists). The parent folder
// must exist.
func (c *Client) Import(ctx context.Context, path string, data []byte, overwrite bool) error {
	if len(data) > MaxImport {
		return fmt.Errorf("import %s: %d bytes; the workspace imports at most %d", path, len(data), MaxImport)
	}
	in := struct {
		Path      string `json:"path"`
		Content   string `json:"content"`
		Format    string `json:"format"`
		Overwrite bool   `json:"overwrite"`
	}{path, base64.StdEncoding.EncodeToString(data), "AUTO", overwrite}
	return c.call(ctx, http.MethodPost, "/api/2.0/workspace/import", nil, in, nil)
}

// Mkdirs creates a folder and its parents; an existing folder is fine, a
// file on the way is RESOURCE_ALREADY_EXISTS (POST /api/2.0/workspace/mkdirs).
func (c *Client) Mkdirs(ctx context.Context, path string) error {
	in := struct {
		Path string `json:"path"`
	}{path}
	return c.call(ctx, http.MethodPost, "/api/2.0/workspace/mkdirs", nil, in, nil)
}

// Delete removes an object; a non-empty folder needs recursive (POST
// /api/2.0/workspace/delete).
func (c *Client) Delete(ctx context.Context, path string, recursive bool) error {
	in := struct {
		Path      string `json:"path"`
		Recursive bool   `json:"recursive"`
	}{path, recursive}
	return c.call(ctx, http.MethodPost, "/api/2.0/workspace/delete", nil, in, nil)
}
