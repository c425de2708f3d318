package cohere

import (
	"bytes"
	"errors"
	"io"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// stream turns Cohere's v2 chat stream into OpenAI chunks. Cohere sends
// "event: <type>" + "data: {"type": <type>, ...}" pairs:
//
//	message-start    {"id", "delta":{"message":{"role":"assistant",...}}}  -> role chunk
//	content-start    {"index", "delta":{"message":{"content":{"type":"text","text":""}}}}
//	content-delta    {"index", "delta":{"message":{"content":{"text":"..."}}}} -> content
//	                 (reasoning models: "thinking" instead of "text" -> reasoning_content)
//	content-end, tool-call-end, citation-start, citation-end, debug: ignored
//	tool-plan-delta  {"delta":{"message":{"tool_plan":"..."}}}            -> reasoning_content
//	tool-call-start  {"index", "delta":{"message":{"tool_calls":{"id","type","function":{"name","arguments"}}}}}
//	tool-call-delta  {"index", "delta":{"message":{"tool_calls":{"function":{"arguments":"..."}}}}}
//	message-end      {"delta":{"finish_reason", "usage", "error"?}}       -> finish (+ usage) chunk
//
// The stream ends after message-end; whether Cohere then sends "data: [DONE]"
// is not documented (its Go SDK accepts it as a terminator), so both are
// accepted. EOF before message-end is a truncated stream. Events are read with
// gjson because message-start carries content and tool_calls as arrays and the
// later events as objects.
type stream struct {
	resp *fasthttp.Response
	r    *sse.Reader
	t    *translator

	id      string
	created int64
	started bool // the role chunk was sent
	done    bool // message-end was handled
	pending [][]byte

	calls map[int64]int // Cohere tool-call index -> OpenAI index
	last  int           // OpenAI index of the latest call
	usage providers.Usage
}

var (
	_ providers.Stream        = (*stream)(nil)
	_ providers.UsageReporter = (*stream)(nil)
)

func newStream(resp *fasthttp.Response, body io.Reader, t *translator) *stream {
	return &stream{resp: resp, r: sse.NewReader(body, nil), t: t, created: t.now().Unix(), calls: map[int64]int{}, last: -1}
}

var done = []byte("[DONE]")

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for {
		if len(s.pending) > 0 {
			p := s.pending[0]
			s.pending = s.pending[1:]
			return p, nil
		}
		if s.done {
			return nil, io.EOF
		}
		ev, err := s.r.Next()
		if err != nil {
			return nil, s.readError(err)
		}
		data := bytes.TrimSpace(ev.Data)
		if bytes.Equal(data, done) {
			return nil, truncated()
		}
		if err := s.event(ev.Name, data); err != nil {
			return nil, err
		}
	}
}

func truncated() error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated",
		Message: "cohere closed the stream before it finished"}
}

func (s *stream) readError(err error) error {
	if err == io.EOF || errors.Is(err, sse.ErrTruncated) {
		return truncated()
	}
	if upstream.IsTimeout(err) {
		return providers.TransportError(ID, err, true)
	}
	return err
}

// event handles one Cohere event, queueing the chunks it produces.
func (s *stream) event(name, data []byte) error {
	ev := gjson.ParseBytes(data)
	typ := ev.Get("type").String()
	if typ == "" {
		typ = string(name)
	}
	msg := ev.Get("delta.message")
	switch typ {
	case "message-start":
		s.id = ev.Get("id").String()
		s.start()
	case "content-start", "content-delta":
		c := msg.Get("content")
		if t := c.Get("text").String(); t != "" {
			s.emit(unified.Delta{Content: &t}, nil)
		}
		if t := c.Get("thinking").String(); t != "" {
			s.emit(unified.Delta{ReasoningContent: &t}, nil)
		}
	case "tool-plan-delta":
		if t := msg.Get("tool_plan").String(); t != "" {
			s.emit(unified.Delta{ReasoningContent: &t}, nil)
		}
	case "tool-call-start":
		tc := msg.Get("tool_calls")
		if tc.IsArray() {
			tc = tc.Get("0")
		}
		i := len(s.calls)
		s.calls[ev.Get("index").Int()] = i
		s.last = i
		// The first fragment carries id, type, name and "" arguments, as OpenAI's does.
		s.emit(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(i), ID: tc.Get("id").String(), Type: "function",
			Function: unified.FunctionCall{Name: tc.Get("function.name").String()}}}}, nil)
		s.arguments(i, tc.Get("function.arguments").String())
	case "tool-call-delta":
		i, ok := s.calls[ev.Get("index").Int()]
		if !ok {
			i = s.last
		}
		if i >= 0 {
			s.arguments(i, msg.Get("tool_calls.function.arguments").String())
		}
	case "message-end":
		return s.end(ev.Get("delta"))
	case "":
		// Not an event: an error body written into the stream.
		if m := ev.Get("message"); m.Type == gjson.String {
			return &providers.Error{Status: 502, Type: "api_error", Code: "upstream_error", Message: m.Str}
		}
	}
	return nil
}

// arguments queues an argument fragment for tool call i.
func (s *stream) arguments(i int, frag string) {
	if frag == "" {
		return
	}
	s.emit(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(i), Function: unified.FunctionCall{Arguments: frag}}}}, nil)
}

// end handles message-end: the finish chunk and, when asked, the usage chunk.
func (s *stream) end(delta gjson.Result) error {
	var u usage
	if raw := delta.Get("usage"); raw.IsObject() {
		if b := raw.Get("billed_units"); b.IsObject() {
			u.BilledUnits = &tokenCounts{InputTokens: b.Get("input_tokens").Float(), OutputTokens: b.Get("output_tokens").Float()}
		}
		if b := raw.Get("tokens"); b.IsObject() {
			u.Tokens = &tokenCounts{InputTokens: b.Get("input_tokens").Float(), OutputTokens: b.Get("output_tokens").Float()}
		}
		u.CachedTokens = raw.Get("cached_tokens").Float()
	}
	usage := toUsage(&u)
	s.usage = metricsUsage(usage)
	reason := delta.Get("finish_reason").String()
	finish, ok := finishReason(reason)
	if detail := delta.Get("error").String(); !ok || detail != "" {
		if ok {
			reason = "ERROR"
		}
		return generationError(reason, detail)
	}
	if len(s.calls) > 0 && finish == unified.FinishStop {
		finish = unified.FinishToolCalls
	}
	s.emit(unified.Delta{}, &finish)
	if s.t.includeUsage {
		b, _ := jsonenc.Marshal(unified.Chunk{ID: chatID(s.id), Object: "chat.completion.chunk", Created: s.created, Model: s.t.model,
			Choices: []unified.ChunkChoice{}, Usage: &usage})
		s.pending = append(s.pending, b)
	}
	s.done = true
	return nil
}

// start queues the role chunk once.
func (s *stream) start() {
	if s.started {
		return
	}
	s.started = true
	s.queue(unified.Delta{Role: unified.RoleAssistant, Content: unified.Ptr("")}, nil)
}

// emit queues a chunk, after the role chunk.
func (s *stream) emit(d unified.Delta, finish *string) {
	s.start()
	s.queue(d, finish)
}

func (s *stream) queue(d unified.Delta, finish *string) {
	b, _ := jsonenc.Marshal(unified.Chunk{ID: chatID(s.id), Object: "chat.completion.chunk", Created: s.created, Model: s.t.model,
		Choices: []unified.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}})
	s.pending = append(s.pending, b)
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.usage }

// Close implements providers.Stream.
func (s *stream) Close() error {
	return upstream.CloseStream(&s.resp)
}
