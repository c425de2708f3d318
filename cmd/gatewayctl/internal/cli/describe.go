package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/client"
)

func (a *app) describeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "describe endpoint|apikey [NAME...]",
		Short: "Show an Endpoint's effective routing or an APIKey's use, with conditions",
		Long: `Describe shows one or more objects for people: an Endpoint's spec, its effective routing
(each target's share of traffic, the fallbacks in order, which APIKey and provider each uses and
whether that key is ready), an APIKey's provider, where its credential comes from (never the
credential) and the Endpoints that use it, and the conditions with their reason, message and
last transition time. Without a NAME every object of the type is described.`,
		Example: `  gatewayctl describe endpoint my-chat
  gatewayctl describe apikey openai-prod`,
		Args: argsBetween(1, -1, "a resource type (endpoint or apikey) and optional names"),
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := parseRefs(args, true)
			if err != nil {
				return err
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var objs []v1alpha1.Object
			failed := false
			for _, r := range refs {
				if r.name == "" {
					list, err := cl.List(ctx, r.kind)
					if err != nil {
						return err
					}
					for _, it := range list {
						objs = append(objs, it.Object)
					}
					continue
				}
				it, err := cl.Get(ctx, r.kind, r.name)
				if err != nil {
					a.printError(a.io.Err, err)
					failed = true
					continue
				}
				objs = append(objs, it.Object)
			}
			if len(objs) > 0 {
				if err := a.describeAll(ctx, cl, objs); err != nil {
					return err
				}
			} else if !failed {
				fmt.Fprintln(a.io.Err, "No resources found.")
			}
			if failed {
				return errSilent
			}
			return nil
		},
	}
}

func (a *app) describeAll(ctx context.Context, cl *client.Client, objs []v1alpha1.Object) error {
	// The other kind, to resolve references: the keys an Endpoint uses, the
	// Endpoints that use a key.
	var keys map[string]*v1alpha1.APIKey
	var eps []*v1alpha1.Endpoint
	for i, obj := range objs {
		if i > 0 {
			fmt.Fprintln(a.io.Out)
		}
		switch o := obj.(type) {
		case *v1alpha1.Endpoint:
			if keys == nil {
				list, err := cl.List(ctx, v1alpha1.KindAPIKey)
				if err != nil {
					return err
				}
				keys = map[string]*v1alpha1.APIKey{}
				for _, it := range list {
					k := it.Object.(*v1alpha1.APIKey)
					keys[k.Metadata.Name] = k
				}
			}
			describeEndpoint(a.io.Out, o, keys)
		case *v1alpha1.APIKey:
			if eps == nil {
				list, err := cl.List(ctx, v1alpha1.KindEndpoint)
				if err != nil {
					return err
				}
				eps = []*v1alpha1.Endpoint{}
				for _, it := range list {
					eps = append(eps, it.Object.(*v1alpha1.Endpoint))
				}
			}
			describeAPIKey(a.io.Out, o, eps)
		}
	}
	return nil
}

// field prints "Label:" padded to a common width, then the value.
func field(w io.Writer, label, value string) {
	fmt.Fprintf(w, "%-14s%s\n", label+":", value)
}

func describeMeta(w io.Writer, kind string, m *v1alpha1.ObjectMeta) {
	field(w, "Name", m.Name)
	field(w, "Kind", kind)
	field(w, "Labels", labelsString(m.Labels))
	field(w, "Annotations", labelsString(m.Annotations))
	field(w, "Generation", strconv.FormatInt(m.Generation, 10))
	field(w, "Version", orNone(m.ResourceVersion))
}

// keyState is the provider and readiness of the APIKey a target names.
func keyState(keys map[string]*v1alpha1.APIKey, name string) (provider, ready string) {
	k, ok := keys[name]
	if !ok {
		return "<none>", "NotFound"
	}
	status, reason := readyOf(&k.Status)
	if status == "True" {
		return orNone(k.Spec.Provider), "True"
	}
	return orNone(k.Spec.Provider), status + " (" + reason + ")"
}

// describeEndpoint prints an Endpoint with its effective routing.
func describeEndpoint(w io.Writer, ep *v1alpha1.Endpoint, keys map[string]*v1alpha1.APIKey) {
	describeMeta(w, v1alpha1.KindEndpoint, &ep.Metadata)
	field(w, "Task", orNone(string(ep.Spec.Task)))
	fmt.Fprintln(w, "Routing:")
	tw := newTable(w)
	row(tw, "  TARGET", "APIKEY", "PROVIDER", "WEIGHT", "SHARE", "KEY READY")
	sh := shares(ep.Spec.Targets)
	for i, t := range ep.Spec.Targets {
		provider, ready := keyState(keys, t.APIKeyRef)
		weight := "1 (default)"
		if t.Weight != nil {
			weight = strconv.Itoa(int(*t.Weight))
		}
		row(tw, "  "+t.Model, t.APIKeyRef, provider, weight, percent(sh[i]), ready)
	}
	_ = tw.Flush()
	if len(ep.Spec.Fallbacks) == 0 {
		field(w, "Fallbacks", "<none>")
	} else {
		field(w, "Fallbacks", "(in order, after the chosen target fails with a retryable error)")
		tw := newTable(w)
		row(tw, "  ORDER", "MODEL", "APIKEY", "PROVIDER", "KEY READY")
		for i, t := range ep.Spec.Fallbacks {
			provider, ready := keyState(keys, t.APIKeyRef)
			row(tw, "  "+strconv.Itoa(i+1), t.Model, t.APIKeyRef, provider, ready)
		}
		_ = tw.Flush()
	}
	retry := "<default>"
	if r := ep.Spec.Retry; r != nil {
		retry = fmt.Sprintf("%d attempts per target", r.Attempts)
		if r.Backoff != nil {
			retry += ", backoff " + r.Backoff.Duration.String() + " (doubling)"
		}
	}
	field(w, "Retry", retry)
	timeout := "<default>"
	if ep.Spec.Timeout != nil {
		timeout = ep.Spec.Timeout.Duration.String()
	}
	field(w, "Timeout", timeout)
	limit := "<none>"
	if rl := ep.Spec.RateLimit; rl != nil && (rl.RequestsPerMinute > 0 || rl.TokensPerMinute > 0) {
		var parts []string
		if rl.RequestsPerMinute > 0 {
			parts = append(parts, fmt.Sprintf("%d requests/minute", rl.RequestsPerMinute))
		}
		if rl.TokensPerMinute > 0 {
			parts = append(parts, fmt.Sprintf("%d tokens/minute", rl.TokensPerMinute))
		}
		limit = strings.Join(parts, ", ")
	}
	field(w, "Rate Limit", limit)
	describeStatus(w, &ep.Status)
}

// describeAPIKey prints an APIKey and the Endpoints that use it.
func describeAPIKey(w io.Writer, k *v1alpha1.APIKey, eps []*v1alpha1.Endpoint) {
	describeMeta(w, v1alpha1.KindAPIKey, &k.Metadata)
	field(w, "Provider", orNone(k.Spec.Provider))
	cred := "<none>"
	switch {
	case k.Spec.SecretRef != nil:
		cred = fmt.Sprintf("secret store entry %s/%s", k.Spec.SecretRef.Scope, k.Spec.SecretRef.Key)
	case k.Spec.Env != "":
		cred = "environment variable " + k.Spec.Env + " of gatewayd"
	}
	field(w, "Credential", cred)
	field(w, "Base URL", baseURLOf(k))
	if c := k.Spec.Config; c != nil {
		if len(c.Headers) > 0 {
			field(w, "Headers", labelsString(c.Headers))
		}
		if c.Azure != nil && c.Azure.APIVersion != "" {
			field(w, "Azure", "apiVersion "+c.Azure.APIVersion)
		}
		if c.AWS != nil && c.AWS.Region != "" {
			field(w, "AWS", "region "+c.AWS.Region)
		}
		if c.Vertex != nil {
			field(w, "Vertex", strings.TrimSpace("project "+c.Vertex.Project+" location "+c.Vertex.Location))
		}
	}
	var used []string
	for _, ep := range eps {
		var roles []string
		for _, t := range ep.Spec.Targets {
			if t.APIKeyRef == k.Metadata.Name {
				roles = append(roles, "target "+t.Model)
			}
		}
		for _, t := range ep.Spec.Fallbacks {
			if t.APIKeyRef == k.Metadata.Name {
				roles = append(roles, "fallback "+t.Model)
			}
		}
		if len(roles) > 0 {
			used = append(used, kindName(v1alpha1.KindEndpoint, ep.Metadata.Name)+" ("+strings.Join(roles, ", ")+")")
		}
	}
	if len(used) == 0 {
		field(w, "Used By", "<none>")
	} else {
		fmt.Fprintln(w, "Used By:")
		for _, u := range used {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	describeStatus(w, &k.Status)
}

func describeStatus(w io.Writer, st *v1alpha1.Status) {
	field(w, "Observed", "generation "+strconv.FormatInt(st.ObservedGeneration, 10))
	if len(st.Conditions) == 0 {
		field(w, "Conditions", "<none>")
		return
	}
	fmt.Fprintln(w, "Conditions:")
	tw := newTable(w)
	row(tw, "  TYPE", "STATUS", "REASON", "LAST TRANSITION", "MESSAGE")
	for _, c := range st.Conditions {
		when := "<unknown>"
		if !c.LastTransitionTime.IsZero() {
			when = c.LastTransitionTime.UTC().Format(time.RFC3339)
		}
		msg := c.Message
		if msg == "" {
			msg = "<none>"
		}
		row(tw, "  "+c.Type, c.Status, orNone(c.Reason), when, strings.NewReplacer("\n", " ", "\t", " ").Replace(msg))
	}
	_ = tw.Flush()
}
