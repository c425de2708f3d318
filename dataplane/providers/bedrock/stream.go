package bedrock

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Event-stream framing limits: a frame is a 12-byte prelude, headers, the
// payload and a 4-byte CRC. AWS caps payloads at 16 MiB and headers at
// 128 KiB; a prelude claiming more is corrupt, not a reason to allocate.
const (
	preludeLen  = 12
	minFrameLen = preludeLen + 4
	maxFrameLen = 16<<20 + 128<<10 + minFrameLen
)

// stream translates a ConverseStream event stream into OpenAI chunks.
//
// Bedrock sends messageStart, then per content block contentBlockStart (tool
// blocks only), contentBlockDelta... and contentBlockStop, then messageStop
// with the stop reason, and last metadata with the usage. The finish chunk
// goes out at messageStop; the usage chunk (only when the client asked for
// it) after metadata, which ends the stream.
type stream struct {
	body   *bufio.Reader
	closer func() error
	dec    *eventstream.Decoder
	frame  bytes.Buffer
	buf    []byte

	m            meta
	includeUsage bool

	pending    [][]byte
	started    bool
	stopped    bool
	done       bool
	toolIndex  map[int]int  // content block index -> OpenAI tool call index
	jsonBlocks map[int]bool // content blocks that carry the response tool
	tools      int
	final      *unified.Usage // from metadata
	usage      providers.Usage
}

var _ providers.UsageReporter = (*stream)(nil)

func newStream(body io.Reader, closer func() error, m meta, includeUsage bool) *stream {
	return &stream{body: bufio.NewReaderSize(body, 16<<10), closer: closer, dec: eventstream.NewDecoder(), m: m,
		includeUsage: includeUsage, toolIndex: map[int]int{}, jsonBlocks: map[int]bool{}}
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.usage }

// Close implements providers.Stream.
func (s *stream) Close() error {
	if s.closer == nil {
		return nil
	}
	err := s.closer()
	s.closer = nil
	return err
}

func truncated(detail string) *providers.Error {
	return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated", Retryable: true,
		Message: "Bedrock closed the stream before it finished" + detail}
}

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for {
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			return c, nil
		}
		if s.done {
			return nil, io.EOF
		}
		msg, err := s.readMessage()
		if err != nil {
			if err == io.EOF && s.stopped {
				// metadata never came; the answer itself is complete.
				s.done = true
				continue
			}
			return nil, s.readError(err)
		}
		if err := s.handle(msg); err != nil {
			s.done = true
			return nil, err
		}
	}
}

func (s *stream) readError(err error) error {
	switch {
	case err == io.EOF:
		return truncated("")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return truncated(" (in the middle of an event)")
	case upstream.IsTimeout(err):
		return providers.TransportError("bedrock", err, true)
	}
	var pe *providers.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &providers.Error{Status: 502, Type: "api_error", Code: "bad_event_stream", Message: "Bedrock sent a malformed event stream: " + err.Error()}
}

// readMessage reads one whole frame, checking its declared lengths before
// buffering it, then lets the SDK decoder verify both CRCs and parse it.
func (s *stream) readMessage() (eventstream.Message, error) {
	var prelude [preludeLen]byte
	if _, err := io.ReadFull(s.body, prelude[:]); err != nil {
		return eventstream.Message{}, err
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headers := binary.BigEndian.Uint32(prelude[4:8])
	if total < minFrameLen || total > maxFrameLen || headers > total-minFrameLen {
		return eventstream.Message{}, &providers.Error{Status: 502, Type: "api_error", Code: "bad_event_stream",
			Message: "Bedrock sent a malformed event stream: bad frame length"}
	}
	s.frame.Reset()
	s.frame.Write(prelude[:])
	if n, err := io.CopyN(&s.frame, s.body, int64(total)-preludeLen); err != nil {
		if err == io.EOF && n < int64(total)-preludeLen {
			err = io.ErrUnexpectedEOF
		}
		return eventstream.Message{}, err
	}
	msg, err := s.dec.Decode(bytes.NewReader(s.frame.Bytes()), s.buf)
	if err != nil {
		return eventstream.Message{}, &providers.Error{Status: 502, Type: "api_error", Code: "bad_event_stream",
			Message: "Bedrock sent a malformed event stream: " + err.Error()}
	}
	s.buf = msg.Payload[:0]
	return msg, nil
}

func header(msg eventstream.Message, name string) string {
	if v := msg.Headers.Get(name); v != nil {
		if sv, ok := v.(eventstream.StringValue); ok {
			return string(sv)
		}
	}
	return ""
}

func (s *stream) handle(msg eventstream.Message) error {
	switch header(msg, ":message-type") {
	case "exception":
		return exceptionError(header(msg, ":exception-type"), msg.Payload)
	case "error":
		return streamError(header(msg, ":error-code"), header(msg, ":error-message"))
	case "event":
	default:
		return nil
	}
	if s.stopped && header(msg, ":event-type") != "metadata" {
		return nil
	}
	switch header(msg, ":event-type") {
	case "messageStart":
		s.start()
	case "contentBlockStart":
		var ev contentBlockStartEvent
		if json.Unmarshal(msg.Payload, &ev) != nil || ev.Start.ToolUse == nil {
			return nil
		}
		s.start()
		if s.m.Plan.jsonTool && ev.Start.ToolUse.Name == responseToolName {
			s.jsonBlocks[ev.ContentBlockIndex] = true
			return nil
		}
		idx := s.tools
		s.tools++
		s.toolIndex[ev.ContentBlockIndex] = idx
		s.push(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(idx), ID: ev.Start.ToolUse.ToolUseID,
			Type: "function", Function: unified.FunctionCall{Name: ev.Start.ToolUse.Name}}}}, nil)
	case "contentBlockDelta":
		var ev contentBlockDeltaEvent
		if json.Unmarshal(msg.Payload, &ev) != nil {
			return nil
		}
		s.delta(&ev)
	case "messageStop":
		var ev messageStopEvent
		_ = json.Unmarshal(msg.Payload, &ev)
		s.start()
		finish := finishReason(ev.StopReason)
		if finish == unified.FinishToolCalls && s.tools == 0 {
			finish = unified.FinishStop // only the response tool was called
		}
		s.push(unified.Delta{}, &finish)
		s.stopped = true
		s.finish()
	case "metadata":
		var ev metadataEvent
		if json.Unmarshal(msg.Payload, &ev) != nil || ev.Usage == nil {
			return nil
		}
		s.final = convertUsage(ev.Usage)
		s.usage = metricsUsage(s.final)
		s.finish()
	}
	return nil
}

// finish ends the stream once both messageStop and the usage have arrived
// (Bedrock sends metadata last, but the order is not relied on).
func (s *stream) finish() {
	if !s.stopped || s.final == nil {
		return
	}
	if s.includeUsage {
		s.pushUsage(s.final)
	}
	s.done = true
}

func (s *stream) delta(ev *contentBlockDeltaEvent) {
	d := &ev.Delta
	switch {
	case d.Text != nil && *d.Text != "":
		s.start()
		s.push(unified.Delta{Content: d.Text}, nil)
	case d.ToolUse != nil && d.ToolUse.Input != "":
		s.start()
		if s.jsonBlocks[ev.ContentBlockIndex] {
			s.push(unified.Delta{Content: unified.Ptr(d.ToolUse.Input)}, nil)
			return
		}
		idx, ok := s.toolIndex[ev.ContentBlockIndex]
		if !ok {
			return // a fragment for a block that never started
		}
		s.push(unified.Delta{ToolCalls: []unified.ToolCall{{Index: unified.Ptr(idx),
			Function: unified.FunctionCall{Arguments: d.ToolUse.Input}}}}, nil)
	case d.ReasoningContent != nil && d.ReasoningContent.Text != nil && *d.ReasoningContent.Text != "":
		s.start()
		s.push(unified.Delta{ReasoningContent: d.ReasoningContent.Text}, nil)
	}
}

// start emits the role chunk once, before anything else.
func (s *stream) start() {
	if s.started {
		return
	}
	s.started = true
	s.push(unified.Delta{Role: unified.RoleAssistant, Content: unified.Ptr("")}, nil)
}

func (s *stream) push(d unified.Delta, finish *string) {
	c := unified.Chunk{ID: s.m.ID, Object: "chat.completion.chunk", Created: s.m.Created, Model: s.m.Model,
		Choices: []unified.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}}
	b, _ := json.Marshal(c)
	s.pending = append(s.pending, b)
}

func (s *stream) pushUsage(u *unified.Usage) {
	c := unified.Chunk{ID: s.m.ID, Object: "chat.completion.chunk", Created: s.m.Created, Model: s.m.Model,
		Choices: []unified.ChunkChoice{}, Usage: u}
	b, _ := json.Marshal(c)
	s.pending = append(s.pending, b)
}
