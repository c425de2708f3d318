package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

// manifestType is the content type manifests are sent with (YAML or JSON: the
// server sniffs, as it does for files).
const manifestType = "application/yaml"

// Plural returns the collection name of a kind in the API's paths.
func Plural(kind string) (string, error) {
	switch kind {
	case v1alpha1.KindEndpoint:
		return "endpoints", nil
	case v1alpha1.KindAPIKey:
		return "apikeys", nil
	}
	return "", fmt.Errorf("unknown kind %q: want %s or %s", kind, v1alpha1.KindEndpoint, v1alpha1.KindAPIKey)
}

// Item is one object as the API returned it: decoded, and its JSON as sent.
type Item struct {
	Object v1alpha1.Object
	Raw    json.RawMessage
}

// DecodeObject decodes an object the API returned (status included) into an
// *v1alpha1.Endpoint or *v1alpha1.APIKey according to its kind. Unlike
// v1alpha1.Decode it is lenient: fields a newer server adds are ignored.
func DecodeObject(raw []byte) (v1alpha1.Object, error) {
	var tm v1alpha1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, fmt.Errorf("decode object: %w", err)
	}
	var obj v1alpha1.Object
	switch tm.Kind {
	case v1alpha1.KindEndpoint:
		obj = &v1alpha1.Endpoint{}
	case v1alpha1.KindAPIKey:
		obj = &v1alpha1.APIKey{}
	default:
		return nil, fmt.Errorf("decode object: unknown kind %q", tm.Kind)
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, fmt.Errorf("decode %s: %w", tm.Kind, err)
	}
	return obj, nil
}

func path(kind string, name ...string) (string, error) {
	p, err := Plural(kind)
	if err != nil {
		return "", err
	}
	out := mgmt.Prefix + "/" + p
	for _, n := range name {
		out += "/" + url.PathEscape(n)
	}
	return out, nil
}

// List returns every object of a kind, sorted by name (the server's order).
func (c *Client) List(ctx context.Context, kind string) ([]Item, error) {
	p, err := path(kind)
	if err != nil {
		return nil, err
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := c.doJSON(ctx, http.MethodGet, p, nil, nil, "", &list); err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(list.Items))
	for _, raw := range list.Items {
		obj, err := DecodeObject(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Item{Object: obj, Raw: raw})
	}
	return out, nil
}

// Get returns one object; a missing one is an *APIError with status 404.
func (c *Client) Get(ctx context.Context, kind, name string) (Item, error) {
	p, err := path(kind, name)
	if err != nil {
		return Item{}, err
	}
	raw, err := c.do(ctx, http.MethodGet, p, nil, nil, "")
	if err != nil {
		return Item{}, err
	}
	obj, err := DecodeObject(raw)
	if err != nil {
		return Item{}, err
	}
	return Item{Object: obj, Raw: raw}, nil
}

// Delete deletes one object (every definition of it in the manifest store).
func (c *Client) Delete(ctx context.Context, kind, name string) error {
	p, err := path(kind, name)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, p, nil, nil, "")
	return err
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Filename names the manifests in the server's error messages
	// ("<Filename>: document 2: ...").
	Filename string
	// DryRun validates and reports without writing.
	DryRun bool
	// Prune deletes objects matching Selector that the body does not contain.
	Prune bool
	// Selector is "k=v[,k=v]"; required with Prune.
	Selector string
}

// Result is the outcome for one object of an apply.
type Result struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"` // created, configured, unchanged, invalid, conflict, pruned
	Error  string `json:"error,omitempty"`
	// Object is the stored object with its status (nil for invalid, conflict
	// and pruned results).
	Object v1alpha1.Object `json:"-"`
}

// UnmarshalJSON decodes the object by its kind.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var aux struct {
		plain
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*r = Result(aux.plain)
	if len(aux.Object) > 0 && string(aux.Object) != "null" {
		obj, err := DecodeObject(aux.Object)
		if err != nil {
			return err
		}
		r.Object = obj
	}
	return nil
}

// ApplyResponse is the server's answer to an apply.
type ApplyResponse struct {
	DryRun  bool     `json:"dryRun"`
	Results []Result `json:"results"`
}

// Apply sends manifests (one file's bytes, multi-document YAML or JSON) to
// the server-side apply. Every document is validated by the server with the
// same code as reconcile; invalid ones come back with Action "invalid".
func (c *Client) Apply(ctx context.Context, manifests []byte, opts ApplyOptions) (*ApplyResponse, error) {
	q := url.Values{}
	if opts.Filename != "" {
		q.Set("filename", opts.Filename)
	}
	if opts.DryRun {
		q.Set("dryRun", "true")
	}
	if opts.Prune {
		q.Set("prune", "true")
	}
	if opts.Selector != "" {
		q.Set("selector", opts.Selector)
	}
	var out ApplyResponse
	if err := c.doJSON(ctx, http.MethodPost, mgmt.Prefix+"/apply", q, manifests, manifestType, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Diff asks the server how the stored objects differ from manifests.
func (c *Client) Diff(ctx context.Context, manifests []byte, filename string) (*mgmt.DiffResponse, error) {
	q := url.Values{}
	if filename != "" {
		q.Set("filename", filename)
	}
	var out mgmt.DiffResponse
	if err := c.doJSON(ctx, http.MethodPost, mgmt.Prefix+"/diff", q, manifests, manifestType, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Providers lists the provider catalog of the server.
func (c *Client) Providers(ctx context.Context) ([]mgmt.ProviderInfo, error) {
	var out struct {
		Providers []mgmt.ProviderInfo `json:"providers"`
	}
	if err := c.doJSON(ctx, http.MethodGet, mgmt.Prefix+"/providers", nil, nil, "", &out); err != nil {
		return nil, err
	}
	return out.Providers, nil
}

// Status is the controller summary of GET /api/v1alpha1/status.
type Status struct {
	Endpoints  int      `json:"endpoints"`
	APIKeys    int      `json:"apikeys"`
	FileErrors []string `json:"fileErrors"`
	// SecretScope is where the server moves write-only values.
	SecretScope string `json:"secretScope"`
}

// Status reads the controller summary.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	if err := c.doJSON(ctx, http.MethodGet, mgmt.Prefix+"/status", nil, nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReadyInfo is the body of /ready.
type ReadyInfo struct {
	// Status is "ready" once the first reconcile is done, else "loading".
	Status string `json:"status"`
	// Generation counts configuration swaps of the data plane.
	Generation int64 `json:"generation"`
	Endpoints  int   `json:"endpoints"`
}

// Ready reads /ready; a gateway still loading answers 503 with a body, which
// is returned without an error.
func (c *Client) Ready(ctx context.Context) (*ReadyInfo, error) {
	req, err := c.request(ctx, http.MethodGet, "/ready", nil, nil, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &ConnectError{Server: c.Server(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ri ReadyInfo
	if json.Unmarshal(body, &ri) != nil || ri.Status == "" {
		return nil, parseError(resp.StatusCode, body)
	}
	return &ri, nil
}
