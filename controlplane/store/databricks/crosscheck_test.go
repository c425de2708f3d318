package databricks

// Cross-checks at the store's level: the real databricks-sdk-go and
// gatewayd's dbx client against the same fake workspace, each reading what
// the other wrote.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/service/workspace"

	"github.com/ai-gateway/gateway/controlplane/store"
)

const manifest = "apiVersion: gateway.ai/v1alpha1\nkind: Endpoint\nmetadata:\n  name: ünïcode\nspec: {}\n"

// A manifest a person or CI uploads with the SDK (multipart Upload, as
// WriteFile and `databricks workspace import` do) is listed and read by the
// store; what the store writes the SDK reads back byte for byte, as a raw
// download and as a base64 export.
func TestCrossCheckSDKAndStore(t *testing.T) {
	ctx := context.Background()
	s, fake := newStore(t, Options{})
	sdk := workspace.NewWorkspace(fake.SDKClient(t))

	if err := sdk.MkdirsByPath(ctx, root+"/team"); err != nil {
		t.Fatal(err)
	}
	if err := sdk.Upload(ctx, root+"/team/by-sdk.yaml", bytes.NewReader([]byte(manifest)),
		workspace.UploadFormat(workspace.ImportFormatAuto)); err != nil {
		t.Fatal(err)
	}
	if err := sdk.WriteFile(ctx, root+"/written.yaml", []byte(manifest)); err != nil {
		t.Fatal(err)
	}
	docs, err := s.List(ctx)
	if err != nil || len(docs) != 2 || docs[0].Path != "team/by-sdk.yaml" || docs[1].Path != "written.yaml" {
		t.Fatalf("List = %+v, %v", docs, err)
	}
	for _, d := range docs {
		if string(d.Data) != manifest || d.Version != version([]byte(manifest)) {
			t.Errorf("%s: %q version %s", d.Path, d.Data, d.Version)
		}
	}

	v, err := s.Put(ctx, "endpoints/by-store.yaml", []byte(manifest), "")
	if err != nil {
		t.Fatal(err)
	}
	full := root + "/endpoints/by-store.yaml"
	rc, err := sdk.Download(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	exp, err := sdk.Export(ctx, workspace.ExportRequest{Path: full, Format: workspace.ExportFormatAuto})
	if err != nil {
		t.Fatal(err)
	}
	b64, _ := base64.StdEncoding.DecodeString(exp.Content)
	if string(raw) != manifest || string(b64) != manifest {
		t.Errorf("SDK reads %q (download) and %q (export), want the manifest", raw, b64)
	}
	info, err := sdk.GetStatusByPath(ctx, full)
	if err != nil || info.ObjectType != workspace.ObjectTypeFile || info.Size != int64(len(manifest)) {
		t.Errorf("SDK GetStatus = %+v, %v", info, err)
	}

	// The SDK overwrites; the store's version check sees it.
	if err := sdk.Upload(ctx, full, bytes.NewReader([]byte("changed")), workspace.UploadOverwrite(),
		workspace.UploadFormat(workspace.ImportFormatAuto)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "endpoints/by-store.yaml", []byte("mine"), v); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Put over an SDK edit: %v, want ErrConflict", err)
	}
	if doc, err := s.Get(ctx, "endpoints/by-store.yaml"); err != nil || string(doc.Data) != "changed" {
		t.Errorf("Get after the SDK edit = %q, %v", doc.Data, err)
	}
	// A delete by the store is a delete for the SDK.
	if err := s.Delete(ctx, "endpoints/by-store.yaml", store.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.GetStatusByPath(ctx, full); !apierr.IsMissing(err) {
		t.Errorf("SDK GetStatus after the store's delete: %v", err)
	}
}

// Two stores over one folder, one per client, see each other's writes with
// the same versions.
func TestCrossCheckTwoStores(t *testing.T) {
	ctx := context.Background()
	viaDBX, fake := newStore(t, Options{})
	viaSDK, err := New(backends[1].api(t, fake), root, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := viaDBX.Put(ctx, "a.yaml", []byte("from dbx"), "")
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := viaSDK.Get(ctx, "a.yaml"); err != nil || doc.Version != v1 || string(doc.Data) != "from dbx" {
		t.Errorf("SDK store reads %+v, %v", doc, err)
	}
	v2, err := viaSDK.Put(ctx, "a.yaml", []byte("from sdk"), v1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viaDBX.Put(ctx, "a.yaml", []byte("stale"), v1); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale Put through dbx: %v", err)
	}
	docs, err := viaDBX.List(ctx)
	if err != nil || len(docs) != 1 || docs[0].Version != v2 || string(docs[0].Data) != "from sdk" {
		t.Errorf("dbx store lists %+v, %v", docs, err)
	}
	if _, err := viaSDK.Put(ctx, "a.yaml", []byte("x"), ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create over a dbx-written file through the SDK: %v", err)
	}
}
