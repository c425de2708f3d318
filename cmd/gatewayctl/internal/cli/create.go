package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

func (a *app) createCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "create apikey NAME --provider P [--from-env VAR | --from-file FILE]",
		Short: "Create an object from flags (apikey)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("create needs a resource type: apikey")
			}
			return usagef("cannot create %q: only apikey", args[0])
		},
	}
	c.AddCommand(a.createAPIKeyCommand())
	return c
}

type createAPIKeyFlags struct {
	provider, fromEnv, fromFile, baseURL, labels string
	dryRun                                       bool
}

func (a *app) createAPIKeyCommand() *cobra.Command {
	var f createAPIKeyFlags
	c := &cobra.Command{
		Use:     "apikey NAME --provider P [--from-env VAR | --from-file FILE] [--base-url URL] [-l KEY=VALUE,...]",
		Aliases: []string{"key"},
		Short:   "Create or update an APIKey, storing its credential in the gateway's secret store",
		Long: `Create apikey builds an APIKey manifest carrying the credential as a write-only spec.value
and applies it: the gateway moves the value into its secret store and keeps only a secretRef in
the manifest. The credential is read from an environment variable (--from-env), a file
(--from-file, - for standard input) or, with neither, standard input when it is not a terminal;
never from the command line, and it is never printed. Providers that need no credential (mock,
openai-compatible servers without a key) take none. An existing APIKey of that name is updated.`,
		Example: `  gatewayctl create apikey openai-prod --provider openai --from-env OPENAI_API_KEY -l team=search
  pass show openai | gatewayctl create apikey openai-prod --provider openai
  gatewayctl create apikey vllm --provider openai-compatible --base-url http://10.0.0.5:8000/v1`,
		Args: argsBetween(1, 1, "exactly one NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.createAPIKey(cmd.Context(), args[0], f)
		},
	}
	c.Flags().StringVar(&f.provider, "provider", "", "provider id from the gateway's catalog (openai, openai-compatible, mock, ...)")
	c.Flags().StringVar(&f.fromEnv, "from-env", "", "read the credential from this environment variable")
	c.Flags().StringVar(&f.fromFile, "from-file", "", "read the credential from this file (- for standard input); surrounding whitespace is trimmed")
	c.Flags().StringVar(&f.baseURL, "base-url", "", "spec.config.baseURL: the provider API's base URL")
	c.Flags().StringVarP(&f.labels, "labels", "l", "", "labels KEY=VALUE[,KEY=VALUE]")
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "validate on the server without writing anything")
	return c
}

func (a *app) createAPIKey(ctx context.Context, name string, f createAPIKeyFlags) error {
	switch {
	case !v1alpha1.IsDNS1123Label(name):
		return usagef("NAME %q: must be a DNS-1123 label (lower case letters, digits and '-', at most 63)", name)
	case f.provider == "":
		return usagef("--provider is required")
	case f.fromEnv != "" && f.fromFile != "":
		return usagef("give --from-env or --from-file, not both")
	}
	var labels map[string]string
	if f.labels != "" {
		m, err := mgmt.ParseSelector(f.labels)
		if err != nil || len(m) == 0 {
			return usagef("-l %q: want KEY=VALUE[,KEY=VALUE]", f.labels)
		}
		labels = m
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	info, err := findProvider(ctx, cl, f.provider)
	if err != nil {
		return err
	}
	if info.NeedsBaseURL && f.baseURL == "" {
		return usagef("--base-url is required for provider %s", f.provider)
	}
	value, err := a.readCredential(f, info.NeedsCredential)
	if err != nil {
		return err
	}
	spec := map[string]any{"provider": f.provider}
	if value != "" {
		spec["value"] = value
	}
	if f.baseURL != "" {
		spec["config"] = map[string]any{"baseURL": f.baseURL}
	}
	meta := map[string]any{"name": name}
	if labels != nil {
		meta["labels"] = labels
	}
	body, err := json.Marshal(map[string]any{"apiVersion": v1alpha1.GroupVersion, "kind": v1alpha1.KindAPIKey,
		"metadata": meta, "spec": spec})
	if err != nil {
		return err
	}
	resp, err := cl.Apply(ctx, body, client.ApplyOptions{Filename: "create apikey " + name, DryRun: f.dryRun})
	if err != nil {
		return redactError(err, value)
	}
	for i := range resp.Results {
		resp.Results[i].Error = redact(resp.Results[i].Error, value)
	}
	if a.printResults(resp.Results, nil, f.dryRun) {
		return errSilent
	}
	for _, r := range resp.Results {
		if r.Object == nil || f.dryRun {
			continue
		}
		if status, reason := readyOf(r.Object.GetStatus()); status != "True" {
			fmt.Fprintf(a.io.Err, "warning: %s is not ready: %s %s\n", kindName(r.Kind, r.Name), reason,
				redact(conditionMessage(r.Object.GetStatus()), value))
		}
	}
	return nil
}

// findProvider looks the provider up in the gateway's catalog.
func findProvider(ctx context.Context, cl *client.Client, id string) (mgmt.ProviderInfo, error) {
	ps, err := cl.Providers(ctx)
	if err != nil {
		return mgmt.ProviderInfo{}, err
	}
	var ids []string
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return mgmt.ProviderInfo{}, fmt.Errorf("unknown provider %q; the gateway knows %s", id, strings.Join(ids, ", "))
}

// readCredential reads the credential from where the flags say. None is
// given and none is needed: nothing is read from a terminal.
func (a *app) readCredential(f createAPIKeyFlags, needed bool) (string, error) {
	var value string
	switch {
	case f.fromEnv != "":
		value = strings.TrimSpace(a.getenv(f.fromEnv))
		if value == "" {
			return "", fmt.Errorf("environment variable %s is empty or not set", f.fromEnv)
		}
		return value, nil
	case f.fromFile == "-" || (f.fromFile == "" && !a.io.StdinIsTerminal):
		b, err := io.ReadAll(io.LimitReader(a.io.In, 1<<20))
		if err != nil {
			return "", fmt.Errorf("read the credential from standard input: %w", err)
		}
		value = strings.TrimSpace(string(b))
		if value == "" && (needed || f.fromFile == "-") {
			return "", errors.New("standard input held no credential")
		}
		return value, nil
	case f.fromFile != "":
		b, err := os.ReadFile(f.fromFile)
		if err != nil {
			return "", fmt.Errorf("read the credential: %s: %w", f.fromFile, unwrapPathError(err))
		}
		value = strings.TrimSpace(string(b))
		if value == "" {
			return "", fmt.Errorf("%s holds no credential", f.fromFile)
		}
		return value, nil
	case needed:
		return "", usagef("this provider needs a credential: give --from-env VAR or --from-file FILE, or pipe it on standard input")
	}
	return "", nil
}

func conditionMessage(st *v1alpha1.Status) string {
	for _, c := range st.Conditions {
		if c.Type == "Ready" {
			return c.Message
		}
	}
	return ""
}

// redact removes a credential from a message (belt and braces: the server
// never echoes it).
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[REDACTED]")
}

func redactError(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(redact(err.Error(), secret))
}
