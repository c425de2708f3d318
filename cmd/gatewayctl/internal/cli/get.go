package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
)

func (a *app) getCommand() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "get endpoints|apikeys [NAME...] [-o wide|yaml|json|name]",
		Short: "List Endpoints or APIKeys, or show some by name",
		Long: `Get lists Endpoints (endpoints, endpoint, ep) or APIKeys (apikeys, apikey, key) with
their Ready condition, or shows the named ones; TYPE/NAME works too (endpoint/my-chat).

Output: a table (NAME, TASK, TARGETS, READY, REASON for Endpoints; NAME, PROVIDER, READY,
REASON for APIKeys); -o wide adds targets with their share of traffic, fallbacks, where each
credential comes from and the generation; -o yaml and -o json print the objects as the API
returns them, status included (several objects as a kind: List, which apply accepts back);
-o name prints TYPE/NAME lines. Credentials are never shown: the API never returns them.`,
		Example: `  gatewayctl get endpoints
  gatewayctl get ep my-chat -o yaml
  gatewayctl get apikeys -o wide`,
		Args: argsBetween(1, -1, "a resource type (endpoints or apikeys) and optional names"),
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := parseRefs(args, true)
			if err != nil {
				return err
			}
			switch output {
			case "", "wide", "yaml", "json", "name":
			default:
				return usagef("-o %q: want wide, yaml, json or name", output)
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			var items []client.Item
			failed := false
			for _, r := range refs {
				if r.name == "" {
					list, err := cl.List(cmd.Context(), r.kind)
					if err != nil {
						return err
					}
					items = append(items, list...)
					continue
				}
				it, err := cl.Get(cmd.Context(), r.kind, r.name)
				if err != nil {
					a.printError(a.io.Err, err)
					failed = true
					continue
				}
				items = append(items, it)
			}
			single := len(refs) == 1 && refs[0].name != ""
			if err := a.printItems(items, output, single); err != nil {
				return err
			}
			if failed {
				return errSilent
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: wide, yaml, json or name")
	return c
}

// printItems writes items in the chosen format; single prints one object
// rather than a List.
func (a *app) printItems(items []client.Item, output string, single bool) error {
	w := a.io.Out
	switch output {
	case "yaml", "json":
		var v any
		if single && len(items) == 1 {
			obj, err := scrub(items[0].Raw)
			if err != nil {
				return err
			}
			v = obj
		} else if single {
			return nil // the error is already reported
		} else {
			list := make([]any, 0, len(items))
			for _, it := range items {
				obj, err := scrub(it.Raw)
				if err != nil {
					return err
				}
				list = append(list, obj)
			}
			v = map[string]any{"apiVersion": v1alpha1.GroupVersion, "kind": v1alpha1.KindList, "items": list}
		}
		return writeStructured(w, v, output)
	case "name":
		for _, it := range items {
			fmt.Fprintln(w, kindName(it.Object.GetTypeMeta().Kind, it.Object.GetMetadata().Name))
		}
		return nil
	}
	var eps []*v1alpha1.Endpoint
	var keys []*v1alpha1.APIKey
	for _, it := range items {
		switch o := it.Object.(type) {
		case *v1alpha1.Endpoint:
			eps = append(eps, o)
		case *v1alpha1.APIKey:
			keys = append(keys, o)
		}
	}
	if len(eps) == 0 && len(keys) == 0 {
		if !single {
			fmt.Fprintln(a.io.Err, "No resources found.")
		}
		return nil
	}
	if len(eps) > 0 {
		writeEndpointTable(w, eps, output == "wide")
	}
	if len(keys) > 0 {
		if len(eps) > 0 {
			fmt.Fprintln(w)
		}
		writeAPIKeyTable(w, keys, output == "wide")
	}
	return nil
}

// scrub decodes an object as the API sent it, keeping numbers as written,
// and drops spec.value should a server ever send one: a credential is never
// printed.
func scrub(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode the gateway's answer: %w", err)
	}
	if spec, ok := m["spec"].(map[string]any); ok {
		delete(spec, "value")
	}
	return m, nil
}

func writeStructured(w io.Writer, v any, format string) error {
	j, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if format == "json" {
		_, err = fmt.Fprintf(w, "%s\n", j)
		return err
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
}
