package v1alpha1

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func validEndpoint() *Endpoint {
	return &Endpoint{
		TypeMeta: TypeMeta{APIVersion: GroupVersion, Kind: KindEndpoint},
		Metadata: ObjectMeta{Name: "my-chat", Labels: map[string]string{"team": "search"}},
		Spec: EndpointSpec{
			Task:      TaskChat,
			Targets:   []Target{{Model: "gpt-4o-mini", APIKeyRef: "openai-prod", Weight: ptr[int32](90)}, {Model: "claude", APIKeyRef: "anthropic", Weight: ptr[int32](10)}},
			Fallbacks: []Target{{Model: "gemini-2.5-flash", APIKeyRef: "gemini"}},
			Retry:     &RetryPolicy{Attempts: 2, Backoff: &Duration{250 * time.Millisecond}},
			Timeout:   &Duration{2 * time.Minute},
			RateLimit: &RateLimit{RequestsPerMinute: 600, TokensPerMinute: 200000},
		},
	}
}

func validAPIKey() *APIKey {
	return &APIKey{
		TypeMeta: TypeMeta{APIVersion: GroupVersion, Kind: KindAPIKey},
		Metadata: ObjectMeta{Name: "openai-prod"},
		Spec: APIKeySpec{
			Provider:  "openai",
			SecretRef: &SecretRef{Scope: "ai-gateway", Key: "openai-prod"},
			Config:    &ProviderConfig{BaseURL: "https://api.openai.com/v1", Headers: map[string]string{"OpenAI-Organization": "org-1"}},
		},
	}
}

func TestValidateEndpoint(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(e *Endpoint)
		want   FieldErrors
	}{
		{"valid", func(e *Endpoint) {}, nil},
		{"zero values Default fills are fine", func(e *Endpoint) {
			e.TypeMeta = TypeMeta{}
			e.Spec.Task = ""
			e.Spec.Retry = &RetryPolicy{}
		}, nil},
		{"unweighted targets", func(e *Endpoint) { e.Spec.Targets[0].Weight, e.Spec.Targets[1].Weight = nil, nil }, nil},
		{"one zero weight is fine", func(e *Endpoint) { e.Spec.Targets[0].Weight = ptr[int32](0) }, nil},
		{"zero weight with an unweighted target", func(e *Endpoint) {
			e.Spec.Targets[0].Weight, e.Spec.Targets[1].Weight = ptr[int32](0), nil
		}, nil},
		{"all zero weights", func(e *Endpoint) {
			e.Spec.Targets[0].Weight, e.Spec.Targets[1].Weight = ptr[int32](0), ptr[int32](0)
		}, FieldErrors{{"spec.targets", "at least one target must have a positive weight"}}},
		{"wrong kind", func(e *Endpoint) { e.Kind = KindAPIKey }, FieldErrors{{"kind", `must be Endpoint, got "APIKey"`}}},
		{"wrong version", func(e *Endpoint) { e.APIVersion = "v1" }, FieldErrors{{"apiVersion", `unsupported version "v1": must be gateway/v1alpha1`}}},
		{"name required", func(e *Endpoint) { e.Metadata.Name = "" }, FieldErrors{{"metadata.name", "required"}}},
		{"name too long", func(e *Endpoint) { e.Metadata.Name = strings.Repeat("a", 64) }, FieldErrors{{"metadata.name", dns1123LabelDetail}}},
		{"negative generation", func(e *Endpoint) { e.Metadata.Generation = -1 }, FieldErrors{{"metadata.generation", "must not be negative"}}},
		{"task", func(e *Endpoint) { e.Spec.Task = "Chat" }, FieldErrors{{"spec.task", `unsupported value "Chat": must be one of chat, completions, embeddings`}}},
		{"no targets", func(e *Endpoint) { e.Spec.Targets = nil }, FieldErrors{{"spec.targets", "at least one target is required"}}},
		{"target fields", func(e *Endpoint) { e.Spec.Targets[1] = Target{Weight: ptr[int32](-3)} }, FieldErrors{
			{"spec.targets[1].model", "required"}, {"spec.targets[1].apiKeyRef", "required"}, {"spec.targets[1].weight", "must not be negative"},
		}},
		{"fallback", func(e *Endpoint) {
			e.Spec.Fallbacks = append(e.Spec.Fallbacks, Target{Model: "x", APIKeyRef: "a.b", Weight: ptr[int32](0)})
		}, FieldErrors{
			{"spec.fallbacks[1].apiKeyRef", dns1123LabelDetail}, {"spec.fallbacks[1].weight", "not allowed on fallbacks"},
		}},
		{"retry limits", func(e *Endpoint) { e.Spec.Retry = &RetryPolicy{Attempts: 10, Backoff: &Duration{time.Minute}} }, nil},
		{"retry too many", func(e *Endpoint) { e.Spec.Retry.Attempts = 11 }, FieldErrors{{"spec.retry.attempts", "must be between 1 and 10"}}},
		{"backoff too long", func(e *Endpoint) { e.Spec.Retry.Backoff.Duration = time.Minute + 1 }, FieldErrors{{"spec.retry.backoff", "must be at most 1m"}}},
		{"timeout limit", func(e *Endpoint) { e.Spec.Timeout.Duration = time.Hour }, nil},
		{"timeout too long", func(e *Endpoint) { e.Spec.Timeout.Duration = time.Hour + 1 }, FieldErrors{{"spec.timeout", "must be at most 1h"}}},
		{"timeout negative", func(e *Endpoint) { e.Spec.Timeout.Duration = -1 }, FieldErrors{{"spec.timeout", "must be positive"}}},
		{"rate limit", func(e *Endpoint) { e.Spec.RateLimit = &RateLimit{RequestsPerMinute: -1} }, FieldErrors{{"spec.rateLimit.requestsPerMinute", "must not be negative"}}},
		{"labels", func(e *Endpoint) {
			e.Metadata.Labels = map[string]string{"example.com/a": "", "a/b/c": "x", strings.Repeat("k", 64): "v", "v": strings.Repeat("v", 64)}
			e.Metadata.Annotations = map[string]string{"free": "any thing\nat all", "": "x"}
		}, FieldErrors{
			{"metadata.labels[a/b/c]", labelKeyDetail},
			{"metadata.labels[" + strings.Repeat("k", 64) + "]", labelKeyDetail},
			{"metadata.labels[v]", labelValueDetail},
			{`metadata.annotations[""]`, labelKeyDetail},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEndpoint()
			tt.mutate(e)
			if diff := cmp.Diff(tt.want, Validate(e)); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateAPIKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(k *APIKey)
		want   FieldErrors
	}{
		{"valid", func(k *APIKey) {}, nil},
		{"no credential is fine here", func(k *APIKey) { k.Spec.SecretRef = nil }, nil},
		{"env", func(k *APIKey) { k.Spec.SecretRef, k.Spec.Env = nil, "_X9" }, nil},
		{"value", func(k *APIKey) { k.Spec.SecretRef, k.Spec.Value = nil, "sk-canary-123" }, nil},
		{"secretRef and value", func(k *APIKey) { k.Spec.Value = "sk-canary-123" }, FieldErrors{{"spec", "only one credential source may be set, got secretRef and value"}}},
		{"provider", func(k *APIKey) { k.Spec.Provider = "Open AI" }, FieldErrors{{"spec.provider", providerDetail}}},
		{"provider chars", func(k *APIKey) { k.Spec.Provider = "a.b_c-d9" }, nil},
		{"secretRef limits", func(k *APIKey) { k.Spec.SecretRef = &SecretRef{Scope: strings.Repeat("s", 128), Key: "A-b_c.D"} }, nil},
		{"secretRef too long", func(k *APIKey) { k.Spec.SecretRef.Key = strings.Repeat("s", 129) }, FieldErrors{{"spec.secretRef.key", secretRefDetail}}},
		{"env name", func(k *APIKey) { k.Spec.SecretRef, k.Spec.Env = nil, "A B" }, FieldErrors{{"spec.env", envDetail}}},
		{"baseURL", func(k *APIKey) { k.Spec.Config.BaseURL = "api.openai.com/v1" }, FieldErrors{{"spec.config.baseURL", baseURLDetail}}},
		{"baseURL mailto", func(k *APIKey) { k.Spec.Config.BaseURL = "mailto:x@example.com" }, FieldErrors{{"spec.config.baseURL", baseURLDetail}}},
		{"baseURL empty query", func(k *APIKey) { k.Spec.Config.BaseURL = "https://a.example/v1?" }, FieldErrors{{"spec.config.baseURL", baseURLDetail + " without a query"}}},
		{"baseURL ok", func(k *APIKey) { k.Spec.Config.BaseURL = "HTTP://LOCALHOST:11434" }, nil},
		{"headers", func(k *APIKey) {
			k.Spec.Config.Headers = map[string]string{"AUTHORIZATION": "Bearer x", "x-goog-api-key": "x", "Bad:Name": "x", "": "x", "X-Ok": "a\x00"}
		}, FieldErrors{
			{`spec.config.headers[""]`, "must be a valid HTTP header name"},
			{"spec.config.headers[AUTHORIZATION]", "credentials belong in secretRef, env or value"},
			{"spec.config.headers[Bad:Name]", "must be a valid HTTP header name"},
			{"spec.config.headers[X-Ok]", "value must not contain CR, LF or NUL"},
			{"spec.config.headers[x-goog-api-key]", "credentials belong in secretRef, env or value"},
		}},
		{"aws and vertex", func(k *APIKey) {
			k.Spec.Config.AWS = &AWSConfig{}
			k.Spec.Config.Vertex = &VertexConfig{Location: "us-central1"}
			k.Spec.Config.Azure = &AzureConfig{}
		}, FieldErrors{{"spec.config.aws.region", "required"}, {"spec.config.vertex.project", "required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := validAPIKey()
			tt.mutate(k)
			got := Validate(k)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
			if strings.Contains(got.Error(), "sk-canary-123") {
				t.Errorf("error text reveals the credential: %s", got)
			}
		})
	}
}

func TestValidateUnsupported(t *testing.T) {
	for _, obj := range []Object{nil, (*Endpoint)(nil), (*APIKey)(nil)} {
		if errs := Validate(obj); len(errs) != 1 {
			t.Errorf("Validate(%#v) = %v, want one error", obj, errs)
		}
	}
}

func TestIsDNS1123Label(t *testing.T) {
	tests := map[string]bool{
		"a": true, "0": true, "my-chat": true, "a1-b2": true, strings.Repeat("a", 63): true,
		"": false, "-a": false, "a-": false, "A": false, "a_b": false, "a.b": false, "é": false,
		strings.Repeat("a", 64): false, "a b": false, "a\n": false,
	}
	for s, want := range tests {
		if got := IsDNS1123Label(s); got != want {
			t.Errorf("IsDNS1123Label(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsLabelKeyAndValue(t *testing.T) {
	keys := map[string]bool{
		"team": true, "Team_1.x-y": true, "example.com/team": true, "a/b": true, strings.Repeat("k", 63): true,
		"": false, "/team": false, "example.com/": false, "Example.com/x": false, "a/b/c": false,
		"_x": false, "x.": false, strings.Repeat("k", 64): false, strings.Repeat("p", 254) + "/x": false,
	}
	for s, want := range keys {
		if got := IsLabelKey(s); got != want {
			t.Errorf("IsLabelKey(%q) = %v, want %v", s, got, want)
		}
	}
	values := map[string]bool{
		"": true, "v": true, "V_1.2-x": true, strings.Repeat("v", 63): true,
		"-v": false, "v ": false, "a/b": false, strings.Repeat("v", 64): false,
	}
	for s, want := range values {
		if got := IsLabelValue(s); got != want {
			t.Errorf("IsLabelValue(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDefault(t *testing.T) {
	tests := []struct {
		name string
		in   Object
		want Object
	}{
		{"empty endpoint", &Endpoint{}, &Endpoint{TypeMeta: TypeMeta{GroupVersion, KindEndpoint}, Spec: EndpointSpec{Task: TaskChat}}},
		{"retry block", &Endpoint{Spec: EndpointSpec{Retry: &RetryPolicy{}}}, &Endpoint{
			TypeMeta: TypeMeta{GroupVersion, KindEndpoint},
			Spec:     EndpointSpec{Task: TaskChat, Retry: &RetryPolicy{Attempts: 2, Backoff: &Duration{250 * time.Millisecond}}},
		}},
		{"explicit values stay", &Endpoint{Spec: EndpointSpec{Task: TaskEmbeddings, Retry: &RetryPolicy{Attempts: 5, Backoff: &Duration{0}}}}, &Endpoint{
			TypeMeta: TypeMeta{GroupVersion, KindEndpoint},
			Spec:     EndpointSpec{Task: TaskEmbeddings, Retry: &RetryPolicy{Attempts: 5, Backoff: &Duration{0}}},
		}},
		{"no retry, timeout or weights invented", &Endpoint{Spec: EndpointSpec{Targets: []Target{{Model: "m"}}}}, &Endpoint{
			TypeMeta: TypeMeta{GroupVersion, KindEndpoint},
			Spec:     EndpointSpec{Task: TaskChat, Targets: []Target{{Model: "m"}}},
		}},
		{"wrong kind is not overwritten", &Endpoint{TypeMeta: TypeMeta{"v1", "Foo"}}, &Endpoint{TypeMeta: TypeMeta{"v1", "Foo"}, Spec: EndpointSpec{Task: TaskChat}}},
		{"apikey gets no credential", &APIKey{Spec: APIKeySpec{Provider: "openai"}}, &APIKey{TypeMeta: TypeMeta{GroupVersion, KindAPIKey}, Spec: APIKeySpec{Provider: "openai"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Default(tt.in)
			if diff := cmp.Diff(tt.want, tt.in); diff != "" {
				t.Errorf("Default (-want +got):\n%s", diff)
			}
			again := DeepCopyObject(tt.in)
			Default(again)
			if diff := cmp.Diff(tt.in, again); diff != "" {
				t.Errorf("Default is not idempotent (-once +twice):\n%s", diff)
			}
		})
	}
	Default(nil) // must not panic
	Default((*Endpoint)(nil))
	Default((*APIKey)(nil))
}
