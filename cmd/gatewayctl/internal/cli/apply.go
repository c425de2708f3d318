package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

func (a *app) applyCommand() *cobra.Command {
	var (
		ff       fileFlags
		dryRun   bool
		prune    bool
		selector string
	)
	c := &cobra.Command{
		Use:   "apply -f FILE|DIR|- [-R] [--dry-run] [--prune -l KEY=VALUE[,KEY=VALUE]]",
		Short: "Create or update Endpoints and APIKeys from manifests",
		Long: `Apply sends manifests to the gateway's server-side apply: each object is validated
with the same code as reconcile, written to the manifest store and reconciled, and reported as
created, configured, unchanged or invalid. A write-only APIKey spec.value is moved into the
secret store by the server.

--prune deletes the objects carrying the -l labels that the applied files no longer contain;
the whole set is sent in one request so that the server sees all of it, and nothing is sent
unless every document is valid.`,
		Example: `  gatewayctl apply -f manifests/
  gatewayctl apply -f manifests/ -R --prune -l team=search
  cat endpoint.yaml | gatewayctl apply -f - --dry-run`,
		Args: argsBetween(0, 0, "no arguments (give files with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ff.require(cmd); err != nil {
				return err
			}
			switch {
			case prune && selector == "":
				return usagef("--prune needs a label selector (-l KEY=VALUE), so that it cannot delete everything")
			case !prune && selector != "":
				return usagef("-l is only used with --prune")
			}
			sel, err := parseSelector(selector)
			if err != nil {
				return err
			}
			srcs, err := readSources(ff.files, ff.recursive, a.io.In, a.note)
			if err != nil {
				return err
			}
			set := loadSources(srcs)
			if countDocs(set) == 0 {
				return errors.New("no Endpoint or APIKey documents in the given files")
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			if prune {
				return a.applyPruned(cmd.Context(), cl, set, dryRun, selector, sel, strings.Join(ff.files, ","))
			}
			// Without --prune each file is its own request, so the server's
			// messages name the file and document exactly.
			failed := false
			for _, ds := range set {
				if len(ds.docs) == 0 {
					continue // comments only
				}
				resp, err := cl.Apply(cmd.Context(), ds.data, client.ApplyOptions{Filename: ds.name, DryRun: dryRun})
				if err != nil {
					if fatal(err) {
						return err // the next files would fail the same way
					}
					a.printError(a.io.Err, fmt.Errorf("%s: %w", ds.name, err))
					failed = true
					continue
				}
				if a.printResults(resp.Results, ds.docs, dryRun) {
					failed = true
				}
			}
			if failed {
				return errSilent
			}
			return nil
		},
	}
	ff.register(c, "apply")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "validate on the server and show what would change, without writing anything")
	c.Flags().BoolVar(&prune, "prune", false, "delete objects matching -l that the applied files do not contain")
	c.Flags().StringVarP(&selector, "selector", "l", "", "label selector KEY=VALUE[,KEY=VALUE] for --prune (all must match)")
	return c
}

// fatal reports errors that every further request would repeat: the gateway
// is unreachable, refuses the credentials, or the command was interrupted.
func fatal(err error) bool {
	var ce *client.ConnectError
	return errors.As(err, &ce) || client.IsUnauthorized(err) || errors.Is(err, context.Canceled)
}

// note prints a remark on standard error.
func (a *app) note(msg string) { fmt.Fprintf(a.io.Err, "note: %s\n", msg) }

func parseSelector(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	m, err := mgmt.ParseSelector(s)
	if err != nil {
		return nil, usagef("-l %v", err)
	}
	if len(m) == 0 {
		return nil, usagef("-l %q: want KEY=VALUE[,KEY=VALUE]", s)
	}
	return m, nil
}

func countDocs(set []decodedSource) int {
	n := 0
	for _, ds := range set {
		n += len(ds.docs)
	}
	return n
}

// applyPruned applies the whole set in one request with prune: the server
// prunes what matches the selector and is absent from that request, so it
// must see every object at once (one request per file would prune the
// objects of the other files). The server's document numbers would then
// count through the concatenation rather than each file, so every document
// is first validated locally with v1alpha1.Load (the server's own rules),
// which names the real file and document; the request is sent only when all
// are valid, since a broken document's object would otherwise be missing
// from the set and pruned.
func (a *app) applyPruned(ctx context.Context, cl *client.Client, set []decodedSource, dryRun bool,
	selector string, sel map[string]string, label string) error {
	var docs []v1alpha1.Decoded
	invalid := 0
	for _, ds := range set {
		for _, d := range ds.docs {
			if d.Err != nil {
				fmt.Fprintf(a.io.Err, "error: %v\n", d.Err)
				invalid++
			}
			docs = append(docs, d)
		}
	}
	if invalid > 0 {
		fmt.Fprintf(a.io.Err, "error: nothing applied: --prune needs every document to be valid (%d invalid), or it would delete what a broken one defines\n", invalid)
		return errSilent
	}
	body, err := combineSources(set)
	if err != nil {
		return err
	}
	for _, d := range docs {
		m := d.Object.GetMetadata()
		if !labelsMatch(m.Labels, sel) {
			fmt.Fprintf(a.io.Err, "warning: %s does not carry the labels %s, so a later --prune -l %s will not delete it\n",
				kindName(d.Object.GetTypeMeta().Kind, m.Name), selector, selector)
		}
	}
	resp, err := cl.Apply(ctx, body, client.ApplyOptions{Filename: label, DryRun: dryRun, Prune: true, Selector: selector})
	if err != nil {
		return err
	}
	if a.printResults(resp.Results, docs, dryRun) {
		return errSilent
	}
	return nil
}

// combineSources joins the documents of every file into one YAML stream.
// A JSON file (one JSON value) becomes YAML first, since the server reads a
// body as JSON only when all of it is one JSON value. The result is decoded
// again and checked to hold exactly the objects of the files, in order.
func combineSources(set []decodedSource) ([]byte, error) {
	var buf bytes.Buffer
	var want []v1alpha1.Decoded
	for _, ds := range set {
		if len(ds.docs) == 0 {
			continue
		}
		data := bytes.TrimPrefix(ds.data, []byte("\xef\xbb\xbf"))
		if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t) {
			y, err := yaml.JSONToYAML(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ds.name, err)
			}
			data = y
		}
		buf.WriteString("---\n")
		buf.Write(data)
		if !bytes.HasSuffix(data, []byte("\n")) {
			buf.WriteByte('\n')
		}
		want = append(want, ds.docs...)
	}
	got := v1alpha1.Load("combined", buf.Bytes())
	if len(got) != len(want) {
		return nil, fmt.Errorf("cannot combine the files into one request for --prune (%d documents became %d); apply them one by one without --prune", len(want), len(got))
	}
	for i := range got {
		if !sameObject(got[i], want[i]) {
			return nil, fmt.Errorf("cannot combine the files into one request for --prune: %s changed on the way; apply without --prune", want[i].Source)
		}
	}
	return buf.Bytes(), nil
}

func sameObject(a, b v1alpha1.Decoded) bool {
	if a.Err != nil || b.Err != nil || a.Object == nil || b.Object == nil {
		return false
	}
	ya, erra := v1alpha1.Marshal(a.Object)
	yb, errb := v1alpha1.Marshal(b.Object)
	if erra != nil || errb != nil || !bytes.Equal(ya, yb) {
		return false
	}
	ka, aok := a.Object.(*v1alpha1.APIKey)
	kb, bok := b.Object.(*v1alpha1.APIKey)
	return aok == bok && (!aok || ka.Spec.Value.Reveal() == kb.Spec.Value.Reveal())
}

func labelsMatch(labels, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// printResults prints one line per object ("endpoint/my-chat created") and
// the errors of invalid or conflicting ones; docs are the documents the
// results answer, in order, to name the file and document of an error the
// server did not locate. It reports whether anything failed.
func (a *app) printResults(results []client.Result, docs []v1alpha1.Decoded, dryRun bool) bool {
	suffix := ""
	if dryRun {
		suffix = " (dry run)"
	}
	failed := false
	for i, r := range results {
		switch r.Action {
		case controller.ActionInvalid, controller.ActionConflict:
			failed = true
			msg := r.Error
			if i < len(docs) {
				msg = locate(msg, docs[i], r)
			} else if r.Name != "" && !strings.Contains(msg, r.Name) {
				msg = kindName(r.Kind, r.Name) + ": " + msg
			}
			fmt.Fprintf(a.io.Err, "error: %s\n", msg)
		default:
			fmt.Fprintf(a.io.Out, "%s %s%s\n", kindName(r.Kind, r.Name), r.Action, suffix)
		}
	}
	return failed
}

// locate prefixes an error with the file, document and resource it belongs
// to unless it already starts with them.
func locate(msg string, d v1alpha1.Decoded, r client.Result) string {
	src := d.Source.String()
	if strings.HasPrefix(msg, src) || strings.HasPrefix(msg, d.Source.File+":") {
		return msg
	}
	prefix := src + ": "
	if r.Kind != "" && r.Name != "" {
		prefix += r.Kind + "/" + r.Name + ": "
	}
	return prefix + msg
}

// labelsString renders labels as k=v,k2=v2 in key order.
func labelsString(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
