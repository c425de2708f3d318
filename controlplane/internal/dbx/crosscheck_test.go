package dbx_test

// Cross-checks: the real databricks-sdk-go client and dbx talk to the same
// fake. The SDK passing shows the fake speaks the service's wire format;
// each client reading what the other wrote, and both seeing the same
// objects and errors, shows dbx speaks it too.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/service/workspace"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/internal/dbxfake"
)

// Both clients get a token the same way: the same discovery, the same
// client-credentials request (Basic auth, scope all-apis), then API calls
// with it.
func TestCrossCheckM2M(t *testing.T) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	fake.SetM2M("app-sp", "s3cr3t/with+chars=")
	fake.CreateScope("s")
	fake.PutSecret("s", "k", "v")

	sdk := workspace.NewSecrets(fake.SDKClientFor(t, &config.Config{ClientID: "app-sp", ClientSecret: "s3cr3t/with+chars="}))
	if _, err := sdk.GetSecret(ctx, workspace.GetSecretRequest{Scope: "s", Key: "k"}); err != nil {
		t.Fatalf("SDK with M2M: %v", err)
	}
	sdkTokens := fake.TokenRequests()

	c, err := dbx.NewClient(dbx.Options{Configure: dbxfake.Configure, Getenv: envOf(map[string]string{
		"DATABRICKS_HOST": fake.URL(), "DATABRICKS_CLIENT_ID": "app-sp", "DATABRICKS_CLIENT_SECRET": "s3cr3t/with+chars="})})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // one token serves every call
		if v, err := c.GetSecret(ctx, "s", "k"); err != nil || string(v) != "v" {
			t.Fatalf("dbx with M2M: %q, %v", v, err)
		}
	}
	all := fake.TokenRequests()
	if len(sdkTokens) != 1 || len(all) != 2 {
		t.Fatalf("token requests: SDK %v, all %v; want one each", sdkTokens, all)
	}
	if all[0] != all[1] || all[0] != "auth=Basic grant_type=client_credentials scope=all-apis" {
		t.Errorf("token requests differ or are not the documented grant:\nSDK: %s\ndbx: %s", all[0], all[1])
	}
}

// Both clients read the same errors from the same answers.
func TestCrossCheckErrors(t *testing.T) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	fake.WriteFile("/Shared/a.yaml", []byte("a"))
	fake.CreateScope("s")
	sdkWS, sdkSec := workspace.NewWorkspace(fake.SDKClient(t)), workspace.NewSecrets(fake.SDKClient(t))
	c := fake.RESTClient(t)

	type pair struct{ sdk, dbx error }
	calls := map[string]func() pair{
		"get-status of a missing path": func() pair {
			_, e1 := sdkWS.GetStatus(ctx, workspace.GetStatusRequest{Path: "/Shared/missing"})
			_, e2 := c.GetStatus(ctx, "/Shared/missing")
			return pair{e1, e2}
		},
		"import over a file without overwrite": func() pair {
			e1 := sdkWS.Import(ctx, workspace.Import{Path: "/Shared/a.yaml", Content: base64.StdEncoding.EncodeToString([]byte("x")),
				Format: workspace.ImportFormatAuto})
			return pair{e1, c.Import(ctx, "/Shared/a.yaml", []byte("x"), false)}
		},
		"get of a missing secret": func() pair {
			_, e1 := sdkSec.GetSecret(ctx, workspace.GetSecretRequest{Scope: "s", Key: "nope"})
			_, e2 := c.GetSecret(ctx, "s", "nope")
			return pair{e1, e2}
		},
		"list of a missing scope": func() pair {
			_, e1 := sdkSec.ListSecretsAll(ctx, workspace.ListSecretsRequest{Scope: "nope"})
			_, e2 := c.ListSecrets(ctx, "nope")
			return pair{e1, e2}
		},
	}
	faults := map[string]*dbxfake.Fault{
		"permission denied": {Status: http.StatusForbidden, ErrorCode: "PERMISSION_DENIED"},
		"bad request":       {Status: http.StatusBadRequest, ErrorCode: "BAD_REQUEST"},
		"internal error":    {Status: http.StatusInternalServerError, ErrorCode: "INTERNAL_ERROR"},
		"unauthenticated":   {Status: http.StatusUnauthorized, ErrorCode: "UNAUTHENTICATED"},
	}
	for name, f := range faults {
		calls[name] = func() pair {
			fake.SetFault(f)
			defer fake.SetFault(nil)
			_, e1 := sdkWS.ListAll(ctx, workspace.ListWorkspaceRequest{Path: "/Shared"})
			_, e2 := c.List(ctx, "/Shared")
			return pair{e1, e2}
		}
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			p := call()
			var se *apierr.APIError
			var de *dbx.APIError
			if !errors.As(p.sdk, &se) || !errors.As(p.dbx, &de) {
				t.Fatalf("SDK: %v; dbx: %v", p.sdk, p.dbx)
			}
			if se.StatusCode != de.StatusCode || se.ErrorCode != de.ErrorCode || se.Message != de.Message {
				t.Errorf("SDK %d %s %q, dbx %d %s %q", se.StatusCode, se.ErrorCode, se.Message, de.StatusCode, de.ErrorCode, de.Message)
			}
			for _, c := range []struct {
				what     string
				sdk, dbx bool
			}{
				{"not found", apierr.IsMissing(p.sdk), dbx.IsNotFound(p.dbx)},
				{"already exists", errors.Is(p.sdk, apierr.ErrResourceAlreadyExists), dbx.IsAlreadyExists(p.dbx)},
				{"permission denied", errors.Is(p.sdk, apierr.ErrPermissionDenied), dbx.IsPermissionDenied(p.dbx)},
				{"bad request", errors.Is(p.sdk, apierr.ErrBadRequest), dbx.IsBadRequest(p.dbx)},
			} {
				if c.sdk != c.dbx {
					t.Errorf("%s: SDK %v, dbx %v", c.what, c.sdk, c.dbx)
				}
			}
		})
	}
}

// Each client reads back exactly what the other wrote, and both describe
// the same objects alike.
func TestCrossCheckWorkspace(t *testing.T) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	sdk := workspace.NewWorkspace(fake.SDKClient(t))
	c := fake.RESTClient(t)
	content := []byte("kind: Endpoint\n# ünïcode, \x00 and a trailing newline\n")

	if err := sdk.MkdirsByPath(ctx, "/Shared/gw/sub"); err != nil {
		t.Fatal(err)
	}
	// SDK multipart upload and SDK JSON import, read by dbx.
	if err := sdk.Upload(ctx, "/Shared/gw/by-sdk-upload.yaml", bytes.NewReader(content), workspace.UploadFormat(workspace.ImportFormatAuto)); err != nil {
		t.Fatal(err)
	}
	if err := sdk.Import(ctx, workspace.Import{Path: "/Shared/gw/by-sdk-import.yaml", Format: workspace.ImportFormatAuto,
		Content: base64.StdEncoding.EncodeToString(content)}); err != nil {
		t.Fatal(err)
	}
	// dbx import, read by the SDK's Download (raw) and Export (JSON, base64).
	if err := c.Mkdirs(ctx, "/Shared/gw/sub"); err != nil {
		t.Fatal(err)
	}
	if err := c.Import(ctx, "/Shared/gw/by-dbx.yaml", content, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/Shared/gw/by-sdk-upload.yaml", "/Shared/gw/by-sdk-import.yaml", "/Shared/gw/by-dbx.yaml"} {
		sameFile(t, sdk, c, p, content)
	}
	// Overwrite through dbx, seen by the SDK.
	if err := c.Import(ctx, "/Shared/gw/by-sdk-upload.yaml", []byte("v2"), true); err != nil {
		t.Fatal(err)
	}
	if rc, err := sdk.Download(ctx, "/Shared/gw/by-sdk-upload.yaml"); err == nil {
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "v2" {
			t.Errorf("after a dbx overwrite the SDK reads %q", got)
		}
	}
	sdkList, err := sdk.ListAll(ctx, workspace.ListWorkspaceRequest{Path: "/Shared/gw"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.List(ctx, "/Shared/gw")
	if err != nil || len(list) != len(sdkList) || len(list) != 4 {
		t.Fatalf("dbx List = %+v, %v; SDK %+v", list, err, sdkList)
	}
	for i := range list {
		if !sameObject(sdkList[i], list[i]) {
			t.Errorf("entry %d: SDK %+v, dbx %+v", i, sdkList[i], list[i])
		}
	}
	// An empty folder lists as nothing for both; deletes by either are seen by both.
	if l, err := c.List(ctx, "/Shared/gw/sub"); err != nil || len(l) != 0 {
		t.Errorf("empty folder: %v, %v", l, err)
	}
	if err := c.Delete(ctx, "/Shared/gw/by-sdk-import.yaml", false); err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.GetStatusByPath(ctx, "/Shared/gw/by-sdk-import.yaml"); !apierr.IsMissing(err) {
		t.Errorf("SDK after a dbx delete: %v", err)
	}
	if err := sdk.Delete(ctx, workspace.Delete{Path: "/Shared/gw", Recursive: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStatus(ctx, "/Shared/gw/by-dbx.yaml"); !dbx.IsNotFound(err) {
		t.Errorf("dbx after an SDK delete: %v", err)
	}
}

// sameFile checks that both clients read p as content (the SDK both as a raw
// download and as a base64 export) and describe it alike.
func sameFile(t *testing.T, sdk *workspace.WorkspaceAPI, c *dbx.Client, p string, content []byte) {
	t.Helper()
	ctx := context.Background()
	got, err := c.Export(ctx, p)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("dbx Export %s = %q, %v", p, got, err)
	}
	rc, err := sdk.Download(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("SDK Download %s = %q", p, got)
	}
	exp, err := sdk.Export(ctx, workspace.ExportRequest{Path: p, Format: workspace.ExportFormatAuto})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := base64.StdEncoding.DecodeString(exp.Content); err != nil || !bytes.Equal(got, content) {
		t.Errorf("SDK Export %s = %q, %v", p, got, err)
	}
	sdkInfo, err := sdk.GetStatusByPath(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.GetStatus(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !sameObject(*sdkInfo, *info) || info.ObjectType != dbx.ObjectTypeFile || info.Size != int64(len(content)) {
		t.Errorf("%s: SDK %+v, dbx %+v", p, *sdkInfo, *info)
	}
}

func sameObject(s workspace.ObjectInfo, d dbx.ObjectInfo) bool {
	return s.Path == d.Path && string(s.ObjectType) == string(d.ObjectType) && s.ObjectId == d.ObjectID &&
		s.Size == d.Size && s.ModifiedAt == d.ModifiedAt && s.CreatedAt == d.CreatedAt
}

// Secrets: a value put by one client reads back the same through the other,
// strings and bytes alike, and both list the same keys and times.
func TestCrossCheckSecrets(t *testing.T) {
	ctx := context.Background()
	fake := dbxfake.New(t)
	fake.CreateScope("s")
	sdk := workspace.NewSecrets(fake.SDKClient(t))
	c := fake.RESTClient(t)
	values := []string{"sk-plain", "", "multi\nline \"quoted\" ünïcode \x00"}
	for i, v := range values {
		if err := c.PutSecret(ctx, "s", "dbx"+string(rune('a'+i)), v); err != nil {
			t.Fatal(err)
		}
		if err := sdk.PutSecret(ctx, workspace.PutSecret{Scope: "s", Key: "sdk" + string(rune('a'+i)), StringValue: v,
			ForceSendFields: []string{"StringValue"}}); err != nil {
			t.Fatal(err)
		}
	}
	// bytes_value, which dbx never sends, still reads back.
	if err := sdk.PutSecret(ctx, workspace.PutSecret{Scope: "s", Key: "bytes", BytesValue: base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff})}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetSecret(ctx, "s", "bytes"); err != nil || !bytes.Equal(got, []byte{0, 1, 0xff}) {
		t.Errorf("bytes_value read by dbx: %v, %v", got, err)
	}
	for i, v := range values {
		for _, key := range []string{"dbx" + string(rune('a'+i)), "sdk" + string(rune('a'+i))} {
			resp, err := sdk.GetSecret(ctx, workspace.GetSecretRequest{Scope: "s", Key: key})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := base64.StdEncoding.DecodeString(resp.Value); string(got) != v {
				t.Errorf("SDK GetSecret %s = %q, want %q", key, got, v)
			}
			if got, err := c.GetSecret(ctx, "s", key); err != nil || string(got) != v {
				t.Errorf("dbx GetSecret %s = %q, %v; want %q", key, got, err, v)
			}
		}
	}
	sdkList, err := sdk.ListSecretsAll(ctx, workspace.ListSecretsRequest{Scope: "s"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSecrets(ctx, "s")
	if err != nil || len(list) != 7 || len(sdkList) != len(list) {
		t.Fatalf("dbx ListSecrets = %v, %v; SDK %v", list, err, sdkList)
	}
	for i := range list {
		if list[i].Key != sdkList[i].Key || list[i].LastUpdatedTimestamp != sdkList[i].LastUpdatedTimestamp || list[i].LastUpdatedTimestamp == 0 {
			t.Errorf("entry %d: SDK %+v, dbx %+v", i, sdkList[i], list[i])
		}
	}
	if err := c.DeleteSecret(ctx, "s", "sdka"); err != nil {
		t.Fatal(err)
	}
	if err := sdk.DeleteSecret(ctx, workspace.DeleteSecret{Scope: "s", Key: "dbxa"}); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	list, _ = c.ListSecrets(ctx, "s")
	for _, m := range list {
		keys = append(keys, m.Key)
	}
	if want := []string{"bytes", "dbxb", "dbxc", "sdkb", "sdkc"}; !slices.Equal(keys, want) {
		t.Errorf("keys after deletes = %v, want %v", keys, want)
	}
}
