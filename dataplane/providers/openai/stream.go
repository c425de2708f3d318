package openai

import (
	"bytes"
	"cmp"
	"errors"
	"io"

	"github.com/segmentio/encoding/json"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/sse"
)

// stream relays an OpenAI SSE body chunk by chunk.
type stream struct {
	resp      *fasthttp.Response
	r         *sse.Reader
	hideUsage bool
	usage     providers.Usage

	// synthUsage is set when the client asked for the usage chunk but the
	// upstream cannot be asked for one (Quirks.NoStreamOptions): the last
	// usage seen on any chunk is then sent as a "choices":[] chunk at the end,
	// unless the upstream sent such a chunk itself.
	synthUsage  bool
	sentUsage   bool
	lastUsage   []byte
	lastID      string
	lastModel   string
	lastObject  string
	lastCreated int64
	ended       bool
	clean       bool // [DONE] was seen: only the chunked terminator is left
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
	if s.ended {
		return nil, io.EOF
	}
	for {
		ev, err := s.r.Next()
		if err == io.EOF {
			s.clean = true
		}
		if err == io.EOF && s.synthUsage && !s.sentUsage && s.lastUsage != nil {
			s.ended = true
			return s.usageChunk()
		}
		if err != nil {
			if errors.Is(err, sse.ErrTruncated) {
				return nil, &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated",
					Message: "upstream closed the stream before it finished"}
			}
			if err != io.EOF && upstream.IsTimeout(err) {
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
		if hasUsageObject(data) {
			if u, ok := providers.UsageFromOpenAI(data); ok {
				s.usage = u
				noChoices := len(gjson.GetBytes(data, "choices").Array()) == 0
				if s.hideUsage && noChoices {
					continue
				}
				if s.synthUsage {
					s.remember(data, noChoices)
				}
			}
		}
		return data, nil
	}
}

// remember keeps what a synthesised usage chunk needs; data is only valid
// until the next read, so the pieces are copied.
func (s *stream) remember(data []byte, usageChunk bool) {
	if usageChunk {
		s.sentUsage = true
		return
	}
	r := gjson.ParseBytes(data)
	s.lastUsage = append(s.lastUsage[:0], r.Get("usage").Raw...)
	s.lastID = r.Get("id").String()
	s.lastModel = r.Get("model").String()
	s.lastObject = r.Get("object").String()
	s.lastCreated = r.Get("created").Int()
}

// usageChunk builds OpenAI's final usage chunk from the remembered usage.
func (s *stream) usageChunk() ([]byte, error) {
	b, err := json.Marshal(struct {
		ID      string          `json:"id"`
		Object  string          `json:"object"`
		Created int64           `json:"created"`
		Model   string          `json:"model"`
		Choices []struct{}      `json:"choices"`
		Usage   json.RawMessage `json:"usage"`
	}{s.lastID, cmp.Or(s.lastObject, "chat.completion.chunk"), s.lastCreated, s.lastModel, []struct{}{}, s.lastUsage})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.usage }

// Close implements providers.Stream.
func (s *stream) Close() error {
	if s.resp == nil {
		return nil
	}
	if s.clean {
		// Only the chunked terminator should be left; reading it lets
		// fasthttp put the connection back in the pool instead of closing it.
		s.r.Drain(4 << 10)
	}
	s.r.Release()
	return upstream.CloseStream(&s.resp)
}

// hasUsageObject reports whether a chunk carries a usage object, without
// parsing it: OpenAI sends "usage":null on every other chunk, and parsing
// each of those would cost more than relaying it.
func hasUsageObject(data []byte) bool {
	for {
		i := bytes.Index(data, usageKey)
		if i < 0 {
			return false
		}
		data = data[i+len(usageKey):]
		j := 0
		for j < len(data) && (data[j] == ' ' || data[j] == ':' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
			j++
		}
		if j < len(data) && data[j] == '{' {
			return true
		}
	}
}
