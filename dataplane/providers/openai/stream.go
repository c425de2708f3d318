package openai

import (
	"bytes"
	"errors"
	"io"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
)

// stream relays an OpenAI SSE body chunk by chunk.
type stream struct {
	resp      *fasthttp.Response
	r         *sse.Reader
	hideUsage bool
	usage     providers.Usage
}

var _ providers.UsageReporter = (*stream)(nil)

func newStream(resp *fasthttp.Response, hideUsage bool) *stream {
	var body io.Reader = resp.BodyStream()
	if body == nil {
		body = bytes.NewReader(resp.Body())
	}
	return &stream{resp: resp, r: sse.NewDataReader(body), hideUsage: hideUsage}
}

var (
	errorKey = []byte(`"error"`)
	usageKey = []byte(`"usage"`)
)

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for {
		ev, err := s.r.Next()
		if err != nil {
			if errors.Is(err, sse.ErrTruncated) {
				return nil, &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated",
					Message: "upstream closed the stream before it finished"}
			}
			if err != io.EOF && isTimeout(err) {
				return nil, providers.TransportError("upstream", err, true)
			}
			return nil, err
		}
		data := ev.Data
		if bytes.Contains(data, errorKey) {
			if e := gjson.GetBytes(data, "error"); e.Exists() {
				return nil, UpstreamError(500, data)
			}
		}
		if bytes.Contains(data, usageKey) {
			if u, ok := providers.UsageFromOpenAI(data); ok {
				s.usage = u
				if s.hideUsage && len(gjson.GetBytes(data, "choices").Array()) == 0 {
					continue
				}
			}
		}
		return data, nil
	}
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.usage }

// Close implements providers.Stream.
func (s *stream) Close() error {
	if s.resp == nil {
		return nil
	}
	err := s.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(s.resp)
	s.resp = nil
	return err
}
