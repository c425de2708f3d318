// Package client is a Go client of gatewayd's management API (under
// /api/v1alpha1) and of the inference routes gatewayctl uses (chat). It is
// what gatewayctl is built on; it holds no CLI concerns (flags, output,
// exit codes).
//
// Authentication goes through a TokenSource, so the static bearer token of
// today (GATEWAY_TOKEN) and a Databricks OAuth token (a profile or OAuth M2M
// through databricks-sdk-go's unified auth, arriving with the Databricks work)
// plug in the same way.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultServer is where gatewayd listens by default.
const DefaultServer = "http://127.0.0.1:8000"

// TokenSource supplies the bearer token sent with each request. It is the
// seam for other kinds of credentials: a Databricks OAuth source would wrap
// the SDK's token source (refreshing as needed) behind this interface.
type TokenSource interface {
	// Token returns the token to send as "Authorization: Bearer <token>", or
	// "" to send no Authorization header.
	Token(ctx context.Context) (string, error)
}

// StaticToken is a fixed bearer token, for example $GATEWAY_TOKEN.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Options configure a Client.
type Options struct {
	// Server is the gateway's base URL, e.g. http://127.0.0.1:8000; a path
	// prefix is kept (for a gateway behind a proxy).
	Server string
	// Tokens supplies the bearer token; nil sends none.
	Tokens TokenSource
	// HTTPClient sends requests; nil means a client with no overall timeout
	// (chat streams can be long; callers cancel through the context).
	HTTPClient *http.Client
	// UserAgent is sent with each request.
	UserAgent string
}

// Client talks to one gatewayd.
type Client struct {
	base   *url.URL
	tokens TokenSource
	http   *http.Client
	ua     string
}

// New validates the server URL and returns a client.
func New(opts Options) (*Client, error) {
	server := opts.Server
	if server == "" {
		server = DefaultServer
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL such as %s", server, DefaultServer)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server %q: must not have a query or fragment", server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return &Client{base: u, tokens: opts.Tokens, http: hc, ua: opts.UserAgent}, nil
}

// Server returns the base URL requests go to.
func (c *Client) Server() string { return c.base.String() }

// APIError is an error answer from the gateway: the management API's
// {"error":{"message","type","code","details"}} or the data plane's OpenAI
// error body.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	Message    string
	Type       string
	Code       string
	// Details are extra lines (one per invalid document, for instance).
	Details []string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return msg
}

// IsNotFound reports whether err is a 404 from the gateway.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// IsUnauthorized reports whether err is a 401 or 403 from the gateway.
func IsUnauthorized(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden)
}

// ConnectError means the gateway could not be reached at all.
type ConnectError struct {
	Server string
	Err    error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot reach the gateway at %s: %v", e.Server, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// errorBody is the error shape shared by the management API and the OpenAI
// dialect of the data plane; code is a string in one and may be null or a
// number in the other.
type errorBody struct {
	Error *struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Details []string        `json:"details"`
	} `json:"error"`
}

// parseError builds an APIError from an error response body.
func parseError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Message, e.Type, e.Details = eb.Error.Message, eb.Error.Type, eb.Error.Details
		var s string
		if json.Unmarshal(eb.Error.Code, &s) == nil {
			e.Code = s
		} else if c := string(eb.Error.Code); c != "null" {
			e.Code = c
		}
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 300 {
		text = text[:300] + "..."
	}
	if text == "" {
		text = http.StatusText(status)
	}
	e.Message = fmt.Sprintf("HTTP %d: %s", status, text)
	return e
}

// request builds a request to path (with query) under the base URL.
func (c *Client) request(ctx context.Context, method, path string, query url.Values, body []byte, contentType string) (*http.Request, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if c.tokens != nil {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("get a token for the gateway: %w", err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	return req, nil
}

// send sends a request; an error status becomes an *APIError. The caller
// closes the body of a successful response.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &ConnectError{Server: c.Server(), Err: unwrapURLError(err)}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, parseError(resp.StatusCode, body)
	}
	return resp, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// do sends a request and returns the whole response body.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, contentType string) ([]byte, error) {
	req, err := c.request(ctx, method, path, query, body, contentType)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read the gateway's answer: %w", err)
	}
	return data, nil
}

// doJSON sends a request and decodes the JSON answer into out.
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, body []byte, contentType string, out any) error {
	data, err := c.do(ctx, method, path, query, body, contentType)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the gateway's answer to %s %s: %w", method, path, err)
	}
	return nil
}
