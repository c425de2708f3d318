package azure

import (
	"math"
	"strconv"
	"strings"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/openai"
)

// upstreamError converts an Azure error into a providers.Error. Azure's body
// is OpenAI-shaped, {"error":{"code":"DeploymentNotFound","message":"..."}},
// usually without "type"; the API-management layer in front of it answers
// some 401s as {"statusCode":401,"message":"..."}; both are handled by the
// OpenAI parser. Throttling comes as 429 with retry-after (seconds) and
// retry-after-ms; the client is given whole seconds, rounded up.
func upstreamError(status int, body []byte, retryAfter, retryAfterMS string) *providers.Error {
	e := openai.UpstreamError(status, body)
	if e.Code == strconv.Itoa(status) {
		// Azure repeats the status as the code ({"code":"429",...}): no information.
		e.Code = ""
	}
	e.RetryAfter = strings.TrimSpace(retryAfter)
	if e.RetryAfter == "" {
		if ms, err := strconv.ParseFloat(strings.TrimSpace(retryAfterMS), 64); err == nil && ms > 0 {
			e.RetryAfter = strconv.Itoa(int(math.Ceil(ms / 1000)))
		}
	}
	return e
}
