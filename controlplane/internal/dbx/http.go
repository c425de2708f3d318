package dbx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"time"
)

const (
	// maxResponse bounds a response body: an exported file is at most 10 MB.
	maxResponse = 32 << 20
	// minBackoff and maxBackoff bound the wait between retries when the
	// service sends no Retry-After.
	minBackoff = 500 * time.Millisecond
	maxBackoff = 8 * time.Second
	userAgent  = "ai-gateway-gatewayd (dbx)"
)

// call sends a JSON request (in is nil for none) and decodes the JSON answer
// into out (nil to ignore it).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	data, err := c.do(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		// Not the decoder's text: it may quote the body, which may hold a secret.
		return fmt.Errorf("%s %s: the answer is not the JSON expected", method, path)
	}
	return nil
}

// do sends one API request and returns the body of a 2xx answer, retrying
// 429 and 503 (honouring Retry-After, else backing off) and connection
// failures for at most the retry timeout, and within ctx. A 401 with an
// OAuth token fetches a new token once.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	start := c.now()
	reauthed := false
	for attempt := 1; ; attempt++ {
		data, err := c.attempt(ctx, method, path, query, body)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		var authErr *authError
		if e, ok := asAPIError(err); ok && e.StatusCode == http.StatusUnauthorized && !errors.As(err, &authErr) &&
			!reauthed && c.auth.invalidate() {
			// An OAuth token revoked or expired early: fetch a new one, once.
			reauthed = true
			continue
		}
		wait, ok := retryWait(err, method, attempt)
		if !ok {
			return nil, err
		}
		// Give up now rather than sleep past the retry budget or the
		// caller's deadline: the last error says more than a timeout.
		elapsed := c.now().Sub(start)
		if elapsed+wait > c.retryTimeout {
			return nil, gaveUp(err, attempt)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, gaveUp(err, attempt)
		}
		logRetry(ctx, method, path, attempt, wait, err)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// logRetry logs a retry at debug level: for an API error its status and
// code only (a message might quote what was sent), else the error.
func logRetry(ctx context.Context, method, path string, attempt int, wait time.Duration, err error) {
	why := slog.Any("error", err)
	if e, ok := asAPIError(err); ok {
		why = slog.String("error", fmt.Sprintf("%d %s", e.StatusCode, e.ErrorCode))
	}
	loggerFrom(ctx).DebugContext(ctx, "databricks: retrying", "method", method, "path", path,
		"attempt", attempt, "wait", wait, why)
}

func gaveUp(err error, attempts int) error {
	if attempts == 1 {
		return err
	}
	return fmt.Errorf("%w (gave up after %d attempts)", err, attempts)
}

// retryWait says whether err is worth another attempt, and after how long.
func retryWait(err error, method string, attempt int) (time.Duration, bool) {
	if e, ok := asAPIError(err); ok {
		if e.class() != http.StatusTooManyRequests && e.StatusCode != http.StatusServiceUnavailable {
			return 0, false
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter, true
		}
		return backoff(attempt), true
	}
	var opErr *net.OpError
	switch {
	case errors.As(err, &opErr) && opErr.Op == "dial":
		// Nothing was sent: safe for every method.
		return backoff(attempt), true
	case method == http.MethodGet && IsTransient(err):
		// A reset or a timeout mid-exchange: only a read is safe to repeat
		// (a repeated create-if-absent import would report a conflict).
		return backoff(attempt), true
	}
	return 0, false
}

// backoff doubles from minBackoff up to maxBackoff, with up to 25% jitter so
// that replicas do not retry in step.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 8 {
		d = min(minBackoff<<(attempt-1), maxBackoff)
	}
	return d + rand.N(d/4+1)
}

// attempt is one HTTP exchange, bounded by the HTTP timeout.
func (c *Client) attempt(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.httpTimeout)
	defer cancel()
	authz, err := c.auth.authorization(ctx)
	if err != nil {
		return nil, err
	}
	u := c.host + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", authz)
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readResponse(resp)
}

// readResponse returns a 2xx body, or the APIError of any other status.
func readResponse(resp *http.Response) ([]byte, error) {
	if resp.StatusCode/100 != 2 {
		return nil, errorOf(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("the answer is over %d bytes", maxResponse)
	}
	return data, nil
}

// errorOf reads the APIError of a non-2xx answer.
func errorOf(resp *http.Response) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return err
	}
	return parseError(resp, data, time.Now())
}
