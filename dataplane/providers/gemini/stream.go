package gemini

import (
	"bytes"
	"io"

	"github.com/segmentio/encoding/json"
	"github.com/valyala/fasthttp"

	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/providers/upstream"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// Gemini streams (:streamGenerateContent?alt=sse) are "data:" events, often
// with \r\n line endings, each a complete GenerateContentResponse holding only
// the new parts. There is no terminal marker: the stream ends at EOF, so a
// stream that ends before every candidate reported a finishReason is treated
// as truncated. Function calls arrive whole; each becomes two OpenAI deltas:
// the first with index, id, type and name and "" arguments, the second with
// the full arguments. usageMetadata is cumulative; the last one wins.

// streamTranslator turns Gemini stream events into OpenAI chunk payloads.
// It is created per attempt and is not safe for concurrent use.
type streamTranslator struct {
	model        string
	created      int64
	includeUsage bool

	ids     *ids
	choices map[int]*choiceState
	order   []int
	usage   *usageMetadata
	pending [][]byte
}

type choiceState struct {
	calls int
	done  bool
}

func newStreamTranslator(model string, created int64, includeUsage bool) *streamTranslator {
	return &streamTranslator{model: model, created: created, includeUsage: includeUsage, choices: map[int]*choiceState{}}
}

// event translates one upstream event, queueing zero or more chunks.
func (t *streamTranslator) event(data []byte) error {
	var r generateContentResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return &providers.Error{Status: 502, Type: "api_error", Code: "bad_upstream_event",
			Message: "gemini sent a stream event that is not a GenerateContentResponse"}
	}
	if r.Error != nil {
		return streamError(r.Error)
	}
	if t.ids == nil {
		t.ids = newIDs(r.ResponseID)
		if r.ModelVersion != "" {
			t.model = r.ModelVersion
		}
	}
	if r.UsageMetadata != nil {
		t.usage = r.UsageMetadata
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		cs := t.choice(0)
		if !cs.done {
			t.emit(0, unified.Delta{Refusal: unified.Ptr(blockedMessage(r.PromptFeedback))}, nil)
			t.finish(0, cs, unified.FinishContentFilter)
		}
		return nil
	}
	for _, c := range r.Candidates {
		if c.Index < 0 || c.Index > 127 {
			continue // not a choice index an OpenAI client accepts
		}
		cs := t.choice(c.Index)
		if cs.done {
			continue
		}
		if c.Content != nil {
			for i := range c.Content.Parts {
				t.part(c.Index, cs, &c.Content.Parts[i])
			}
		}
		if c.FinishReason != "" {
			t.finish(c.Index, cs, finishReason(c.FinishReason, cs.calls > 0))
		}
	}
	return nil
}

func (t *streamTranslator) part(index int, cs *choiceState, p *part) {
	switch {
	case p.FunctionCall != nil:
		n := cs.calls
		cs.calls++
		call := toolCall(p.FunctionCall, t.ids.nextCall(p.ThoughtSignature), &n)
		args := call.Function.Arguments
		call.Function.Arguments = ""
		t.emit(index, unified.Delta{ToolCalls: []unified.ToolCall{call}}, nil)
		t.emit(index, unified.Delta{ToolCalls: []unified.ToolCall{{Index: &n, Function: unified.FunctionCall{Arguments: args}}}}, nil)
	case p.Text == nil || *p.Text == "":
	case p.Thought:
		t.emit(index, unified.Delta{ReasoningContent: p.Text}, nil)
	default:
		t.emit(index, unified.Delta{Content: p.Text}, nil)
	}
}

// choice returns a candidate's state, opening the choice with OpenAI's
// customary first delta {"role":"assistant","content":""}.
func (t *streamTranslator) choice(index int) *choiceState {
	if cs, ok := t.choices[index]; ok {
		return cs
	}
	if t.ids == nil {
		t.ids = newIDs("")
	}
	cs := &choiceState{}
	t.choices[index] = cs
	t.order = append(t.order, index)
	t.emit(index, unified.Delta{Role: unified.RoleAssistant, Content: unified.Ptr("")}, nil)
	return cs
}

func (t *streamTranslator) finish(index int, cs *choiceState, reason string) {
	cs.done = true
	t.emit(index, unified.Delta{}, &reason)
}

func (t *streamTranslator) emit(index int, d unified.Delta, finish *string) {
	t.push(&unified.Chunk{ID: t.ids.completion, Object: "chat.completion.chunk", Created: t.created, Model: t.model,
		Choices: []unified.ChunkChoice{{Index: index, Delta: d, FinishReason: finish}}})
}

func (t *streamTranslator) push(c *unified.Chunk) {
	b, _ := json.Marshal(c)
	t.pending = append(t.pending, b)
}

// end is called at the upstream's EOF: a stream where some candidate never
// finished was cut short; otherwise the usage chunk follows when asked for.
func (t *streamTranslator) end() error {
	complete := len(t.order) > 0
	for _, i := range t.order {
		complete = complete && t.choices[i].done
	}
	if !complete {
		return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated", Retryable: true,
			Message: "gemini closed the stream before it finished"}
	}
	if t.includeUsage {
		u := toUsage(t.usage)
		if u == nil {
			u = &unified.Usage{}
		}
		t.push(&unified.Chunk{ID: t.ids.completion, Object: "chat.completion.chunk", Created: t.created, Model: t.model,
			Choices: []unified.ChunkChoice{}, Usage: u})
	}
	return nil
}

// usageSoFar reports the last usageMetadata for metrics.
func (t *streamTranslator) usageSoFar() providers.Usage {
	u := toUsage(t.usage)
	if u == nil {
		return providers.Usage{}
	}
	return providers.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
}

// stream is a providers.Stream over a Gemini SSE body.
type stream struct {
	resp *fasthttp.Response
	r    *sse.Reader
	t    *streamTranslator
	err  error
}

var (
	_ providers.Stream        = (*stream)(nil)
	_ providers.UsageReporter = (*stream)(nil)
)

// newStream reads body; resp, when set, is released by Close.
func newStream(resp *fasthttp.Response, body io.Reader, t *streamTranslator) *stream {
	return &stream{resp: resp, r: sse.NewReader(body, nil), t: t}
}

func newResponseStream(resp *fasthttp.Response, t *streamTranslator) *stream {
	var body io.Reader = resp.BodyStream()
	if body == nil {
		body = bytes.NewReader(resp.Body())
	}
	return newStream(resp, body, t)
}

// Next implements providers.Stream.
func (s *stream) Next() ([]byte, error) {
	for {
		if len(s.t.pending) > 0 {
			p := s.t.pending[0]
			s.t.pending[0] = nil
			s.t.pending = s.t.pending[1:]
			return p, nil
		}
		if s.err != nil {
			return nil, s.err
		}
		ev, err := s.r.Next()
		switch {
		case err == io.EOF:
			s.err = s.t.end()
			if s.err == nil {
				s.err = io.EOF
			}
		case err != nil:
			s.err = readError(err)
		default:
			s.err = s.t.event(ev.Data)
		}
	}
}

func readError(err error) error {
	if upstream.IsTimeout(err) {
		return providers.TransportError("gemini", err, true)
	}
	return &providers.Error{Status: 502, Type: "api_error", Code: "stream_truncated", Retryable: true,
		Message: "reading the gemini stream failed: " + err.Error()}
}

// Usage implements providers.UsageReporter.
func (s *stream) Usage() providers.Usage { return s.t.usageSoFar() }

// Close implements providers.Stream.
func (s *stream) Close() error {
	return upstream.CloseStream(&s.resp)
}
