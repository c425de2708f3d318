// Package upstream holds the fasthttp plumbing every provider adapter needs
// around a call to its upstream API: reading a response body whether or not
// it was streamed, finding a header whatever its case, releasing a streamed
// response, and telling a timeout from other transport failures.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Do sends req on c before ctx's deadline and returns the response, which
// the caller then owns and releases. A transport failure comes back as the
// provider's TransportError (a timeout as such), and an answer outside 2xx as
// what fail makes of it (the provider's own error body, its Retry-After), the
// response released: either way an error the gateway can retry on or report.
func Do(ctx context.Context, c *fasthttp.Client, req *fasthttp.Request, provider string,
	fail func(status int, resp *fasthttp.Response) *providers.Error) (*fasthttp.Response, error) {
	resp := fasthttp.AcquireResponse()
	if err := c.DoDeadline(req, resp, providers.Deadline(ctx)); err != nil {
		fasthttp.ReleaseResponse(resp)
		return nil, providers.TransportError(provider, err, IsTimeout(err))
	}
	if status := resp.StatusCode(); status < 200 || status >= 300 {
		e := fail(status, resp)
		fasthttp.ReleaseResponse(resp)
		if e == nil {
			// A nil *providers.Error would be a non-nil error: never pass it on.
			e = &providers.Error{Status: 502, Type: "api_error", Retryable: providers.RetryableStatus(status),
				Message: provider + " answered with status " + strconv.Itoa(status)}
		}
		return nil, e
	}
	return resp, nil
}

// IsTimeout reports whether a transport error is a deadline: fasthttp's own
// timeouts, a deadline on the connection, or any net.Error saying so. The
// gateway answers those with 504 rather than 502.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, fasthttp.ErrDialTimeout) || (errors.As(err, &ne) && ne.Timeout())
}

// ReadAll returns a response's whole body. A client with StreamResponseBody
// set leaves the body in a stream, which ReadAll drains and closes; otherwise
// the body is resp's own buffer, valid until resp is released.
func ReadAll(resp *fasthttp.Response) []byte {
	if s := resp.BodyStream(); s != nil {
		var buf bytes.Buffer
		if n := resp.Header.ContentLength(); n > 0 && n <= 64<<20 {
			// One allocation of the right size instead of doubling from 512 bytes.
			buf.Grow(n + bytes.MinRead) // ReadFrom wants MinRead free before it sees EOF
		}
		_, _ = buf.ReadFrom(s)
		_ = resp.CloseBodyStream()
		return buf.Bytes()
	}
	return resp.Body()
}

// Header returns a response header's value whatever the case of its name:
// the shared client keeps header names as received, and upstreams spell them
// their own way (Anthropic in lower case, AWS as x-amzn-RequestId).
func Header(resp *fasthttp.Response, name string) string {
	if v := resp.Header.Peek(name); len(v) > 0 {
		return string(v)
	}
	for k, v := range resp.Header.All() {
		if strings.EqualFold(string(k), name) {
			return string(v)
		}
	}
	return ""
}

// CloseStream closes the body stream of *resp and releases it, once: *resp
// is nil afterwards and a second call does nothing, as a providers.Stream's
// Close must allow.
func CloseStream(resp **fasthttp.Response) error {
	if *resp == nil {
		return nil
	}
	err := (*resp).CloseBodyStream()
	fasthttp.ReleaseResponse(*resp)
	*resp = nil
	return err
}
