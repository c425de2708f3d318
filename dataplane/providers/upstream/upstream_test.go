package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
)

func TestIsTimeout(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fasthttp.ErrTimeout, true},
		{fasthttp.ErrDialTimeout, true},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), true},
		{context.DeadlineExceeded, true}, // a net.Error whose Timeout() is true
		{io.ErrUnexpectedEOF, false},
		{errors.New("connection refused"), false},
	} {
		if got := IsTimeout(tt.err); got != tt.want {
			t.Errorf("IsTimeout(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestHeaderAnyCase(t *testing.T) {
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	resp.Header.DisableNormalizing()
	resp.Header.Set("x-amzn-RequestId", "req-1")
	resp.Header.Set("retry-after", "7")
	for name, want := range map[string]string{"X-Amzn-Requestid": "req-1", "Retry-After": "7", "retry-after": "7", "Missing": ""} {
		if got := Header(resp, name); got != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestReadAllAndCloseStream(t *testing.T) {
	resp := fasthttp.AcquireResponse()
	resp.SetBodyStream(strings.NewReader("streamed body"), -1)
	if got := string(ReadAll(resp)); got != "streamed body" {
		t.Fatalf("ReadAll = %q", got)
	}
	resp.SetBodyString("plain body")
	if got := string(ReadAll(resp)); got != "plain body" {
		t.Fatalf("ReadAll = %q", got)
	}
	if err := CloseStream(&resp); err != nil || resp != nil {
		t.Fatalf("CloseStream: %v, resp %v", err, resp)
	}
	if err := CloseStream(&resp); err != nil {
		t.Fatalf("second CloseStream: %v", err)
	}
}

func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = io.WriteString(w, "answer")
	}))
	defer srv.Close()
	c := &fasthttp.Client{}
	send := func(path string, fail func(int, *fasthttp.Response) *providers.Error) (*fasthttp.Response, error) {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI(srv.URL + path)
		return Do(t.Context(), c, req, "test", fail)
	}

	resp, err := send("/ok", nil)
	if err != nil || string(resp.Body()) != "answer" {
		t.Fatalf("2xx: %v", err)
	}
	fasthttp.ReleaseResponse(resp)

	_, err = send("/fail", func(status int, resp *fasthttp.Response) *providers.Error {
		return &providers.Error{Status: status, Message: string(ReadAll(resp)), RetryAfter: Header(resp, "retry-after")}
	})
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 503 || pe.Message != "answer" || pe.RetryAfter != "3" {
		t.Fatalf("5xx: %#v", err)
	}

	_, err = send("/fail", func(int, *fasthttp.Response) *providers.Error { return nil })
	if !errors.As(err, &pe) || pe == nil || pe.Status != 502 || !pe.Retryable {
		t.Fatalf("an error answer fail does not describe: %#v", err)
	}

	srv.Close()
	if _, err = send("/ok", nil); !errors.As(err, &pe) || pe.Status < 500 {
		t.Fatalf("transport failure: %#v", err)
	}
}
