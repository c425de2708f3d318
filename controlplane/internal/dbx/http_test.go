package dbx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock stands in for time in the retry loop: sleeping records the wait
// and moves the clock, so no test waits for real.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// testClient is a PAT client of srv with a fake clock.
func testClient(t *testing.T, host string, configure func(*Config)) (*Client, *fakeClock) {
	t.Helper()
	env := map[string]string{"DATABRICKS_HOST": host, "DATABRICKS_TOKEN": "dapi-test"}
	c, err := NewClient(Options{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Configure: configure})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c.sleep, c.now = clk.sleep, clk.now
	return c, clk
}

// scripted answers each request with the next status (the last repeats);
// a 2xx answers {} and headers[i] are added to the i-th answer.
func scripted(t *testing.T, statuses []int, headers ...map[string]string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if r.Header.Get("Authorization") != "Bearer dapi-test" {
			t.Errorf("request %d: Authorization %q", i, r.Header.Get("Authorization"))
		}
		if i < len(headers) {
			for k, v := range headers[i] {
				w.Header().Set(k, v)
			}
		}
		status := statuses[min(i, len(statuses)-1)]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status/100 == 2 {
			_, _ = w.Write([]byte(`{}`))
			return
		}
		_, _ = w.Write([]byte(`{"error_code":"E` + http.StatusText(status)[:3] + `","message":"scripted"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	date := time.Now().Add(7 * time.Second).UTC().Format(http.TimeFormat)
	srv, n := scripted(t, []int{429, 503, 200}, map[string]string{"Retry-After": "3"}, map[string]string{"Retry-After": date})
	c, clk := testClient(t, srv.URL, nil)
	if _, err := c.List(context.Background(), "/x"); err != nil {
		t.Fatal(err)
	}
	waits := clk.waits()
	if n.Load() != 3 || len(waits) != 2 || waits[0] != 3*time.Second {
		t.Fatalf("%d requests, waits %v; want 3 requests and a first wait of 3s", n.Load(), waits)
	}
	// The HTTP date form, read against the real clock (one-second resolution).
	if waits[1] <= 5*time.Second || waits[1] > 7*time.Second {
		t.Errorf("Retry-After as a date 7s ahead gave a wait of %v", waits[1])
	}
}

func TestRetryBackoffIsBounded(t *testing.T) {
	srv, n := scripted(t, []int{503})
	c, clk := testClient(t, srv.URL, nil)
	_, err := c.List(context.Background(), "/x")
	var e *APIError
	if !errors.As(err, &e) || e.StatusCode != 503 || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("err = %v", err)
	}
	var total time.Duration
	for i, w := range clk.waits() {
		base := min(minBackoff<<i, maxBackoff)
		if w < base || w > base+base/4 {
			t.Errorf("wait %d = %v, want %v plus at most 25%%", i, w, base)
		}
		total += w
	}
	if total > RetryTimeout || int(n.Load()) != len(clk.waits())+1 || n.Load() < 4 {
		t.Errorf("%d requests, waited %v in all (budget %v)", n.Load(), total, RetryTimeout)
	}
}

// A wait longer than the budget or the caller's deadline is not taken: the
// call fails at once with the service's error.
func TestRetryGivesUpEarly(t *testing.T) {
	srv, n := scripted(t, []int{429}, map[string]string{"Retry-After": "60"})
	c, clk := testClient(t, srv.URL, nil)
	if _, err := c.List(context.Background(), "/x"); !IsTransient(err) || n.Load() != 1 || len(clk.waits()) != 0 {
		t.Errorf("Retry-After beyond the budget: %v after %d requests and waits %v", err, n.Load(), clk.waits())
	}

	srv, n = scripted(t, []int{503}, map[string]string{"Retry-After": "5"})
	c, clk = testClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.List(ctx, "/x")
	if !IsTransient(err) || n.Load() != 1 || len(clk.waits()) != 0 || time.Since(start) > time.Second {
		t.Errorf("Retry-After beyond the deadline: %v after %d requests, waits %v", err, n.Load(), clk.waits())
	}
}

func TestNoRetry(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409, 500, 502} {
		srv, n := scripted(t, []int{status})
		c, _ := testClient(t, srv.URL, nil)
		_, err := c.GetStatus(context.Background(), "/x")
		var e *APIError
		if !errors.As(err, &e) || e.StatusCode != status || e.ErrorCode == "" || e.Message != "scripted" || n.Load() != 1 {
			t.Errorf("status %d: %v after %d requests", status, err, n.Load())
		}
	}
	// A PAT refused is not retried either.
	srv, n := scripted(t, []int{401})
	c, _ := testClient(t, srv.URL, nil)
	if err := c.Mkdirs(context.Background(), "/x"); err == nil || n.Load() != 1 {
		t.Errorf("401 with a PAT: %v after %d requests", err, n.Load())
	}
}

// A connection that breaks mid-exchange is retried for a read only; one that
// cannot be opened is retried for any method (nothing was sent).
func TestRetryConnectionErrors(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := testClient(t, srv.URL, nil)
	if _, err := c.GetStatus(context.Background(), "/x"); err != nil || n.Load() != 2 {
		t.Errorf("GET after a broken connection: %v after %d requests", err, n.Load())
	}
	n.Store(0)
	if err := c.Import(context.Background(), "/x.yaml", []byte("x"), false); err == nil || !IsTransient(err) || n.Load() != 1 {
		t.Errorf("POST after a broken connection: %v after %d requests; a create-if-absent must not be repeated", err, n.Load())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, clk := testClient(t, "http://"+addr, nil)
	if err := c.Import(context.Background(), "/x.yaml", []byte("x"), false); !IsTransient(err) || len(clk.waits()) < 3 {
		t.Errorf("POST with nothing listening: %v after waits %v", err, clk.waits())
	}
}

// Each exchange is bounded by the HTTP timeout, whatever the caller's ctx.
func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c, _ := testClient(t, srv.URL, func(c *Config) { c.HTTPTimeout = 50 * time.Millisecond })
	err := c.Delete(context.Background(), "/x", false)
	if !errors.Is(err, context.DeadlineExceeded) || !IsTransient(err) {
		t.Errorf("Delete against a hung server: %v", err)
	}
}

func TestParseError(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		name, body, retryAfter string
		status                 int
		want                   string
		wantRetry              time.Duration
	}{
		{name: "databricks", status: 404, body: `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Path (/x) doesn't exist."}`,
			want: "404 RESOURCE_DOES_NOT_EXIST: Path (/x) doesn't exist."},
		{name: "oauth", status: 401, body: `{"error":"invalid_client","error_description":"Client authentication failed"}`,
			want: "401 invalid_client: Client authentication failed"},
		{name: "legacy error", status: 400, body: `{"error":"bad thing"}`, want: "400 Bad Request: bad thing"},
		{name: "scim detail", status: 403, body: `{"detail":"no access","status":"403"}`, want: "403 Forbidden: no access"},
		{name: "html from a proxy is not echoed", status: 502, body: `<html>upstream token=abc</html>`, want: "502 Bad Gateway: Bad Gateway"},
		{name: "retry-after seconds", status: 429, body: `{}`, retryAfter: "2", want: "429 Too Many Requests: Too Many Requests", wantRetry: 2 * time.Second},
		{name: "retry-after date", status: 503, body: `{"error_code":"TEMPORARILY_UNAVAILABLE"}`,
			retryAfter: now.Add(4 * time.Second).UTC().Format(http.TimeFormat), want: "503 TEMPORARILY_UNAVAILABLE", wantRetry: 4 * time.Second},
		{name: "retry-after garbage", status: 503, body: `{}`, retryAfter: "soon", want: "503 Service Unavailable: Service Unavailable"},
	} {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
		if tt.retryAfter != "" {
			resp.Header.Set("Retry-After", tt.retryAfter)
		}
		e := parseError(resp, []byte(tt.body), now)
		if e.Error() != tt.want || e.RetryAfter != tt.wantRetry {
			t.Errorf("%s: %q (retry after %v), want %q (%v)", tt.name, e.Error(), e.RetryAfter, tt.want, tt.wantRetry)
		}
	}
}
