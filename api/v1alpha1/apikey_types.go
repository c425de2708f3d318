package v1alpha1

// APIKey is a provider credential (never a client key) plus the provider's
// non-secret settings.
type APIKey struct {
	TypeMeta `json:",inline"`
	// Metadata names the APIKey; Endpoint targets refer to it by name.
	Metadata ObjectMeta `json:"metadata"`
	// Spec holds the provider and the credential source.
	Spec APIKeySpec `json:"spec"`
	// Status is written by the controller.
	Status Status `json:"status,omitempty"`
}

// APIKeySpec names a provider and exactly one credential source (none for
// providers that need none, such as mock or a local Ollama).
type APIKeySpec struct {
	// Provider is a provider id from the catalog: openai, anthropic, mock, ...
	Provider string `json:"provider"`
	// SecretRef reads the credential from the secret store.
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// Env reads the credential from gatewayd's environment.
	Env string `json:"env,omitempty"`
	// Value is write-only: accepted on apply, moved into the secret store and
	// replaced by a SecretRef; never stored in a manifest, logged or returned.
	Value SecretString `json:"value,omitempty"`
	// Config holds non-secret provider settings.
	Config *ProviderConfig `json:"config,omitempty"`
}

// SecretRef names an entry in the secret store.
type SecretRef struct {
	// Scope is the secret scope (a Databricks secret scope, or a namespace in the local store).
	Scope string `json:"scope"`
	// Key is the entry within the scope.
	Key string `json:"key"`
}

// ProviderConfig holds non-secret provider settings, validated per provider.
type ProviderConfig struct {
	// BaseURL overrides the base URL the provider's own SDK uses
	// (OpenAI-style: includes /v1; Anthropic and Gemini: the host root).
	BaseURL string `json:"baseURL,omitempty"`
	// Headers are extra non-secret headers sent upstream (an organization id, say).
	Headers map[string]string `json:"headers,omitempty"`
	// Azure holds Azure OpenAI settings.
	Azure *AzureConfig `json:"azure,omitempty"`
	// AWS holds Bedrock settings.
	AWS *AWSConfig `json:"aws,omitempty"`
	// Vertex holds Vertex AI settings.
	Vertex *VertexConfig `json:"vertex,omitempty"`
}

// AzureConfig holds Azure OpenAI settings.
type AzureConfig struct {
	// APIVersion is the api-version query parameter, for example "2024-10-21".
	APIVersion string `json:"apiVersion,omitempty"`
}

// AWSConfig holds AWS settings.
type AWSConfig struct {
	// Region is the AWS region, for example "us-east-1".
	Region string `json:"region,omitempty"`
}

// VertexConfig holds Google Cloud Vertex AI settings.
type VertexConfig struct {
	// Project is the Google Cloud project id.
	Project string `json:"project,omitempty"`
	// Location is the Vertex AI region, for example "us-central1".
	Location string `json:"location,omitempty"`
}

// GetTypeMeta implements Object.
func (k *APIKey) GetTypeMeta() *TypeMeta { return &k.TypeMeta }

// GetMetadata implements Object.
func (k *APIKey) GetMetadata() *ObjectMeta { return &k.Metadata }

// GetStatus implements Object.
func (k *APIKey) GetStatus() *Status { return &k.Status }
