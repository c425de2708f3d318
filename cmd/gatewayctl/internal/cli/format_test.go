package cli

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai-gateway/gateway/api/v1alpha1"
	"github.com/ai-gateway/gateway/controlplane/mgmt"
	"github.com/ai-gateway/gateway/internal/golden"
)

var when = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func w32(v int32) *int32 { return &v }

func ready(status, reason, msg string, gen int64) v1alpha1.Status {
	return v1alpha1.Status{ObservedGeneration: gen, Conditions: []v1alpha1.Condition{{Type: "Ready", Status: status, Reason: reason,
		Message: msg, ObservedGeneration: gen, LastTransitionTime: when}}}
}

func fixtureEndpoints() []*v1alpha1.Endpoint {
	return []*v1alpha1.Endpoint{
		{
			Metadata: v1alpha1.ObjectMeta{Name: "my-chat", Labels: map[string]string{"team": "search", "env": "prod"}, Generation: 3, ResourceVersion: "abc123"},
			Spec: v1alpha1.EndpointSpec{Task: v1alpha1.TaskChat,
				Targets: []v1alpha1.Target{
					{Model: "gpt-4o-mini", APIKeyRef: "openai-prod", Weight: w32(90)},
					{Model: "claude-sonnet-4-5", APIKeyRef: "anthropic", Weight: w32(10)},
				},
				Fallbacks: []v1alpha1.Target{{Model: "gemini-2.5-flash", APIKeyRef: "gemini"}, {Model: "mock-1", APIKeyRef: "mock"}},
				Retry:     &v1alpha1.RetryPolicy{Attempts: 2, Backoff: &v1alpha1.Duration{Duration: 250 * time.Millisecond}},
				Timeout:   &v1alpha1.Duration{Duration: 2 * time.Minute},
				RateLimit: &v1alpha1.RateLimit{RequestsPerMinute: 600, TokensPerMinute: 200000},
			},
			Status: ready("True", "Reconciled", "", 3),
		},
		{
			Metadata: v1alpha1.ObjectMeta{Name: "thirds", Generation: 1},
			Spec: v1alpha1.EndpointSpec{Task: v1alpha1.TaskEmbeddings, Targets: []v1alpha1.Target{
				{Model: "a", APIKeyRef: "mock"}, {Model: "b", APIKeyRef: "mock"}, {Model: "c", APIKeyRef: "missing"}}},
			Status: ready("False", "APIKeyNotFound", "spec.targets[2]: APIKey \"missing\" does not exist", 1),
		},
		{Metadata: v1alpha1.ObjectMeta{Name: "fresh"}, Spec: v1alpha1.EndpointSpec{Targets: []v1alpha1.Target{{Model: "m", APIKeyRef: "mock"}}}},
	}
}

func fixtureAPIKeys() []*v1alpha1.APIKey {
	return []*v1alpha1.APIKey{
		{Metadata: v1alpha1.ObjectMeta{Name: "anthropic", Generation: 1},
			Spec:   v1alpha1.APIKeySpec{Provider: "anthropic", Env: "ANTHROPIC_API_KEY"},
			Status: ready("False", "EnvNotSet", "environment variable ANTHROPIC_API_KEY is not set", 1)},
		{Metadata: v1alpha1.ObjectMeta{Name: "local", Generation: 2, Labels: map[string]string{"team": "search"}},
			Spec: v1alpha1.APIKeySpec{Provider: "openai-compatible", Config: &v1alpha1.ProviderConfig{BaseURL: "http://10.0.0.5:8000/v1",
				Headers: map[string]string{"X-Tenant": "search"}}},
			Status: ready("True", "Reconciled", "", 2)},
		{Metadata: v1alpha1.ObjectMeta{Name: "mock", Generation: 1}, Spec: v1alpha1.APIKeySpec{Provider: "mock"},
			Status: ready("True", "Reconciled", "", 1)},
		{Metadata: v1alpha1.ObjectMeta{Name: "openai-prod", Generation: 4},
			Spec:   v1alpha1.APIKeySpec{Provider: "openai", SecretRef: &v1alpha1.SecretRef{Scope: "ai-gateway", Key: "openai-prod"}},
			Status: ready("True", "Reconciled", "", 4)},
	}
}

func TestTables(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer)
	}{
		{"get_endpoints.txt", func(b *bytes.Buffer) { writeEndpointTable(b, fixtureEndpoints(), false) }},
		{"get_endpoints_wide.txt", func(b *bytes.Buffer) { writeEndpointTable(b, fixtureEndpoints(), true) }},
		{"get_apikeys.txt", func(b *bytes.Buffer) { writeAPIKeyTable(b, fixtureAPIKeys(), false) }},
		{"get_apikeys_wide.txt", func(b *bytes.Buffer) { writeAPIKeyTable(b, fixtureAPIKeys(), true) }},
		{"describe_endpoint.txt", func(b *bytes.Buffer) {
			keys := map[string]*v1alpha1.APIKey{}
			for _, k := range fixtureAPIKeys() {
				keys[k.Metadata.Name] = k
			}
			for i, ep := range fixtureEndpoints() {
				if i > 0 {
					b.WriteString("\n")
				}
				describeEndpoint(b, ep, keys)
			}
		}},
		{"describe_apikey.txt", func(b *bytes.Buffer) {
			for i, k := range fixtureAPIKeys() {
				if i > 0 {
					b.WriteString("\n")
				}
				describeAPIKey(b, k, fixtureEndpoints())
			}
		}},
		{"diff_routing.txt", func(b *bytes.Buffer) {
			a := &app{io: IO{Out: b}}
			a.printDiffEntry(mgmt.DiffEntry{Kind: "Endpoint", Name: "my-chat", Action: "update",
				Diff:          "--- live/Endpoint/my-chat\n+++ desired/Endpoint/my-chat\n@@ -1 +1 @@\n-    weight: 100\n+    weight: 90\n",
				RoutingBefore: &mgmt.Route{Task: "chat", Targets: []mgmt.RouteTarget{{Model: "gpt-4o-mini", APIKey: "openai-prod", Provider: "openai", Percent: 100}}},
				RoutingAfter: &mgmt.Route{Task: "chat", Targets: []mgmt.RouteTarget{
					{Model: "gpt-4o-mini", APIKey: "openai-prod", Provider: "openai", Percent: 66.67},
					{Model: "claude", APIKey: "anthropic", Percent: 33.33}},
					Fallbacks: []mgmt.RouteTarget{{Model: "gemini-2.5-flash", APIKey: "gemini", Provider: "gemini"}, {Model: "mock-1", APIKey: "mock", Provider: "mock"}}},
			})
			// Same routing: no summary.
			a.printDiffEntry(mgmt.DiffEntry{Kind: "Endpoint", Name: "labels-only", Action: "update", Diff: "--- live/Endpoint/labels-only\n+++ desired/Endpoint/labels-only\n",
				RoutingBefore: &mgmt.Route{Task: "chat", Targets: []mgmt.RouteTarget{{Model: "m", APIKey: "k", Provider: "mock", Percent: 100}}},
				RoutingAfter:  &mgmt.Route{Task: "chat", Targets: []mgmt.RouteTarget{{Model: "m", APIKey: "k", Provider: "mock", Percent: 100}}}})
			// A new Endpoint.
			a.printDiffEntry(mgmt.DiffEntry{Kind: "Endpoint", Name: "new", Action: "create", Diff: "+++ desired/Endpoint/new\n",
				RoutingAfter: &mgmt.Route{Task: "embeddings", Targets: []mgmt.RouteTarget{{Model: "m", APIKey: "k", Provider: "mock", Percent: 100}}}})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.write(&b)
			golden.Compare(t, filepath.Join("testdata", tt.name), b.Bytes())
		})
	}
}

func TestShares(t *testing.T) {
	for _, tt := range []struct {
		weights []*int32
		want    string
	}{
		{[]*int32{nil}, "m@k(100%)"},
		{[]*int32{nil, nil, nil}, "m@k(33.33%),m@k(33.33%),m@k(33.33%)"},
		{[]*int32{w32(2), w32(1)}, "m@k(66.67%),m@k(33.33%)"},
		{[]*int32{w32(90), w32(10)}, "m@k(90%),m@k(10%)"},
		{[]*int32{w32(3), nil}, "m@k(50%),m@k(50%)"}, // unset = the mean of the set ones
		{[]*int32{w32(1), w32(0)}, "m@k(100%),m@k(0%)"},
	} {
		var ts []v1alpha1.Target
		for _, w := range tt.weights {
			ts = append(ts, v1alpha1.Target{Model: "m", APIKeyRef: "k", Weight: w})
		}
		if got := targetList(ts, true); got != tt.want {
			t.Errorf("targetList = %s, want %s", got, tt.want)
		}
	}
}
