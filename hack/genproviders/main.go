// Command genproviders writes the table of every provider gatewayd knows
// into README.md, between the lines <!-- providers:begin --> and
// <!-- providers:end -->. Run it from the repository root after adding a
// native adapter or changing the catalog
// (dataplane/providers/catalog/catalog.yaml):
//
//	go run ./hack/genproviders
//
// The table comes from the registry gatewayd builds (builtin.Registry): ids,
// names, tasks, whether a credential and a base URL are needed, the default
// base URL. Native adapters come first, in the order of the natives list
// below, each with a note on what it supports; those notes are written by
// hand from the adapters' code, so a native adapter missing from the list is
// an error. Catalog providers follow, sorted by id. -check reports whether
// README.md is up to date without writing it.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/anthropic"
	"github.com/ai-gateway/gateway/dataplane/providers/azure"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/catalog"
)

// Markers delimit the generated part of README.md.
const (
	BeginMarker = "<!-- providers:begin -->"
	EndMarker   = "<!-- providers:end -->"
)

// native is what the registry cannot say about a native adapter.
type native struct {
	id string
	// credential is what the APIKey's secret holds.
	credential string
	// baseURL replaces the registry's default base URL in the table when set.
	baseURL string
	// supports is a one-line note: tools, vision, JSON mode, streaming, and
	// the settings the provider needs.
	supports string
}

// natives lists the native adapters in table order. The notes are checked
// against each adapter's package documentation and translators by hand.
var natives = []native{
	{id: "openai", credential: "API key",
		supports: "Body forwarded as is, only `model` rewritten: tools, vision, JSON mode and schema, streaming with usage, and parameters the gateway does not know."},
	{id: "azure-openai", credential: "API key (`api-key` header)",
		baseURL: "required: `https://{resource}.openai.azure.com` (deployments) or `…/openai/v1`",
		supports: "OpenAI's body forwarded as is to a deployment (`config.azure.apiVersion`, default `" + azure.DefaultAPIVersion +
			"`) or to the v1 API: tools, vision, JSON mode and schema, streaming with usage; content-filter-only chunks dropped."},
	{id: "anthropic", credential: "API key (`x-api-key`)",
		supports: fmt.Sprintf("Messages API, translated: tools (parallel, `tool_choice`), vision (image URLs and data URIs), JSON mode and schema "+
			"through a forced tool, `reasoning_effort` as extended thinking, streaming with usage (cached tokens too); `max_tokens` defaults to %d. No embeddings.",
			anthropic.DefaultMaxTokens)},
	{id: "gemini", credential: "API key (`x-goog-api-key`)",
		supports: "generateContent, translated: tools (call ids synthesized), vision (images inlined; Files API URIs passed on), JSON mode and schema, " +
			"streaming (`alt=sse`) with usage, embeddings (`embedContent`, `batchEmbedContents`)."},
	{id: "vertex-ai", credential: "service-account JSON key (OAuth2)",
		baseURL:  "derived from `config.vertex.location`",
		supports: "Gemini on Vertex AI, as `gemini` (images also as `gs://` URIs); needs `config.vertex.project` and `config.vertex.location`; embeddings through `:predict`."},
	{id: "vertex-anthropic", credential: "service-account JSON key (OAuth2)",
		baseURL: "derived from `config.vertex.location`",
		supports: "Claude on Vertex AI (`rawPredict`, `streamRawPredict`), translated as `anthropic` (same tools, vision, JSON mode, thinking, streaming with usage); " +
			"needs `config.vertex.project` and `config.vertex.location`; Anthropic clients are forwarded natively. No embeddings."},
	{id: "bedrock", credential: "AWS access keys (JSON or `KEY:SECRET[:TOKEN]`, SigV4) or a Bedrock API key",
		baseURL: "`https://bedrock-runtime.{region}.amazonaws.com`",
		supports: "Converse and ConverseStream (AWS event stream), translated: tools, vision (png, jpeg, gif, webp; inlined), JSON mode and schema through a forced tool, " +
			"streaming with usage; embeddings with Titan and Cohere models (InvokeModel); needs `config.aws.region`."},
	{id: "cohere", credential: "API key",
		supports: "v2 chat and embed, translated: tools, vision (image URLs and data URIs), JSON mode (`json_schema` as Cohere's `json_object` with a schema), streaming with usage."},
	{id: "databricks", credential: "personal access token",
		baseURL:  "required: the workspace URL (`/serving-endpoints` is added)",
		supports: "Model Serving's OpenAI-compatible API, body forwarded as is: tools, vision and JSON mode as far as the serving endpoint supports them; streaming with usage."},
	{id: "openai-compatible", credential: "optional bearer key",
		supports: "Any server speaking OpenAI's API (vLLM, LM Studio, llama.cpp, a company proxy): body forwarded as is; support depends on the server."},
	{id: "mock", credential: "none", baseURL: "none (offline)",
		supports: "Built in, no network: echoes the last user input (streamed word by word), hashed embeddings, `mock-error-<status>` models fail. No tools, vision or JSON mode."},
}

func main() {
	readme := flag.String("readme", "README.md", "the README to update")
	check := flag.Bool("check", false, "only report whether the README is up to date (exit 1 if not)")
	flag.Parse()
	if err := run(*readme, *check); err != nil {
		fmt.Fprintln(os.Stderr, "genproviders:", err)
		os.Exit(1)
	}
}

func run(path string, check bool) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	table, err := Table()
	if err != nil {
		return err
	}
	updated, err := Splice(old, table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	if check {
		return fmt.Errorf("%s is out of date: run go run ./hack/genproviders", path)
	}
	return os.WriteFile(path, updated, 0o644)
}

// Splice replaces what lies between the markers (which stay) with table.
func Splice(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	b := strings.Index(s, BeginMarker)
	e := strings.Index(s, EndMarker)
	if b < 0 || e < 0 || e < b || strings.Count(s, BeginMarker) != 1 || strings.Count(s, EndMarker) != 1 {
		return nil, fmt.Errorf("want exactly one %s followed by one %s", BeginMarker, EndMarker)
	}
	head := s[:b+len(BeginMarker)]
	return []byte(head + "\n" + table + s[e:]), nil
}

// Table renders the provider tables as Markdown, ending with a newline.
func Table() (string, error) {
	entries, err := catalog.Load()
	if err != nil {
		return "", err
	}
	return render(builtin.Registry(), entries)
}

func render(reg *providers.Registry, entries []catalog.Entry) (string, error) {
	byID := map[string]catalog.Entry{}
	var defunct []string
	for _, e := range entries {
		if e.Defunct() {
			defunct = append(defunct, fmt.Sprintf("`%s` (%s)", e.ID, e.DisplayName))
			continue
		}
		byID[e.ID] = e
	}
	isNative := map[string]bool{}
	for _, n := range natives {
		isNative[n.id] = true
	}
	var catalogIDs, unknown []string
	for _, info := range reg.List() {
		switch _, inCatalog := byID[info.ID]; {
		case isNative[info.ID] && inCatalog:
			return "", fmt.Errorf("provider %q is both a native adapter and a catalog entry", info.ID)
		case inCatalog:
			catalogIDs = append(catalogIDs, info.ID)
		case !isNative[info.ID]:
			unknown = append(unknown, info.ID)
		}
	}
	if len(unknown) > 0 {
		return "", fmt.Errorf("native providers without a row in hack/genproviders natives: %s", strings.Join(unknown, ", "))
	}
	if len(catalogIDs) != len(byID) {
		return "", errors.New("some live catalog entries are not registered")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d providers: %d native adapters and %d OpenAI-compatible providers from the catalog. "+
		"Generated by `go run ./hack/genproviders` from the registry gatewayd builds; do not edit by hand.\n\n",
		len(natives)+len(catalogIDs), len(natives), len(catalogIDs))
	b.WriteString("### Native adapters\n\n")
	b.WriteString("| id | provider | chat | completions | embeddings | credential | base URL | supports |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, n := range natives {
		info, ok := reg.Info(n.id)
		if !ok {
			return "", fmt.Errorf("native provider %q is not registered", n.id)
		}
		if (n.credential == "none" || strings.HasPrefix(n.credential, "optional")) == info.NeedsCredential {
			return "", fmt.Errorf("native provider %q: credential %q contradicts NeedsCredential=%v", n.id, n.credential, info.NeedsCredential)
		}
		base := n.baseURL
		if base == "" {
			base = baseURL(info, "")
		}
		row(&b, "`"+info.ID+"`", info.DisplayName, yes(info, providers.TaskChat), yes(info, providers.TaskCompletions),
			yes(info, providers.TaskEmbeddings), n.credential, base, n.supports)
	}
	b.WriteString("\n### OpenAI-compatible catalog\n\n")
	b.WriteString("Each is served by the `openai` adapter: the body is forwarded with `model` rewritten, so tools, vision, JSON mode and " +
		"streaming are whatever the provider's OpenAI-compatible API offers, with the catalog's per-provider fixes applied " +
		"(`dataplane/providers/catalog/catalog.yaml`).\n\n")
	b.WriteString("| id | provider | chat | embeddings | credential | base URL |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	slices.Sort(catalogIDs)
	for _, id := range catalogIDs {
		info, _ := reg.Info(id)
		e := byID[id]
		row(&b, "`"+id+"`", info.DisplayName, yes(info, providers.TaskChat), yes(info, providers.TaskEmbeddings),
			catalogCredential(e), baseURL(info, e.BaseURL))
	}
	if len(defunct) > 0 {
		fmt.Fprintf(&b, "\nShut down (kept in the catalog so that `gatewayctl validate` can say so; gatewayd reports them as unknown): %s.\n", strings.Join(defunct, ", "))
	}
	b.WriteString("\n")
	return b.String(), nil
}

func row(b *strings.Builder, cells ...string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
	}
	b.WriteString("\n")
}

func yes(info providers.Info, t providers.Task) string {
	if info.Supports(t) {
		return "yes"
	}
	return "no"
}

// baseURL renders the default base URL, or says that the APIKey must set
// one (showing the catalog's template when it has placeholders).
func baseURL(info providers.Info, template string) string {
	switch {
	case info.NeedsBaseURL && template != "":
		return "required: `" + template + "`"
	case info.NeedsBaseURL:
		return "required"
	case info.DefaultBaseURL != "":
		return "`" + info.DefaultBaseURL + "`"
	}
	return ""
}

func catalogCredential(e catalog.Entry) string {
	switch {
	case e.Auth == catalog.AuthNone:
		return "none"
	case strings.HasPrefix(e.Auth, catalog.AuthHeaderPrefix):
		h := "API key (`" + strings.TrimPrefix(e.Auth, catalog.AuthHeaderPrefix) + "` header)"
		if e.KeyOptional {
			return "optional " + h
		}
		return h
	case e.KeyOptional:
		return "optional API key"
	}
	return "API key"
}
