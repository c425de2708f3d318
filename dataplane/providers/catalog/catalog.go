// Package catalog is the data-driven list of OpenAI-compatible providers
// (Groq, Together, Mistral, Ollama, vLLM, ... more than a hundred): each entry
// of the embedded catalog.yaml is a base URL, an auth style, capabilities and
// quirks, served by one openai.Adapter. Adding a provider is a YAML change.
package catalog

import (
	_ "embed"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
	"sigs.k8s.io/yaml"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

//go:embed catalog.yaml
var catalogYAML []byte

// Auth styles.
const (
	AuthBearer       = "bearer"
	AuthNone         = "none"
	AuthHeaderPrefix = "header:"
)

// StatusDefunct marks a provider that no longer exists.
const StatusDefunct = "defunct"

// Quirk names, as written in catalog.yaml.
const (
	QuirkNoStreamOptions   = "no-stream-options"
	QuirkMaxTokens         = "max-tokens"
	QuirkRandomSeed        = "random-seed"
	QuirkShortToolCallIDs  = "short-tool-call-ids"
	QuirkDeveloperAsSystem = "developer-as-system"
)

// Entry is one provider of the catalog.
type Entry struct {
	// ID is the provider id used in APIKey manifests.
	ID string `json:"id"`
	// DisplayName is for people.
	DisplayName string `json:"displayName"`
	// BaseURL is the API root; it may contain {placeholders}.
	BaseURL string `json:"baseURL"`
	// Auth is "bearer", "none" or "header:<Name>".
	Auth string `json:"auth"`
	// KeyOptional is true for servers that work without a key.
	KeyOptional bool `json:"keyOptional,omitempty"`
	// Chat and Embeddings are the routes the provider serves.
	Chat       bool `json:"chat"`
	Embeddings bool `json:"embeddings"`
	// Quirks name deviations from OpenAI's API (see the Quirk constants).
	Quirks []string `json:"quirks,omitempty"`
	// Status is "defunct" for providers that shut down.
	Status string `json:"status,omitempty"`
	// Notes is free text.
	Notes string `json:"notes,omitempty"`
}

// Defunct reports whether the provider shut down.
func (e Entry) Defunct() bool { return e.Status == StatusDefunct }

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// HasPlaceholders reports whether BaseURL needs values from the APIKey.
func (e Entry) HasPlaceholders() bool { return placeholder.MatchString(e.BaseURL) }

// Info describes the provider for the registry.
func (e Entry) Info() providers.Info {
	info := providers.Info{
		ID:              e.ID,
		DisplayName:     e.DisplayName,
		NeedsCredential: e.Auth != AuthNone && !e.KeyOptional,
		NeedsBaseURL:    e.HasPlaceholders(),
	}
	if !info.NeedsBaseURL {
		info.DefaultBaseURL = e.BaseURL
	}
	if e.Chat {
		info.Tasks = append(info.Tasks, providers.TaskChat)
	}
	if e.Embeddings {
		info.Tasks = append(info.Tasks, providers.TaskEmbeddings)
	}
	return info
}

// AdapterOptions configures the openai adapter for the provider.
func (e Entry) AdapterOptions(client *fasthttp.Client) openai.Options {
	o := openai.Options{Info: e.Info(), Client: client}
	switch {
	case e.Auth == AuthNone:
		o.Auth.None = true
	case strings.HasPrefix(e.Auth, AuthHeaderPrefix):
		o.Auth.Header = strings.TrimPrefix(e.Auth, AuthHeaderPrefix)
	}
	for _, q := range e.Quirks {
		switch q {
		case QuirkNoStreamOptions:
			o.Quirks.NoStreamOptions = true
		case QuirkMaxTokens:
			o.Quirks.MaxTokensField = "max_tokens"
		case QuirkRandomSeed:
			o.Quirks.SeedField = "random_seed"
		case QuirkShortToolCallIDs:
			o.Quirks.ShortToolCallIDs = true
		case QuirkDeveloperAsSystem:
			o.Quirks.DeveloperAsSystem = true
		}
	}
	// Always ask for stream usage (metrics and token limits need it) unless
	// the upstream rejects stream_options; the chunk is hidden from clients
	// that did not ask for it.
	o.StreamUsage = !o.Quirks.NoStreamOptions
	return o
}

// Reserved are the ids of native adapters; the catalog must not shadow them.
var Reserved = []string{"openai", "openai-compatible", "mock", "azure-openai", "anthropic", "gemini", "vertex-ai", "bedrock", "cohere", "databricks"}

var load = sync.OnceValues(func() ([]Entry, error) { return Parse(catalogYAML) })

// Load returns the embedded catalog, defunct entries included, in file order.
// The slice is the caller's to keep.
func Load() ([]Entry, error) {
	entries, err := load()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(entries)
	for i := range out {
		out[i].Quirks = slices.Clone(out[i].Quirks)
	}
	return out, nil
}

// Defunct returns the entry for id when the catalog lists it as defunct, so a
// manifest naming it can be told the provider shut down rather than that it
// does not exist.
func Defunct(id string) (Entry, bool) {
	entries, err := Load()
	if err != nil {
		return Entry{}, false
	}
	for _, e := range entries {
		if e.ID == id && e.Defunct() {
			return e, true
		}
	}
	return Entry{}, false
}

// Register adds one openai adapter per live entry to r, sharing client. It
// fails, registering nothing, if the catalog is invalid or an id is already
// registered (a native adapter must not be shadowed silently).
func Register(r *providers.Registry, client *fasthttp.Client) error {
	entries, err := Load()
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, taken := r.Info(e.ID); taken && !e.Defunct() {
			return fmt.Errorf("catalog provider %q: id already registered", e.ID)
		}
	}
	for _, e := range entries {
		if e.Defunct() {
			continue
		}
		r.Register(e.Info(), openai.New(e.AdapterOptions(client)))
	}
	return nil
}

// Parse decodes and validates a catalog file.
func Parse(b []byte) ([]Entry, error) {
	var f struct {
		Providers []Entry `json:"providers"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	seen := map[string]bool{}
	for _, id := range Reserved {
		seen[id] = true
	}
	for i, e := range f.Providers {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("catalog entry %d (%q): %w", i, e.ID, err)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("catalog entry %d: id %q is used twice or reserved for a native adapter", i, e.ID)
		}
		seen[e.ID] = true
	}
	return f.Providers, nil
}

var (
	dnsLabel    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	headerToken = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
	knownQuirks = map[string]bool{QuirkNoStreamOptions: true, QuirkMaxTokens: true, QuirkRandomSeed: true,
		QuirkShortToolCallIDs: true, QuirkDeveloperAsSystem: true}
	localHosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
)

func (e Entry) validate() error {
	if !dnsLabel.MatchString(e.ID) {
		return fmt.Errorf("id must be a DNS label (lowercase letters, digits, '-')")
	}
	if e.DisplayName == "" {
		return fmt.Errorf("displayName is required")
	}
	if !e.Chat && !e.Embeddings {
		return fmt.Errorf("serves neither chat nor embeddings")
	}
	switch {
	case e.Auth == AuthBearer || e.Auth == AuthNone:
	case strings.HasPrefix(e.Auth, AuthHeaderPrefix) && headerToken.MatchString(strings.TrimPrefix(e.Auth, AuthHeaderPrefix)):
	default:
		return fmt.Errorf("auth %q must be bearer, none or header:<Name>", e.Auth)
	}
	if e.Status != "" && e.Status != StatusDefunct {
		return fmt.Errorf("status %q must be empty or %s", e.Status, StatusDefunct)
	}
	for _, q := range e.Quirks {
		if !knownQuirks[q] {
			return fmt.Errorf("unknown quirk %q", q)
		}
	}
	return validateBaseURL(e.BaseURL)
}

// validateBaseURL requires https, or http on a loopback host (local servers);
// placeholders are checked as if filled in.
func validateBaseURL(raw string) error {
	u, err := url.Parse(placeholder.ReplaceAllString(raw, "x"))
	if err != nil {
		return fmt.Errorf("baseURL: %w", err)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
		return fmt.Errorf("baseURL %q must be scheme://host[/path] without a trailing slash, query or fragment", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && localHosts[u.Hostname()]:
	default:
		return fmt.Errorf("baseURL %q must use https (http only for local servers)", raw)
	}
	return nil
}
