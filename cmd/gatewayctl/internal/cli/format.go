package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/controller"
)

// newTable returns a tab-separated table writer with kubectl's spacing.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
}

func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// readyOf returns the Ready condition's status and reason; "Unknown" when
// the controller has not reported one.
func readyOf(st *v1alpha1.Status) (status, reason string) {
	for _, c := range st.Conditions {
		if c.Type == "Ready" {
			return orNone(c.Status), orNone(c.Reason)
		}
	}
	return "Unknown", "<none>"
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// shares returns each target's share of traffic in percent, rounded to two
// decimals, from the weights the controller uses.
func shares(targets []v1alpha1.Target) []float64 {
	weights := controller.EffectiveWeights(targets)
	var sum float64
	for _, w := range weights {
		sum += float64(w)
	}
	out := make([]float64, len(weights))
	for i, w := range weights {
		if sum > 0 {
			out[i] = math.Round(float64(w)*10000/sum) / 100
		}
	}
	return out
}

func percent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// targetList renders targets as model@apikey(share%),... (shares only for
// weighted targets, not fallbacks).
func targetList(targets []v1alpha1.Target, withShares bool) string {
	if len(targets) == 0 {
		return "<none>"
	}
	var sh []float64
	if withShares {
		sh = shares(targets)
	}
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = t.Model + "@" + t.APIKeyRef
		if withShares {
			parts[i] += "(" + percent(sh[i]) + ")"
		}
	}
	return strings.Join(parts, ",")
}

// writeEndpointTable prints endpoints as `get endpoints` does. Wide adds the
// targets with their shares, the fallbacks and the generation.
func writeEndpointTable(w io.Writer, eps []*v1alpha1.Endpoint, wide bool) {
	tw := newTable(w)
	if wide {
		row(tw, "NAME", "TASK", "TARGETS", "FALLBACKS", "READY", "REASON", "GENERATION")
	} else {
		row(tw, "NAME", "TASK", "TARGETS", "READY", "REASON")
	}
	for _, ep := range eps {
		ready, reason := readyOf(&ep.Status)
		task := orNone(string(ep.Spec.Task))
		if wide {
			row(tw, ep.Metadata.Name, task, targetList(ep.Spec.Targets, true), targetList(ep.Spec.Fallbacks, false),
				ready, reason, strconv.FormatInt(ep.Metadata.Generation, 10))
		} else {
			row(tw, ep.Metadata.Name, task, strconv.Itoa(len(ep.Spec.Targets)), ready, reason)
		}
	}
	_ = tw.Flush()
}

// credentialOf describes where an APIKey's credential comes from, never the
// credential itself.
func credentialOf(k *v1alpha1.APIKey) string {
	switch {
	case k.Spec.SecretRef != nil:
		return "secret:" + k.Spec.SecretRef.Scope + "/" + k.Spec.SecretRef.Key
	case k.Spec.Env != "":
		return "env:" + k.Spec.Env
	case k.Spec.Value != "":
		return "value" // write-only; the server never returns it
	}
	return "<none>"
}

func baseURLOf(k *v1alpha1.APIKey) string {
	if k.Spec.Config != nil && k.Spec.Config.BaseURL != "" {
		return k.Spec.Config.BaseURL
	}
	return "<default>"
}

// writeAPIKeyTable prints APIKeys as `get apikeys` does. Wide adds where the
// credential comes from, the base URL and the generation.
func writeAPIKeyTable(w io.Writer, keys []*v1alpha1.APIKey, wide bool) {
	tw := newTable(w)
	if wide {
		row(tw, "NAME", "PROVIDER", "CREDENTIAL", "BASE URL", "READY", "REASON", "GENERATION")
	} else {
		row(tw, "NAME", "PROVIDER", "READY", "REASON")
	}
	for _, k := range keys {
		ready, reason := readyOf(&k.Status)
		if wide {
			row(tw, k.Metadata.Name, orNone(k.Spec.Provider), credentialOf(k), baseURLOf(k), ready, reason,
				strconv.FormatInt(k.Metadata.Generation, 10))
		} else {
			row(tw, k.Metadata.Name, orNone(k.Spec.Provider), ready, reason)
		}
	}
	_ = tw.Flush()
}
