package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
)

func (a *app) validateCommand() *cobra.Command {
	var ff fileFlags
	c := &cobra.Command{
		Use:   "validate -f FILE|DIR|- [-R]",
		Short: "Check manifests offline, with the gateway's own validation",
		Long: `Validate decodes and validates manifests without a server, with the same code gatewayd
uses (strict decoding: unknown fields, duplicate keys and wrong types are errors). Each error
names the file, document, resource and field. The same Endpoint or APIKey defined twice is an
error (gatewayd rejects both). Warnings, which do not fail validation: an Endpoint naming an
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
			valid, invalid := validateSet(loadSources(srcs), a.io.Err)
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
// the valid and invalid documents.
func validateSet(set []decodedSource, w io.Writer) (valid, invalid int) {
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
