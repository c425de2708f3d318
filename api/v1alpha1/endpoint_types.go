package v1alpha1

// Task is what an Endpoint serves.
type Task string

// Tasks an Endpoint may serve.
const (
	TaskChat        Task = "chat"
	TaskEmbeddings  Task = "embeddings"
	TaskCompletions Task = "completions"
)

// Endpoint is what clients address by name (the OpenAI "model" field); it routes
// each request to one of its targets.
type Endpoint struct {
	TypeMeta `json:",inline"`
	// Metadata names the Endpoint.
	Metadata ObjectMeta `json:"metadata"`
	// Spec is the desired routing.
	Spec EndpointSpec `json:"spec"`
	// Status is written by the controller.
	Status Status `json:"status,omitempty"`
}

// EndpointSpec describes where an Endpoint's traffic goes.
type EndpointSpec struct {
	// Task is chat, embeddings or completions; defaults to chat.
	Task Task `json:"task,omitempty"`
	// Targets split traffic by weight; at least one is required.
	Targets []Target `json:"targets"`
	// Fallbacks are tried in order when a target fails with a retryable error.
	Fallbacks []Target `json:"fallbacks,omitempty"`
	// Retry re-sends a failed attempt before moving on to the next fallback.
	Retry *RetryPolicy `json:"retry,omitempty"`
	// Timeout bounds one client request from start to last byte, all attempts included.
	Timeout *Duration `json:"timeout,omitempty"`
	// RateLimit caps the Endpoint's traffic.
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// Target is one upstream model reached with one provider credential.
type Target struct {
	// Model is the provider's model name.
	Model string `json:"model"`
	// APIKeyRef names the APIKey whose provider and credential reach the model.
	APIKeyRef string `json:"apiKeyRef"`
	// Weight is the target's share of traffic; targets without one share equally.
	Weight *int32 `json:"weight,omitempty"`
}

// RetryPolicy re-sends a request that failed with a retryable error.
type RetryPolicy struct {
	// Attempts is the number of tries per target, the first included.
	Attempts int32 `json:"attempts,omitempty"`
	// Backoff is the pause before a retry; it doubles on each further retry.
	Backoff *Duration `json:"backoff,omitempty"`
}

// RateLimit caps an Endpoint's traffic per minute.
type RateLimit struct {
	// RequestsPerMinute caps requests; zero means no cap.
	RequestsPerMinute int64 `json:"requestsPerMinute,omitempty"`
	// TokensPerMinute caps prompt plus completion tokens; zero means no cap.
	TokensPerMinute int64 `json:"tokensPerMinute,omitempty"`
}

// GetTypeMeta implements Object.
func (e *Endpoint) GetTypeMeta() *TypeMeta { return &e.TypeMeta }

// GetMetadata implements Object.
func (e *Endpoint) GetMetadata() *ObjectMeta { return &e.Metadata }

// GetStatus implements Object.
func (e *Endpoint) GetStatus() *Status { return &e.Status }
