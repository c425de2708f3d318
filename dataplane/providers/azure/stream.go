package azure

import (
	"bytes"
	"errors"
	"io"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/sse"
)

// stream relays Azure's OpenAI-shaped SSE body, dropping what OpenAI clients
// do not expect: Azure's first chunk is often
//
//	{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[...]}
//
// and a chunk with no choices is, for OpenAI clients, the usage chunk: the
// OpenAI SDKs' accumulators read such a chunk's usage (null here) and some
// index choices[0] of every chunk. Chunks with empty choices that carry no
// usage object are therefore dropped, and so are chunks whose choices carry
// nothing but filter annotations; content_filter_results on chunks with
// content and the content_filter finish reason pass through unchanged.
type stream struct {
	resp      *fasthttp.Response
	r         *sse.Reader
	hideUsage bool
	usage     providers.Usage
}

var (
	_ providers.Stream        = (*stream)(nil)
	_ providers.UsageReporter = (*stream)(nil)
)

func newStream(resp *fasthttp.Response, hideUsage bool) *stream {
	var body io.Reader = resp.BodyStream()
	if body == nil {
		body = bytes.NewReader(resp.Body())
	}
	return &stream{resp: resp, r: sse.NewDataReader(body), hideUsage: hideUsage}
}

var errorKey = []byte(`"error"`)

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for {
		ev, err := s.r.Next()
		if err != nil {
			return nil, streamError(err)
		}
		if keep, err := s.filter(ev.Data); err != nil || keep {
			return ev.Data, err
		}
	}
}

// filter decides whether a chunk goes to the client, records usage, and turns
// an error event into an error.
func (s *stream) filter(data []byte) (bool, error) {
	if bytes.Contains(data, errorKey) {
		if e := gjson.GetBytes(data, "error"); e.Exists() {
			return false, upstreamError(500, data, "", "")
		}
	}
	usage := gjson.GetBytes(data, "usage")
	if usage.IsObject() {
		if u, ok := providers.UsageFromOpenAI(data); ok {
			s.usage = u
		}
	}
	choices := gjson.GetBytes(data, "choices")
	if choices.Get("0").Exists() {
		return usage.IsObject() || !annotationOnly(choices), nil
	}
	// No choices: the usage chunk, or an annotation-only chunk to drop.
	return usage.IsObject() && !s.hideUsage, nil
}

// annotationOnly reports whether every choice has an empty delta and no
// finish reason: Azure's asynchronous content filter sends such chunks (with
// content_filter_offsets) even after the finish chunk, where an OpenAI client
// expects nothing more for that choice.
func annotationOnly(choices gjson.Result) bool {
	only := true
	choices.ForEach(func(_, c gjson.Result) bool {
		d := c.Get("delta")
		empty := !d.Exists() || d.Type == gjson.Null || (d.IsObject() && len(d.Map()) == 0)
		if !empty || (c.Get("finish_reason").Exists() && c.Get("finish_reason").Type != gjson.Null) {
			only = false
		}
		return only
	})
	return only
}

func streamError(err error) error {
	if errors.Is(err, sse.ErrTruncated) {
		return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated",
			Message: "upstream closed the stream before it finished"}
	}
	if err != io.EOF && upstream.IsTimeout(err) {
		return providers.TransportError(ID, err, true)
	}
	return err
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.usage }

// Close implements providers.Stream.
func (s *stream) Close() error {
	return upstream.CloseStream(&s.resp)
}
