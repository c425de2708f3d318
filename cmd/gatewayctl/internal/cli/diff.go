package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
	"github.com/ai-gateway/gateway/controlplane/controller"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
)

// externalDiffEnv names a program to show differences, like KUBECTL_EXTERNAL_DIFF.
const externalDiffEnv = "GATEWAYCTL_EXTERNAL_DIFF"

func (a *app) diffCommand() *cobra.Command {
	var ff fileFlags
	c := &cobra.Command{
		Use:   "diff -f FILE|DIR|- [-R]",
		Short: "Show how the gateway would change if the manifests were applied",
		Long: `Diff asks the gateway to compare the stored objects with the manifests and prints a unified
diff per object (live/KIND/NAME against desired/KIND/NAME), and for Endpoints the effective
routing before and after (each target's share of traffic, the fallbacks, the APIKey and provider
each uses). A credential in an APIKey's spec.value is never shown.

$GATEWAYCTL_EXTERNAL_DIFF, when set, names a program (with arguments) to run on two folders,
live and desired, holding one YAML file per changed object, as KUBECTL_EXTERNAL_DIFF does
(e.g. "diff -u -N" or "meld").

Exit codes: 0 no differences, 1 differences, 2 usage, 3 error (an invalid document included).`,
		Example: `  gatewayctl diff -f manifests/
  GATEWAYCTL_EXTERNAL_DIFF="diff -u -N" gatewayctl diff -f endpoint.yaml`,
		Args: argsBetween(0, 0, "no arguments (give files with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := ff.require(cmd); err != nil {
				return err
			}
			code, err := a.runDiff(cmd.Context(), ff)
			if err != nil {
				return &exitError{code: ExitDiffError, err: err}
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	ff.register(c, "compare")
	return c
}

// changedObject is a document that differs from the stored object.
type changedObject struct {
	entry mgmt.DiffEntry
	doc   v1alpha1.Decoded
}

// runDiff returns 0 (same), 1 (different) or 3 with errors already printed;
// err is an error not yet printed.
func (a *app) runDiff(ctx context.Context, ff fileFlags) (int, error) {
	srcs, err := readSources(ff.files, ff.recursive, a.io.In, a.note)
	if err != nil {
		return 0, err
	}
	set := loadSources(srcs)
	if countDocs(set) == 0 {
		return 0, errors.New("no Endpoint or APIKey documents in the given files")
	}
	cl, err := a.client()
	if err != nil {
		return 0, err
	}
	external := strings.Fields(a.getenv(externalDiffEnv))
	var changed []changedObject
	failed := false
	for _, ds := range set {
		if len(ds.docs) == 0 {
			continue
		}
		resp, err := cl.Diff(ctx, ds.data, ds.name)
		if err != nil {
			if fatal(err) {
				return 0, err
			}
			a.printError(a.io.Err, fmt.Errorf("%s: %w", ds.name, err))
			failed = true
			continue
		}
		for i, e := range resp.Entries {
			var doc v1alpha1.Decoded
			if i < len(ds.docs) {
				doc = ds.docs[i]
			}
			switch e.Action {
			case "unchanged":
				continue
			case controller.ActionInvalid:
				failed = true
				fmt.Fprintf(a.io.Err, "error: %s\n", locate(e.Error, doc, client.Result{Kind: e.Kind, Name: e.Name}))
				continue
			}
			changed = append(changed, changedObject{entry: e, doc: doc})
			if len(external) == 0 {
				a.printDiffEntry(e)
			}
		}
	}
	if len(external) > 0 && len(changed) > 0 {
		if err := a.externalDiff(ctx, cl, external, changed); err != nil {
			a.printError(a.io.Err, err)
			failed = true
		}
	}
	switch {
	case failed:
		return ExitDiffError, nil
	case len(changed) > 0:
		return 1, nil
	}
	return 0, nil
}

func (a *app) printDiffEntry(e mgmt.DiffEntry) {
	w := a.io.Out
	fmt.Fprint(w, e.Diff)
	if e.Diff != "" && !strings.HasSuffix(e.Diff, "\n") {
		fmt.Fprintln(w)
	}
	if e.RoutingAfter == nil {
		return
	}
	before, after := routeString(e.RoutingBefore), routeString(e.RoutingAfter)
	if before == after {
		return
	}
	fmt.Fprintf(w, "routing %s:\n  before: %s\n  after:  %s\n", kindName(e.Kind, e.Name), before, after)
}

// routeString summarises effective routing on one line:
// "gpt-4o-mini@openai 90% [openai], claude@anthropic 10% [anthropic]; fallbacks: gemini@gemini [gemini]".
func routeString(r *mgmt.Route) string {
	if r == nil {
		return "<none>"
	}
	target := func(t mgmt.RouteTarget, share bool) string {
		s := t.Model + "@" + t.APIKey
		if share {
			s += " " + percent(t.Percent)
		}
		if t.Provider == "" {
			return s + " [no such APIKey]"
		}
		return s + " [" + t.Provider + "]"
	}
	parts := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		parts[i] = target(t, true)
	}
	out := strings.Join(parts, ", ")
	if len(r.Fallbacks) > 0 {
		fb := make([]string, len(r.Fallbacks))
		for i, t := range r.Fallbacks {
			fb[i] = target(t, false)
		}
		out += "; fallbacks: " + strings.Join(fb, " -> ")
	}
	if r.Task != "" {
		out = r.Task + ": " + out
	}
	return out
}

// externalDiff writes the live and desired objects into two folders and
// runs the user's program on them. Its exit status 1 means "different", as
// diff's does; anything above is an error.
func (a *app) externalDiff(ctx context.Context, cl *client.Client, prog []string, changed []changedObject) error {
	tmp, err := os.MkdirTemp("", "gatewayctl-diff-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	live, desired := filepath.Join(tmp, "live"), filepath.Join(tmp, "desired")
	for _, d := range []string{live, desired} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	scope, err := secretScope(ctx, cl, changed)
	if err != nil {
		return err
	}
	for _, c := range changed {
		if c.doc.Object == nil {
			return fmt.Errorf("%s: cannot match the server's answer to a document", kindName(c.entry.Kind, c.entry.Name))
		}
		file := strings.ToLower(c.entry.Kind) + "." + c.entry.Name + ".yaml"
		var cur v1alpha1.Object
		if c.entry.Action != "create" {
			it, err := cl.Get(ctx, c.entry.Kind, c.entry.Name)
			if err != nil {
				return err
			}
			cur = it.Object
			y, err := v1alpha1.Marshal(cur)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(live, file), y, 0o600); err != nil {
				return err
			}
		}
		y, err := v1alpha1.Marshal(asStored(c.doc.Object, cur, scope))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(desired, file), y, 0o600); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, prog[0], append(prog[1:], live, desired)...)
	cmd.Stdout, cmd.Stderr = a.io.Out, a.io.Err
	cmd.Stdin = nil
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", externalDiffEnv, strings.Join(prog, " "), err)
	}
	return nil
}

// asStored returns obj as the server would store it: a write-only value
// becomes a reference to the secret store entry it would be put in (the
// live object's, else the server's scope), as the server's diff shows it.
func asStored(obj, live v1alpha1.Object, scope string) v1alpha1.Object {
	key, ok := obj.(*v1alpha1.APIKey)
	if !ok || key.Spec.Value == "" {
		return obj
	}
	k := key.DeepCopy()
	ref := &v1alpha1.SecretRef{Scope: scope, Key: k.Metadata.Name}
	if old, ok := live.(*v1alpha1.APIKey); ok && old.Spec.SecretRef != nil {
		ref = old.Spec.SecretRef
	}
	k.Spec.Value, k.Spec.Env, k.Spec.SecretRef = "", "", ref
	return k
}

// secretScope is the scope the server moves write-only values into, asked
// only when a changed APIKey carries one. A server too old to say gets the
// default.
func secretScope(ctx context.Context, cl *client.Client, changed []changedObject) (string, error) {
	for _, c := range changed {
		if k, ok := c.doc.Object.(*v1alpha1.APIKey); ok && k.Spec.Value != "" {
			st, err := cl.Status(ctx)
			if err != nil {
				return "", err
			}
			if st.SecretScope != "" {
				return st.SecretScope, nil
			}
			break
		}
	}
	return controller.DefaultSecretScope, nil
}
