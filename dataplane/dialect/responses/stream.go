package responses

import (
	"bufio"
	"errors"
	"strings"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// NewStream implements dialect.Ingress.
func (in *Ingress) NewStream(req *dialect.Request) dialect.StreamEncoder {
	return &stream{in: in, st: stateOf(req), tools: map[int]*streamItem{}}
}

// streamItem is an output item on its way out.
type streamItem struct {
	outItem
	index int // output_index, -1 until response.output_item.added was sent
	open  *outPart
	// text accumulates the open part; args a call's arguments.
	text strings.Builder
	argb strings.Builder
	done bool
}

// stream renders unified chunks as the Responses API's event sequence:
//
//	response.created, response.in_progress,
//	(response.output_item.added,
//	  (response.content_part.added, response.output_text.delta*,
//	   response.output_text.done, response.content_part.done)*
//	 | response.function_call_arguments.delta*, response.function_call_arguments.done,
//	 response.output_item.done)*,
//	response.completed | response.incomplete
//
// Items never overlap, as OpenAI sends them: text opens a message item, each
// tool call (by its unified index) a function_call item, and a new item
// closes the open one. Models write parallel calls one after another, so a
// call is complete when the next begins; a fragment for a call already closed
// (a server interleaving parallel calls) still reaches the call's arguments
// in the final response, but cannot be streamed any more. The terminal event
// waits for End, because unified streams report usage in their last chunk.
type stream struct {
	in *Ingress
	st *State

	started   bool
	ended     bool
	seq       int64
	resp      *responseObject
	items     []*streamItem
	cur       *streamItem // the open item
	tools     map[int]*streamItem
	order     []int // tool keys in arrival order
	lastTool  int
	synthetic int
	finish    string
	usage     *unified.Usage
	buf       []byte
}

func (s *stream) ContentType() string { return "text/event-stream" }

// event writes one named event: {"type":name,"sequence_number":n} followed
// by fields, which are the event's other members, each with a leading comma.
func (s *stream) event(w *bufio.Writer, name string, fields []byte) error {
	b := append(s.buf[:0], `{"type":`...)
	b = jsonenc.AppendString(b, name)
	b = append(b, `,"sequence_number":`...)
	b = jsonenc.AppendInt(b, s.seq)
	b = append(b, fields...)
	b = append(b, '}')
	s.buf = b
	s.seq++
	return sse.WriteEvent(w, name, b)
}

// Chunk implements dialect.StreamEncoder. A chunk that is not a chat
// completion chunk is skipped: one bad chunk is no reason to break a
// client's stream.
func (s *stream) Chunk(w *bufio.Writer, chunk []byte) error {
	if s.ended {
		return nil
	}
	var c unified.Chunk
	if err := json.Unmarshal(chunk, &c); err != nil {
		return nil
	}
	if !s.started {
		if err := s.start(w, c.ID, c.Created); err != nil {
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
			continue // n > 1 has no Responses counterpart
		}
		d := &ch.Delta
		if d.Content != nil && *d.Content != "" {
			if err := s.text(w, kindText, *d.Content); err != nil {
				return err
			}
		}
		if d.Refusal != nil && *d.Refusal != "" {
			if err := s.text(w, kindRefusal, *d.Refusal); err != nil {
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

// errNativeOnly stops a translated stream of a request that needs OpenAI.
var errNativeOnly = errors.New("the request needs an OpenAI-backed endpoint")

func (s *stream) start(w *bufio.Writer, unifiedID string, created int64) error {
	s.started = true
	if created <= 0 {
		created = s.in.now().Unix()
	}
	s.resp = s.in.newResponse(s.st, s.in.responseID(unifiedID), created, statusInProgress)
	if e := nativeOnlyError(s.st); e != nil {
		// The gateway translated a request that needs OpenAI: refuse the
		// answer rather than pass it off as one given with those features,
		// and stop reading it.
		if err := s.fail(w, e); err != nil {
			return err
		}
		return errNativeOnly
	}
	if err := s.responseEvent(w, "response.created"); err != nil {
		return err
	}
	return s.responseEvent(w, "response.in_progress")
}

// responseEvent writes an event carrying the whole response.
func (s *stream) responseEvent(w *bufio.Writer, name string) error {
	body, err := jsonenc.Marshal(s.resp)
	if err != nil {
		return err
	}
	fields := append([]byte(`,"response":`), body...)
	return s.event(w, name, fields)
}

// addItem sends response.output_item.added for it.
func (s *stream) addItem(w *bufio.Writer, it *streamItem) error {
	it.index = len(s.resp.Output)
	s.resp.Output = append(s.resp.Output, &it.outItem)
	s.items = append(s.items, it)
	s.cur = it
	it.status = statusInProgress
	fields := append([]byte(`,"output_index":`), jsonenc.AppendInt(nil, int64(it.index))...)
	fields = append(fields, `,"item":`...)
	fields = appendItem(fields, &it.outItem)
	return s.event(w, "response.output_item.added", fields)
}

// itemFields starts the fields of an event about a part of item it.
func itemFields(it *streamItem, withContent bool) []byte {
	b := append([]byte(`,"item_id":`), jsonenc.AppendString(nil, it.id)...)
	b = append(b, `,"output_index":`...)
	b = jsonenc.AppendInt(b, int64(it.index))
	if withContent {
		b = append(b, `,"content_index":`...)
		b = jsonenc.AppendInt(b, int64(len(it.parts)-1))
	}
	return b
}

// text writes output text or a refusal, opening a message item and a part
// of that kind first if needed.
func (s *stream) text(w *bufio.Writer, kind int, delta string) error {
	if s.cur == nil || s.cur.kind != kindMessage {
		if err := s.closeCur(w, statusCompleted); err != nil {
			return err
		}
		it := &streamItem{outItem: outItem{kind: kindMessage, id: s.in.newID("msg_")}}
		if err := s.addItem(w, it); err != nil {
			return err
		}
	}
	it := s.cur
	if it.open == nil || it.open.kind != kind {
		if err := s.closePart(w, it); err != nil {
			return err
		}
		it.open = &outPart{kind: kind}
		it.parts = append(it.parts, it.open)
		fields := append(itemFields(it, true), `,"part":`...)
		fields = appendPart(fields, kind, "")
		if err := s.event(w, "response.content_part.added", fields); err != nil {
			return err
		}
	}
	it.text.WriteString(delta)
	fields := append(itemFields(it, true), `,"delta":`...)
	fields = jsonenc.AppendString(fields, delta)
	if kind == kindRefusal {
		return s.event(w, "response.refusal.delta", fields)
	}
	fields = append(fields, `,"logprobs":[]`...)
	return s.event(w, "response.output_text.delta", fields)
}

// closePart ends the open part of a message item.
func (s *stream) closePart(w *bufio.Writer, it *streamItem) error {
	p := it.open
	if p == nil {
		return nil
	}
	p.text = it.text.String()
	it.text.Reset()
	it.open = nil
	fields := itemFields(it, true)
	if p.kind == kindRefusal {
		fields = append(fields, `,"refusal":`...)
		fields = jsonenc.AppendString(fields, p.text)
		if err := s.event(w, "response.refusal.done", fields); err != nil {
			return err
		}
	} else {
		fields = append(fields, `,"text":`...)
		fields = jsonenc.AppendString(fields, p.text)
		fields = append(fields, `,"logprobs":[]`...)
		if err := s.event(w, "response.output_text.done", fields); err != nil {
			return err
		}
	}
	fields = append(itemFields(it, true), `,"part":`...)
	fields = appendPart(fields, p.kind, p.text)
	return s.event(w, "response.content_part.done", fields)
}

// closeCur ends the open item with the given status.
func (s *stream) closeCur(w *bufio.Writer, status string) error {
	it := s.cur
	if it == nil {
		return nil
	}
	s.cur = nil
	if it.kind == kindMessage {
		if err := s.closePart(w, it); err != nil {
			return err
		}
	} else {
		it.args = it.argb.String()
		fields := append(itemFields(it, false), `,"arguments":`...)
		fields = jsonenc.AppendString(fields, it.args)
		if err := s.event(w, "response.function_call_arguments.done", fields); err != nil {
			return err
		}
	}
	it.status, it.done = status, true
	fields := append([]byte(`,"output_index":`), jsonenc.AppendInt(nil, int64(it.index))...)
	fields = append(fields, `,"item":`...)
	fields = appendItem(fields, &it.outItem)
	return s.event(w, "response.output_item.done", fields)
}

// toolCall handles one tool-call fragment.
func (s *stream) toolCall(w *bufio.Writer, tc *unified.ToolCall) error {
	var key int
	switch {
	case tc.Index != nil:
		key = *tc.Index
	case tc.ID != "" && (len(s.order) == 0 || s.tools[s.lastTool].callID != tc.ID):
		// No index (some OpenAI-compatible servers): a new id is a new call.
		s.synthetic--
		key = s.synthetic
	default:
		key = s.lastTool
	}
	s.lastTool = key
	t := s.tools[key]
	if t == nil {
		t = &streamItem{outItem: outItem{kind: kindFunctionCall}, index: -1}
		s.tools[key] = t
		s.order = append(s.order, key)
	}
	if t.callID == "" {
		t.callID = tc.ID
	}
	if t.name == "" {
		t.name = tc.Function.Name
	}
	args := tc.Function.Arguments
	if t.done {
		// A server interleaving parallel calls: the call was closed when the
		// next one began; the final response still gets these arguments.
		t.argb.WriteString(args)
		t.args = t.argb.String()
		return nil
	}
	if t.index < 0 {
		t.argb.WriteString(args)
		if t.name == "" {
			return nil // an item cannot be added without its name
		}
		if err := s.startCall(w, t); err != nil {
			return err
		}
		args = t.argb.String()
	} else {
		t.argb.WriteString(args)
	}
	return s.argsDelta(w, t, args)
}

func (s *stream) startCall(w *bufio.Writer, t *streamItem) error {
	if err := s.closeCur(w, statusCompleted); err != nil {
		return err
	}
	if t.callID == "" {
		t.callID = s.in.newID("call_")
	}
	t.id = s.in.newID("fc_")
	return s.addItem(w, t)
}

func (s *stream) argsDelta(w *bufio.Writer, t *streamItem, args string) error {
	if args == "" {
		return nil
	}
	if s.cur != t {
		// Arguments for a call that is not the open one can only come from an
		// interleaving server; they reach the final response.
		return nil
	}
	fields := append(itemFields(t, false), `,"delta":`...)
	fields = jsonenc.AppendString(fields, args)
	return s.event(w, "response.function_call_arguments.delta", fields)
}

// End implements dialect.StreamEncoder: it closes the open item and sends
// response.completed (or response.incomplete) with the whole response.
func (s *stream) End(w *bufio.Writer) error {
	if s.ended {
		return nil
	}
	if !s.started {
		if err := s.start(w, "", 0); err != nil {
			return err
		}
	}
	s.ended = true
	// A call whose name never came still becomes an item, so its arguments
	// are not lost.
	for _, key := range s.order {
		if t := s.tools[key]; t.index < 0 {
			if err := s.startCall(w, t); err != nil {
				return err
			}
			if err := s.argsDelta(w, t, t.argb.String()); err != nil {
				return err
			}
		}
	}
	if len(s.items) == 0 {
		// An empty answer is still a message, as OpenAI gives it.
		it := &streamItem{outItem: outItem{kind: kindMessage, id: s.in.newID("msg_")}}
		if err := s.addItem(w, it); err != nil {
			return err
		}
		it.open = &outPart{kind: kindText}
		it.parts = append(it.parts, it.open)
		fields := append(itemFields(it, true), `,"part":`...)
		fields = appendPart(fields, kindText, "")
		if err := s.event(w, "response.content_part.added", fields); err != nil {
			return err
		}
	}
	s.in.finish(s.resp, s.finish)
	if err := s.closeCur(w, itemStatus(s.resp.Status)); err != nil {
		return err
	}
	s.resp.Usage = usageOf(s.usage)
	name := "response.completed"
	if s.resp.Status == statusIncomplete {
		name = "response.incomplete"
	}
	return s.responseEvent(w, name)
}

// itemStatus is the status of the item open when the response ended.
func itemStatus(responseStatus string) string {
	if responseStatus == statusCompleted {
		return statusCompleted
	}
	return statusIncomplete
}

// Fail implements dialect.StreamEncoder: an "error" event, then
// response.failed with what was generated so far.
func (s *stream) Fail(w *bufio.Writer, e *providers.Error) error {
	if s.ended {
		return nil
	}
	if !s.started {
		s.started = true
		s.resp = s.in.newResponse(s.st, s.in.responseID(""), s.in.now().Unix(), statusInProgress)
	}
	return s.fail(w, e)
}

func (s *stream) fail(w *bufio.Writer, e *providers.Error) error {
	s.ended = true
	msg := e.Message
	if msg == "" {
		msg = "the upstream failed"
	}
	code := e.Code
	if code == "" {
		code = failedCode(e.Status)
	}
	fields := append([]byte(`,"code":`), jsonenc.AppendString(nil, code)...)
	fields = append(fields, `,"message":`...)
	fields = jsonenc.AppendString(fields, msg)
	fields = append(fields, `,"param":`...)
	fields = appendNullable(fields, e.Param)
	if err := s.event(w, "error", fields); err != nil {
		return err
	}
	// What was generated so far stays in the failed response, unfinished.
	for _, it := range s.items {
		if !it.done {
			if it.open != nil {
				it.open.text = it.text.String()
			}
			it.args = it.argb.String()
			it.status = statusIncomplete
		}
	}
	s.resp.Status = statusFailed
	s.resp.Error = &responseError{Code: failedCode(e.Status), Message: msg}
	s.resp.Usage = usageOf(s.usage)
	return s.responseEvent(w, "response.failed")
}

// failedCode is a response error code (the Responses API's own vocabulary)
// for an HTTP status.
func failedCode(status int) string {
	switch {
	case status == 429:
		return "rate_limit_exceeded"
	case status == 400 || status == 413 || status == 422:
		return "invalid_prompt"
	default:
		return "server_error"
	}
}
