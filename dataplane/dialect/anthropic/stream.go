package anthropic

import (
	"bufio"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// NewStream implements dialect.Ingress.
func (in *Ingress) NewStream(req *dialect.Request) dialect.StreamEncoder {
	st := stateOf(req)
	return &stream{in: in, model: st.Model, thinking: st.Thinking, open: -1, tools: map[int]*toolBlock{}}
}

// Block kinds.
const (
	kindText = iota + 1
	kindThinking
	kindTool
)

// toolBlock is one OpenAI tool call on its way to a tool_use block.
type toolBlock struct {
	id, name string
	// block is the content block index, or -1 until the call's name is known
	// (a tool_use block cannot start without one).
	block   int
	pending []byte // arguments received before the block started
}

// stream renders unified chunks as Anthropic's event sequence:
//
//	message_start, ping,
//	(content_block_start, content_block_delta*, content_block_stop)*,
//	message_delta, message_stop
//
// Blocks never overlap: a new kind of content, or a new tool call, closes the
// open block, so parallel tool calls become consecutive tool_use blocks, each
// OpenAI tool_call index its own block. message_delta waits for End, because
// OpenAI-shaped streams report usage only in their last chunk.
type stream struct {
	in       *Ingress
	model    string
	thinking bool

	started   bool
	next      int // index of the next block
	open      int // index of the open block, -1 when none
	openKind  int
	tools     map[int]*toolBlock
	order     []int // tool keys in arrival order
	lastTool  int   // tool key of the last fragment, for calls without an index
	synthetic int   // last key given to a call without an index (negative)
	finish    string
	usage     *unified.Usage
	buf       []byte
}

func (s *stream) ContentType() string { return "text/event-stream" }

// Chunk implements dialect.StreamEncoder. A chunk that is not a chat
// completion chunk is skipped: the adapters produce them, and one bad chunk
// is no reason to break a client's stream.
func (s *stream) Chunk(w *bufio.Writer, chunk []byte) error {
	var c unified.Chunk
	if err := json.Unmarshal(chunk, &c); err != nil {
		return nil
	}
	if !s.started {
		if err := s.start(w, c.ID); err != nil {
			return err
		}
	}
	if c.Usage != nil {
		u := *c.Usage
		s.usage = &u
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue // n > 1 has no Anthropic counterpart
		}
		d := &ch.Delta
		if d.ReasoningContent != nil && *d.ReasoningContent != "" && s.thinking {
			if err := s.delta(w, kindThinking, *d.ReasoningContent); err != nil {
				return err
			}
		}
		if d.Content != nil && *d.Content != "" {
			if err := s.delta(w, kindText, *d.Content); err != nil {
				return err
			}
		}
		if d.Refusal != nil && *d.Refusal != "" {
			if err := s.delta(w, kindText, *d.Refusal); err != nil {
				return err
			}
		}
		for j := range d.ToolCalls {
			if err := s.toolCall(w, &d.ToolCalls[j]); err != nil {
				return err
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
		}
	}
	return nil
}

func (s *stream) start(w *bufio.Writer, unifiedID string) error {
	s.started = true
	b := append(s.buf[:0], `{"type":"message_start","message":{"id":`...)
	b = jsonenc.AppendString(b, s.in.messageID(unifiedID))
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = jsonenc.AppendString(b, s.model)
	// Input usage is unknown until the unified stream's last chunk; it is
	// reported in message_delta.
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}`...)
	s.buf = b
	if err := sse.WriteEvent(w, "message_start", b); err != nil {
		return err
	}
	return sse.WriteEvent(w, "ping", []byte(`{"type":"ping"}`))
}

// delta writes text or thinking, opening a block of that kind first if needed.
func (s *stream) delta(w *bufio.Writer, kind int, text string) error {
	if s.open < 0 || s.openKind != kind {
		if err := s.closeOpen(w); err != nil {
			return err
		}
		start := `{"type":"text","text":""}`
		if kind == kindThinking {
			start = `{"type":"thinking","thinking":"","signature":""}`
		}
		if err := s.startBlock(w, kind, start); err != nil {
			return err
		}
	}
	b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
	b = jsonenc.AppendInt(b, int64(s.open))
	if kind == kindThinking {
		b = append(b, `,"delta":{"type":"thinking_delta","thinking":`...)
	} else {
		b = append(b, `,"delta":{"type":"text_delta","text":`...)
	}
	b = jsonenc.AppendString(b, text)
	b = append(b, "}}"...)
	s.buf = b
	return sse.WriteEvent(w, "content_block_delta", b)
}

func (s *stream) startBlock(w *bufio.Writer, kind int, block string) error {
	s.open, s.openKind = s.next, kind
	s.next++
	b := append(s.buf[:0], `{"type":"content_block_start","index":`...)
	b = jsonenc.AppendInt(b, int64(s.open))
	b = append(b, `,"content_block":`...)
	b = append(b, block...)
	b = append(b, '}')
	s.buf = b
	return sse.WriteEvent(w, "content_block_start", b)
}

func (s *stream) closeOpen(w *bufio.Writer) error {
	if s.open < 0 {
		return nil
	}
	b := append(s.buf[:0], `{"type":"content_block_stop","index":`...)
	b = jsonenc.AppendInt(b, int64(s.open))
	b = append(b, '}')
	s.buf = b
	s.open, s.openKind = -1, 0
	return sse.WriteEvent(w, "content_block_stop", b)
}

// toolCall handles one tool-call fragment.
func (s *stream) toolCall(w *bufio.Writer, tc *unified.ToolCall) error {
	var key int
	switch {
	case tc.Index != nil:
		key = *tc.Index
	case tc.ID != "" && (len(s.order) == 0 || s.tools[s.lastTool].id != tc.ID):
		// No index (some OpenAI-compatible servers): a new id is a new call.
		s.synthetic--
		key = s.synthetic
	default:
		key = s.lastTool
	}
	s.lastTool = key
	t := s.tools[key]
	if t == nil {
		t = &toolBlock{block: -1}
		s.tools[key] = t
		s.order = append(s.order, key)
		// A new call ends whatever block is open.
		if err := s.closeOpen(w); err != nil {
			return err
		}
	}
	if t.id == "" {
		t.id = tc.ID
	}
	if t.name == "" {
		t.name = tc.Function.Name
	}
	args := tc.Function.Arguments
	if t.block < 0 {
		t.pending = append(t.pending, args...)
		if t.name == "" {
			return nil
		}
		if err := s.startTool(w, t); err != nil {
			return err
		}
		args, t.pending = string(t.pending), nil
	}
	if args == "" {
		return nil
	}
	// Fragments of a call whose block was closed (a server that interleaves
	// parallel calls; none known does) still go to that call's block, by
	// index: see the package documentation for what clients make of it.
	b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
	b = jsonenc.AppendInt(b, int64(t.block))
	b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
	b = jsonenc.AppendString(b, args)
	b = append(b, "}}"...)
	s.buf = b
	return sse.WriteEvent(w, "content_block_delta", b)
}

func (s *stream) startTool(w *bufio.Writer, t *toolBlock) error {
	if err := s.closeOpen(w); err != nil {
		return err
	}
	if t.id == "" {
		t.id = s.in.newID("toolu_")
	}
	t.block = s.next
	block := jsonenc.AppendString([]byte(`{"type":"tool_use","id":`), t.id)
	block = append(block, `,"name":`...)
	block = jsonenc.AppendString(block, t.name)
	block = append(block, `,"input":{}}`...)
	return s.startBlock(w, kindTool, string(block))
}

// End implements dialect.StreamEncoder: it closes the open block and sends
// message_delta, with the stop reason and the whole usage, and message_stop.
func (s *stream) End(w *bufio.Writer) error {
	if !s.started {
		if err := s.start(w, ""); err != nil {
			return err
		}
	}
	// A call whose name never came still becomes a block, so its arguments
	// are not lost.
	for _, key := range s.order {
		if t := s.tools[key]; t.block < 0 {
			if err := s.startTool(w, t); err != nil {
				return err
			}
			if len(t.pending) > 0 {
				b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
				b = jsonenc.AppendInt(b, int64(t.block))
				b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
				b = jsonenc.AppendString(b, string(t.pending))
				b = append(b, "}}"...)
				s.buf = b
				if err := sse.WriteEvent(w, "content_block_delta", b); err != nil {
					return err
				}
			}
		}
	}
	if err := s.closeOpen(w); err != nil {
		return err
	}
	b := append(s.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
	b = jsonenc.AppendString(b, stopReason(s.finish, len(s.order) > 0))
	b = append(b, `,"stop_sequence":null},"usage":{`...)
	if s.usage != nil {
		u := usageOf(s.usage)
		b = append(b, `"input_tokens":`...)
		b = jsonenc.AppendInt(b, u.InputTokens)
		b = append(b, `,"cache_creation_input_tokens":`...)
		b = jsonenc.AppendInt(b, u.CacheCreationInputTokens)
		b = append(b, `,"cache_read_input_tokens":`...)
		b = jsonenc.AppendInt(b, u.CacheReadInputTokens)
		b = append(b, `,"output_tokens":`...)
		b = jsonenc.AppendInt(b, u.OutputTokens)
	} else {
		b = append(b, `"output_tokens":0`...)
	}
	b = append(b, "}}"...)
	s.buf = b
	if err := sse.WriteEvent(w, "message_delta", b); err != nil {
		return err
	}
	return sse.WriteEvent(w, "message_stop", []byte(`{"type":"message_stop"}`))
}

// Fail implements dialect.StreamEncoder: Anthropic's error event, which the
// SDKs turn into an API error with the stream's status.
func (s *stream) Fail(w *bufio.Writer, e *providers.Error) error {
	return sse.WriteEvent(w, "error", errorJSON(e))
}
