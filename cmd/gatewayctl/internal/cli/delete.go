package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
)

func (a *app) deleteCommand() *cobra.Command {
	var (
		ff             fileFlags
		ignoreNotFound bool
	)
	c := &cobra.Command{
		Use:   "delete (endpoint|apikey NAME... | -f FILE|DIR|- [-R])",
		Short: "Delete Endpoints or APIKeys by name, or those named in manifests",
		Long: `Delete removes objects from the gateway's manifest store (every file defining them) and
waits until the change is reconciled. With -f it deletes the objects the manifests name,
Endpoints before APIKeys so that no Endpoint is left pointing at a deleted key.`,
		Example: `  gatewayctl delete endpoint my-chat
  gatewayctl delete -f old-manifests/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var refs []ref
			switch {
			case len(ff.files) > 0 && len(args) > 0:
				return usagef("give either TYPE NAME... or -f, not both")
			case len(ff.files) > 0:
				if err := ff.require(cmd); err != nil {
					return err
				}
				r, err := a.refsFromFiles(ff)
				if err != nil {
					return err
				}
				refs = r
			default:
				r, err := parseRefs(args, false)
				if err != nil {
					return err
				}
				refs = r
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			failed := false
			for _, r := range refs {
				err := cl.Delete(cmd.Context(), r.kind, r.name)
				switch {
				case err == nil:
					fmt.Fprintf(a.io.Out, "%s deleted\n", kindName(r.kind, r.name))
				case ignoreNotFound && client.IsNotFound(err):
				default:
					if fatal(err) {
						return err
					}
					a.printError(a.io.Err, err)
					failed = true
				}
			}
			if failed {
				return errSilent
			}
			return nil
		},
	}
	ff.register(c, "delete the objects of")
	c.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "treat an object that does not exist as deleted")
	return c
}

// refsFromFiles returns the objects the files name, Endpoints first, each
// once. A document whose kind or name cannot be read is an error: deleting
// everything else and leaving it would be a surprise.
func (a *app) refsFromFiles(ff fileFlags) ([]ref, error) {
	srcs, err := readSources(ff.files, ff.recursive, a.io.In, a.note)
	if err != nil {
		return nil, err
	}
	var eps, keys []ref
	seen := map[ref]bool{}
	bad := 0
	for _, s := range srcs {
		for _, d := range v1alpha1.Decode(s.name, s.data) {
			if d.Object == nil || d.Object.GetMetadata().Name == "" {
				err := d.Err
				if err == nil {
					err = fmt.Errorf("%s: %s: metadata.name: required", d.Source, d.Object.GetTypeMeta().Kind)
				}
				fmt.Fprintf(a.io.Err, "error: %v\n", err)
				bad++
				continue
			}
			r := ref{d.Object.GetTypeMeta().Kind, d.Object.GetMetadata().Name}
			if seen[r] {
				continue
			}
			seen[r] = true
			if r.kind == v1alpha1.KindEndpoint {
				eps = append(eps, r)
			} else {
				keys = append(keys, r)
			}
		}
	}
	if bad > 0 {
		return nil, &exitError{code: ExitError, err: fmt.Errorf("nothing deleted: %d documents do not name an Endpoint or APIKey", bad)}
	}
	if len(eps)+len(keys) == 0 {
		return nil, errors.New("no Endpoint or APIKey documents in the given files")
	}
	return append(eps, keys...), nil
}
