package providers

import "github.com/tidwall/gjson"

// Usage counts tokens for metrics and token rate limits.
type Usage struct {
	PromptTokens     int64
	CompletionTokens int64
}

// UsageReporter is implemented by streams that learn the usage as they go.
type UsageReporter interface {
	// Usage returns what the stream has reported so far.
	Usage() Usage
}

// UsageFromOpenAI reads the usage object of an OpenAI-shaped response or chunk.
func UsageFromOpenAI(body []byte) (Usage, bool) {
	u := gjson.GetBytes(body, "usage")
	if !u.IsObject() {
		return Usage{}, false
	}
	return Usage{
		PromptTokens:     u.Get("prompt_tokens").Int(),
		CompletionTokens: u.Get("completion_tokens").Int(),
	}, true
}
