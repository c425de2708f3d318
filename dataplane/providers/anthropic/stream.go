package anthropic

import (
	"errors"
	"io"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Block kinds, by Anthropic content block index.
const (
	kindOther = iota
	kindText
	kindThinking
	kindTool
	kindStructured // the response_format tool: its JSON is streamed as content
)

type blockState struct {
	kind int
	tool int // OpenAI tool_calls index, for kindTool
}

// streamTranslator turns Anthropic stream events into OpenAI chunk payloads.
// It is created per request and is not safe for concurrent use.
type streamTranslator struct {
	info         requestInfo
	model        string
	created      int64
	includeUsage bool

	id         string
	started    bool
	done       bool
	blocks     map[int]blockState
	nextTool   int
	stopReason string
	usage      usage
	out        [][]byte
}

func newStreamTranslator(info requestInfo, model string, created int64, includeUsage bool) *streamTranslator {
	return &streamTranslator{info: info, model: model, created: created, includeUsage: includeUsage,
		blocks: map[int]blockState{}}
}

// handle consumes one event; the payloads it produces are queued in t.out.
func (t *streamTranslator) handle(name, data []byte) error {
	var ev streamEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return invalidResponse("a stream event that is not valid JSON")
	}
	typ := ev.Type
	if typ == "" {
		typ = string(name)
	}
	switch typ {
	case evMessageStart:
		if m := ev.Message; m != nil {
			t.id = m.ID
			if m.Model != "" {
				t.model = m.Model
			}
			t.usage = m.Usage
		}
		t.start()
	case evContentBlockStart:
		t.blockStart(ev.Index, ev.ContentBlock)
	case evContentBlockDelta:
		t.blockDelta(ev.Index, ev.Delta)
	case evMessageDelta:
		if ev.Delta != nil && ev.Delta.StopReason != "" {
			t.stopReason = ev.Delta.StopReason
		}
		if u := ev.Usage; u != nil {
			// output_tokens is cumulative; newer API versions may repeat the
			// input counts here, which then supersede message_start's.
			t.usage.OutputTokens = u.OutputTokens
			if u.InputTokens > 0 {
				t.usage.InputTokens = u.InputTokens
			}
			if u.CacheReadInputTokens > 0 {
				t.usage.CacheReadInputTokens = u.CacheReadInputTokens
			}
			if u.CacheCreationInputTokens > 0 {
				t.usage.CacheCreationInputTokens = u.CacheCreationInputTokens
			}
		}
	case evMessageStop:
		t.finish()
	case evError:
		return streamError(ev.Error)
	}
	// content_block_stop, ping and unknown events produce nothing.
	return nil
}

func (t *streamTranslator) blockStart(index int, cb *contentBlock) {
	if cb == nil {
		return
	}
	switch cb.Type {
	case blockText:
		t.blocks[index] = blockState{kind: kindText}
		if cb.Text != "" {
			t.emit(unified.Delta{Content: unified.Ptr(cb.Text)})
		}
	case blockThinking:
		t.blocks[index] = blockState{kind: kindThinking}
		if cb.Thinking != "" {
			t.emit(unified.Delta{ReasoningContent: unified.Ptr(cb.Thinking)})
		}
	case blockToolUse:
		if t.info.jsonMode && cb.Name == JSONToolName {
			t.blocks[index] = blockState{kind: kindStructured}
			return
		}
		// OpenAI numbers tool calls 0, 1, ...; Anthropic's block index also
		// counts text and thinking blocks, so it cannot be used.
		n := t.nextTool
		t.nextTool++
		t.blocks[index] = blockState{kind: kindTool, tool: n}
		t.emit(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(n), ID: cb.ID, Type: "function",
			Function: unified.FunctionCall{Name: cb.Name, Arguments: ""}}}})
	default:
		t.blocks[index] = blockState{kind: kindOther}
	}
}

func (t *streamTranslator) blockDelta(index int, d *streamDelta) {
	if d == nil {
		return
	}
	b := t.blocks[index]
	switch d.Type {
	case deltaText:
		if d.Text != "" {
			t.emit(unified.Delta{Content: unified.Ptr(d.Text)})
		}
	case deltaThinking:
		if d.Thinking != "" {
			t.emit(unified.Delta{ReasoningContent: unified.Ptr(d.Thinking)})
		}
	case deltaInputJSON:
		if d.PartialJSON == "" {
			return
		}
		switch b.kind {
		case kindTool:
			t.emit(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(b.tool),
				Function: unified.FunctionCall{Arguments: d.PartialJSON}}}})
		case kindStructured:
			t.emit(unified.Delta{Content: unified.Ptr(d.PartialJSON)})
		}
	}
	// signature_delta and citations_delta have no OpenAI counterpart.
}

// start queues the first chunk, which carries the role, once.
func (t *streamTranslator) start() {
	if t.started {
		return
	}
	t.started = true
	t.push(unified.Delta{Role: unified.RoleAssistant, Content: unified.Ptr("")}, nil)
}

func (t *streamTranslator) emit(d unified.Delta) {
	t.start()
	t.push(d, nil)
}

// finish queues the finish_reason chunk and, when asked for, the usage chunk.
func (t *streamTranslator) finish() {
	if t.done {
		return
	}
	t.start()
	t.done = true
	reason := finishReason(t.stopReason)
	if reason == unified.FinishToolCalls && t.nextTool == 0 {
		reason = unified.FinishStop // only the structured-output tool was called
	}
	t.push(unified.Delta{}, &reason)
	if t.includeUsage {
		t.queue(unified.Chunk{ID: chunkID(t.id), Object: "chat.completion.chunk", Created: t.created, Model: t.model,
			Choices: []unified.ChunkChoice{}, Usage: openAIUsage(t.usage)})
	}
}

func (t *streamTranslator) push(d unified.Delta, finish *string) {
	t.queue(unified.Chunk{ID: chunkID(t.id), Object: "chat.completion.chunk", Created: t.created, Model: t.model,
		Choices: []unified.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}})
}

func (t *streamTranslator) queue(c unified.Chunk) {
	b, err := json.Marshal(c)
	if err != nil {
		return // cannot happen: every field is a plain value
	}
	t.out = append(t.out, b)
}

// stream is a providers.Stream over an Anthropic SSE body.
type stream struct {
	resp *fasthttp.Response // nil when reading from a plain reader (tests)
	r    *sse.Reader
	t    *streamTranslator
	err  error
}

var (
	_ providers.Stream        = (*stream)(nil)
	_ providers.UsageReporter = (*stream)(nil)
)

func newStream(body io.Reader, resp *fasthttp.Response, t *streamTranslator) *stream {
	// Anthropic streams have no terminal data marker: message_stop is the end,
	// and an EOF before it is a truncation (checked in Next).
	return &stream{resp: resp, r: sse.NewReader(body, nil), t: t}
}

// errTruncated is a stream that ended before message_stop.
func errTruncated() *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated", Retryable: true,
		Message: "anthropic closed the stream before it finished"}
}

var errClosed = &providers.Error{Status: 499, Type: "api_error", Code: "stream_closed", Message: "the stream was closed"}

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for len(s.t.out) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		if s.t.done {
			return nil, io.EOF
		}
		ev, err := s.r.Next()
		switch {
		case err == nil:
			s.err = s.t.handle(ev.Name, ev.Data)
		case errors.Is(err, io.EOF) || errors.Is(err, sse.ErrTruncated) || errors.Is(err, io.ErrUnexpectedEOF):
			s.err = errTruncated()
		case upstream.IsTimeout(err):
			s.err = providers.TransportError(Info.ID, err, true)
		default:
			s.err = &providers.Error{Status: 502, Type: "api_error", Code: "stream_error", Retryable: true,
				Message: "reading the anthropic stream: " + err.Error()}
		}
	}
	p := s.t.out[0]
	s.t.out[0] = nil
	s.t.out = s.t.out[1:]
	return p, nil
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return gatewayUsage(s.t.usage) }

// Close implements providers.Stream.
func (s *stream) Close() error {
	if s.r != nil {
		if s.t.done && s.err == nil && s.resp != nil {
			// Only the chunked terminator should be left after message_stop;
			// reading it lets fasthttp reuse the connection.
			s.r.Drain(4 << 10)
		}
		s.r.Release()
		s.r = nil
	}
	if s.err == nil && !s.t.done {
		s.err = errClosed // Next must not touch the released reader
	}
	return upstream.CloseStream(&s.resp)
}
