package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/builtin"
	"github.com/ai-gateway/gateway/dataplane/providers/catalog"
)

func (a *app) validateCommand() *cobra.Command {
	var ff fileFlags
	c := &cobra.Command{
		Use:   "validate -f FILE|DIR|- [-R]",
		Short: "Check manifests offline, with the gateway's own validation",
		Long: `Validate decodes and validates manifests without a server, with the same code gatewayd
uses (strict decoding: unknown fields, duplicate keys and wrong types are errors). Each error
names the file, document, resource and field. The same Endpoint or APIKey defined twice is an
error (gatewayd rejects both). Providers are checked against the catalog built into gatewayctl,
as gatewayd checks them: an APIKey naming an unknown provider is an error, and so is an Endpoint
whose target or fallback uses an APIKey (among the given files) whose provider cannot serve the
Endpoint's task (embeddings on anthropic: gatewayd would report TaskNotSupported).
Warnings, which do not fail validation: an Endpoint naming an
APIKey that is not among the given files (it may exist on the server), and a plain-text
credential (spec.value) in a file.`,
		Example: `  gatewayctl validate -f manifests/ -R`,
		Args:    argsBetween(0, 0, "no arguments (give files with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ff.require(cmd); err != nil {
				return err
			}
			srcs, err := readSources(ff.files, ff.recursive, a.io.In, a.note)
			if err != nil {
				return err
			}
			valid, invalid := validateSet(loadSources(srcs), builtin.Registry(), a.io.Err)
			if valid+invalid == 0 {
				return errors.New("no Endpoint or APIKey documents in the given files")
			}
			if invalid > 0 {
				fmt.Fprintf(a.io.Out, "%s valid, %d invalid\n", plural(valid, "document"), invalid)
				return errSilent
			}
			fmt.Fprintf(a.io.Out, "%s valid\n", plural(valid, "document"))
			return nil
		},
	}
	ff.register(c, "validate")
	return c
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// validateSet prints each error and warning of a set of files and counts
// the valid and invalid documents. reg is the provider catalog APIKeys and
// Endpoints are checked against.
func validateSet(set []decodedSource, reg *providers.Registry, w io.Writer) (valid, invalid int) {
	type def struct {
		src v1alpha1.Source
	}
	defined := map[ref]def{}
	keys := map[string]bool{}
	bad := map[*v1alpha1.Decoded]bool{}
	for _, ds := range set {
		for i := range ds.docs {
			d := &ds.docs[i]
			if d.Err != nil {
				fmt.Fprintf(w, "error: %v\n", d.Err)
				bad[d] = true
			}
			if d.Object == nil || d.Object.GetMetadata().Name == "" {
				continue
			}
			r := ref{d.Object.GetTypeMeta().Kind, d.Object.GetMetadata().Name}
			if first, dup := defined[r]; dup {
				fmt.Fprintf(w, "error: %s: %s/%s: metadata.name: defined twice, also at %s (gatewayd rejects both)\n",
					d.Source, r.kind, r.name, first.src)
				bad[d] = true
			} else {
				defined[r] = def{d.Source}
			}
			if r.kind == v1alpha1.KindAPIKey {
				keys[r.name] = true
			}
		}
	}
	checkProviders(set, reg, bad, w)
	for _, ds := range set {
		for i := range ds.docs {
			d := &ds.docs[i]
			if bad[d] {
				invalid++
			} else {
				valid++
			}
			warnings(w, d, keys)
		}
	}
	return valid, invalid
}

func warnings(w io.Writer, d *v1alpha1.Decoded, keys map[string]bool) {
	switch o := d.Object.(type) {
	case *v1alpha1.Endpoint:
		check := func(field string, ts []v1alpha1.Target) {
			for i, t := range ts {
				if t.APIKeyRef != "" && !keys[t.APIKeyRef] {
					fmt.Fprintf(w, "warning: %s: Endpoint/%s: %s[%d].apiKeyRef: APIKey %q is not in the given files (fine if it exists on the gateway)\n",
						d.Source, o.Metadata.Name, field, i, t.APIKeyRef)
				}
			}
		}
		check("spec.targets", o.Spec.Targets)
		check("spec.fallbacks", o.Spec.Fallbacks)
	case *v1alpha1.APIKey:
		if o.Spec.Value != "" {
			fmt.Fprintf(w, "warning: %s: APIKey/%s: spec.value: a plain-text credential in a file; apply it once (gatewayd moves it into the secret store) and keep the secretRef in Git\n",
				d.Source, o.Metadata.Name)
		}
	}
}

// checkProviders does what the controller does with providers, offline and
// with the same checks (controller.CheckProvider and CheckTask): an APIKey's
// provider must be in the catalog, and an Endpoint's targets and fallbacks
// must use APIKeys whose provider serves its task. Only APIKeys among the
// given files can be checked; documents already found bad are skipped, and
// an Endpoint is not blamed for an APIKey that is itself wrong. Each failing
// document is printed once, with all its problems, and marked bad.
func checkProviders(set []decodedSource, reg *providers.Registry, bad map[*v1alpha1.Decoded]bool, w io.Writer) {
	keyInfo := map[string]providers.Info{} // APIKey name → its provider, for good, unique APIKeys
	fail := func(d *v1alpha1.Decoded, errs v1alpha1.FieldErrors) {
		meta := d.Object.GetMetadata()
		fmt.Fprintf(w, "error: %v\n", &v1alpha1.DocumentError{Source: d.Source, Kind: d.Object.GetTypeMeta().Kind, Name: meta.Name, Errs: errs})
		bad[d] = true
	}
	names := map[string]int{} // APIKey name → how many documents define it
	for _, ds := range set {
		for i := range ds.docs {
			if k, ok := ds.docs[i].Object.(*v1alpha1.APIKey); ok {
				names[k.Metadata.Name]++
			}
		}
	}
	for _, ds := range set {
		for i := range ds.docs {
			d := &ds.docs[i]
			k, ok := d.Object.(*v1alpha1.APIKey)
			if !ok || bad[d] {
				continue
			}
			info, err := controller.CheckProvider(reg, k.Spec.Provider)
			if err != nil {
				fail(d, v1alpha1.FieldErrors{{Field: "spec.provider", Detail: err.Error() + providerHint(reg, k.Spec.Provider)}})
				continue
			}
			if names[k.Metadata.Name] == 1 {
				keyInfo[k.Metadata.Name] = info
			}
		}
	}
	for _, ds := range set {
		for i := range ds.docs {
			d := &ds.docs[i]
			e, ok := d.Object.(*v1alpha1.Endpoint)
			if !ok || bad[d] {
				continue
			}
			task := providers.Task(e.Spec.Task)
			var errs v1alpha1.FieldErrors
			check := func(field string, ts []v1alpha1.Target) {
				for i, t := range ts {
					info, ok := keyInfo[t.APIKeyRef]
					if !ok {
						continue
					}
					var te *controller.TaskError
					if err := controller.CheckTask(field+"["+strconv.Itoa(i)+"]", info, t.APIKeyRef, task); errors.As(err, &te) {
						// The same wording as the Endpoint's status, with the reason gatewayd would give.
						errs = append(errs, v1alpha1.FieldError{Field: te.Field,
							Detail: strings.TrimPrefix(te.Error(), te.Field+": ") + " (" + te.Reason() + ")"})
					}
				}
			}
			check("spec.targets", e.Spec.Targets)
			check("spec.fallbacks", e.Spec.Fallbacks)
			if len(errs) > 0 {
				fail(d, errs)
			}
		}
	}
}

// providerHint helps with an unknown provider id: it names a provider the
// catalog lists as shut down, or up to three ids that look alike.
func providerHint(reg *providers.Registry, id string) string {
	if e, ok := catalog.Defunct(id); ok {
		return fmt.Sprintf(" (%s shut down; the provider catalog keeps it only to say so)", e.DisplayName)
	}
	near := closeProviders(reg.List(), id)
	switch len(near) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf(" (did you mean %q?)", near[0])
	}
	quoted := make([]string, len(near))
	for i, c := range near {
		quoted[i] = strconv.Quote(c)
	}
	return " (did you mean one of " + strings.Join(quoted, ", ") + "?)"
}

// closeProviders returns up to three provider ids near id: within a small
// edit distance, or extending it by a "-suffix" ("vertex" → "vertex-ai"),
// nearest first.
func closeProviders(list []providers.Info, id string) []string {
	id = strings.ToLower(id)
	limit := 1
	if len(id) >= 5 {
		limit = 2
	}
	type match struct {
		id   string
		dist int
	}
	var ms []match
	for _, p := range list {
		d := editDistance(id, p.ID)
		switch {
		case d <= limit:
		case strings.HasPrefix(p.ID, id+"-") || strings.HasPrefix(id, p.ID+"-"):
			d = limit + 1
		default:
			continue
		}
		ms = append(ms, match{p.ID, d})
	}
	slices.SortStableFunc(ms, func(a, b match) int { return cmp.Or(a.dist-b.dist, strings.Compare(a.id, b.id)) })
	var out []string
	for i := 0; i < len(ms) && i < 3; i++ {
		out = append(out, ms[i].id)
	}
	return out
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
