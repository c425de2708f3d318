package controller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/secrets"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/state"
)

// pass is the working state of one reconcile.
type pass struct {
	c    *Controller
	ctx  context.Context
	now  time.Time
	defs map[Key][]definition

	res         map[Key]*Resource
	keys        map[string]*v1alpha1.APIKey // valid, unique APIKeys
	eps         []*v1alpha1.Endpoint        // valid, unique Endpoints
	creds       map[string]*providers.Credential
	credProblem map[string]string // APIKey name → why it has no credential
}

// classify assigns generations, rejects duplicates and invalid documents, and
// sorts the rest by kind.
func (p *pass) classify() {
	for k, ds := range p.defs {
		d := ds[0]
		obj := d.obj
		meta := obj.GetMetadata()
		g, seen := p.c.gens[k]
		switch {
		case !seen:
			g = generation{obj: obj, gen: 1}
		case d.err == nil && !v1alpha1.SpecEqual(g.obj, obj):
			g = generation{obj: obj, gen: g.gen + 1}
		}
		if d.err == nil {
			p.c.gens[k] = g
		}
		meta.Generation = g.gen
		meta.ResourceVersion = d.version
		r := &Resource{Object: obj}
		for _, x := range ds {
			r.Sources = append(r.Sources, x.source)
			r.Locations = append(r.Locations, x.loc)
		}
		p.res[k] = r
		if len(ds) > 1 {
			p.setReady(k, "False", ReasonDuplicate, "defined more than once: "+strings.Join(r.Sources, ", ")+
				"; the last good version keeps serving until only one remains")
			continue
		}
		if d.err != nil {
			p.setReady(k, "False", ReasonInvalid, d.err.Error())
			continue
		}
		switch o := obj.(type) {
		case *v1alpha1.APIKey:
			p.keys[k.Name] = o
		case *v1alpha1.Endpoint:
			p.eps = append(p.eps, o)
		}
	}
}

// hold keeps resources whose file no longer decodes as they were last read,
// marked Invalid: an Endpoint among them keeps serving its last good version,
// and Endpoints using an APIKey among them say why it is not ready.
func (p *pass) hold(held map[Key]string) {
	for k, why := range held {
		prev := p.c.resources[k] // written only under recMu, which this pass holds
		if prev == nil {
			continue
		}
		r := copyResource(prev)
		p.res[k] = &r
		msg := why + " (" + k.String() + " can no longer be read from it)"
		if _, ok := p.c.lastGoodEP[k.Name]; ok && k.Kind == v1alpha1.KindEndpoint {
			msg += "; serving the last good version"
		}
		p.setReady(k, "False", ReasonInvalid, msg)
		if k.Kind == v1alpha1.KindAPIKey {
			p.credProblem[k.Name] = ReasonInvalid + ": " + msg
		}
	}
}

func (p *pass) setReady(k Key, status, reason, msg string) {
	r := p.res[k]
	st := r.Object.GetStatus()
	gen := r.Object.GetMetadata().Generation
	st.ObservedGeneration = gen
	st.Conditions = setCondition(st.Conditions, v1alpha1.Condition{Type: ConditionReady, Status: status, Reason: reason,
		Message: msg, ObservedGeneration: gen}, p.now)
}

func (p *pass) resolveAPIKeys() {
	for name, k := range p.keys {
		key := Key{v1alpha1.KindAPIKey, name}
		cred, reason, msg := p.resolveCredential(k)
		if reason != "" {
			p.credProblem[name] = msg
			p.setReady(key, "False", reason, msg)
			continue
		}
		p.creds[name] = cred
		p.c.lastGoodCred[name] = cred
		p.setReady(key, "True", ReasonReconciled, "")
	}
	// An APIKey that is defined but broken (or duplicated) explains itself to
	// the Endpoints that use it.
	for k := range p.defs {
		if k.Kind != v1alpha1.KindAPIKey {
			continue
		}
		if _, ok := p.keys[k.Name]; ok {
			continue
		}
		if c := readyCondition(p.res[k].Object.GetStatus()); c != nil {
			p.credProblem[k.Name] = c.Reason + ": " + c.Message
		}
	}
}

func (p *pass) resolveCredential(k *v1alpha1.APIKey) (*providers.Credential, string, string) {
	spec := &k.Spec
	info, err := CheckProvider(p.c.opts.Providers, spec.Provider)
	if err != nil {
		return nil, ReasonProviderNotFound, err.Error()
	}
	cred := &providers.Credential{Name: k.Metadata.Name, Provider: spec.Provider}
	if cfg := spec.Config; cfg != nil {
		cred.BaseURL = cfg.BaseURL
		if len(cfg.Headers) > 0 {
			cred.Headers = make(map[string]string, len(cfg.Headers))
			for h, v := range cfg.Headers {
				cred.Headers[h] = v
			}
		}
		opts := map[string]string{}
		if cfg.Azure != nil && cfg.Azure.APIVersion != "" {
			opts["azure.apiVersion"] = cfg.Azure.APIVersion
		}
		if cfg.AWS != nil && cfg.AWS.Region != "" {
			opts["aws.region"] = cfg.AWS.Region
		}
		if cfg.Vertex != nil {
			if cfg.Vertex.Project != "" {
				opts["vertex.project"] = cfg.Vertex.Project
			}
			if cfg.Vertex.Location != "" {
				opts["vertex.location"] = cfg.Vertex.Location
			}
		}
		if len(opts) > 0 {
			cred.Options = opts
		}
	}
	if info.NeedsBaseURL && cred.BaseURL == "" {
		return nil, ReasonInvalidConfig, fmt.Sprintf("provider %q needs spec.config.baseURL", spec.Provider)
	}
	switch {
	case spec.SecretRef != nil:
		v, err := p.c.opts.Secrets.Get(p.ctx, spec.SecretRef.Scope, spec.SecretRef.Key)
		if errors.Is(err, secrets.ErrNotFound) {
			return nil, ReasonSecretNotFound, fmt.Sprintf("secret %s/%s is not in the secret store", spec.SecretRef.Scope, spec.SecretRef.Key)
		}
		if err != nil {
			return nil, ReasonSecretError, fmt.Sprintf("read secret %s/%s: %v", spec.SecretRef.Scope, spec.SecretRef.Key, err)
		}
		cred.Secret = providers.Secret(v)
	case spec.Env != "":
		v, ok := p.c.opts.Getenv(spec.Env)
		if !ok || v == "" {
			return nil, ReasonEnvNotSet, fmt.Sprintf("environment variable %s is not set in gatewayd's environment", spec.Env)
		}
		cred.Secret = providers.Secret(v)
	case spec.Value != "":
		if !p.c.warnedValue[k.Metadata.Name] {
			p.c.warnedValue[k.Metadata.Name] = true
			p.c.log.Warn("APIKey holds its credential in plain text in a manifest file; apply it through gatewayctl or the API to move it into the secret store",
				"apikey", k.Metadata.Name)
		}
		cred.Secret = providers.Secret(spec.Value.Reveal())
	default:
		if info.NeedsCredential {
			return nil, ReasonCredentialNeeded, fmt.Sprintf("provider %q needs a credential: set spec.secretRef, spec.env or spec.value", spec.Provider)
		}
	}
	return cred, "", ""
}

func (p *pass) compileEndpoints() {
	for _, e := range p.eps {
		key := Key{v1alpha1.KindEndpoint, e.Metadata.Name}
		compiled, reason, msg := p.compileEndpoint(e)
		if reason != "" {
			if _, ok := p.c.lastGoodEP[e.Metadata.Name]; ok {
				msg += "; serving the last good version"
			}
			p.setReady(key, "False", reason, msg)
			continue
		}
		p.c.lastGoodEP[e.Metadata.Name] = compiled
		pinned := map[string]*providers.Credential{}
		for _, t := range allTargets(compiled) {
			pinned[t.Credential] = p.creds[t.Credential]
		}
		p.c.lastGoodEPCreds[e.Metadata.Name] = pinned
		p.setReady(key, "True", ReasonReconciled, "")
	}
}

func (p *pass) compileEndpoint(e *v1alpha1.Endpoint) (*state.Endpoint, string, string) {
	task := providers.Task(e.Spec.Task)
	out := &state.Endpoint{Name: e.Metadata.Name, Task: task, Generation: e.Metadata.Generation}
	if len(e.Metadata.Labels) > 0 {
		out.Labels = make(map[string]string, len(e.Metadata.Labels))
		for k, v := range e.Metadata.Labels {
			out.Labels[k] = v
		}
	}
	check := func(field string, t v1alpha1.Target) (string, string) {
		if _, ok := p.creds[t.APIKeyRef]; ok {
			info, _ := p.c.opts.Providers.Info(p.keys[t.APIKeyRef].Spec.Provider)
			if err := CheckTask(field, info, t.APIKeyRef, task); err != nil {
				return ReasonTaskNotSupported, err.Error()
			}
			return "", ""
		}
		if why, ok := p.credProblem[t.APIKeyRef]; ok {
			return ReasonAPIKeyNotReady, fmt.Sprintf("%s: APIKey %q is not ready (%s)", field, t.APIKeyRef, why)
		}
		return ReasonAPIKeyNotFound, fmt.Sprintf("%s: APIKey %q does not exist", field, t.APIKeyRef)
	}
	weights := EffectiveWeights(e.Spec.Targets)
	for i, t := range e.Spec.Targets {
		if reason, msg := check("spec.targets["+strconv.Itoa(i)+"]", t); reason != "" {
			return nil, reason, msg
		}
		out.Targets = append(out.Targets, state.Target{Model: t.Model, Credential: t.APIKeyRef, Weight: weights[i]})
	}
	for i, t := range e.Spec.Fallbacks {
		if reason, msg := check("spec.fallbacks["+strconv.Itoa(i)+"]", t); reason != "" {
			return nil, reason, msg
		}
		out.Fallbacks = append(out.Fallbacks, state.Target{Model: t.Model, Credential: t.APIKeyRef})
	}
	if r := e.Spec.Retry; r != nil {
		out.Retry.Attempts = int(r.Attempts)
		if r.Backoff != nil {
			out.Retry.Backoff = r.Backoff.Duration
		}
	}
	if e.Spec.Timeout != nil {
		out.Timeout = e.Spec.Timeout.Duration
	}
	if rl := e.Spec.RateLimit; rl != nil {
		out.RateLimit = state.RateLimit{RequestsPerMinute: rl.RequestsPerMinute, TokensPerMinute: rl.TokensPerMinute}
	}
	return out, "", ""
}

// EffectiveWeights returns the weight each target is served with. Unset
// weights take the mean of the set ones, so "weights default to equal" holds
// whether none or some are given.
func EffectiveWeights(targets []v1alpha1.Target) []uint32 {
	var set, sum int64
	for _, t := range targets {
		if t.Weight != nil {
			set++
			sum += int64(*t.Weight)
		}
	}
	def := uint32(1)
	if set > 0 {
		def = uint32(max(sum/set, 1))
	}
	out := make([]uint32, len(targets))
	for i, t := range targets {
		out[i] = def
		if t.Weight != nil {
			out[i] = uint32(*t.Weight)
		}
	}
	return out
}
