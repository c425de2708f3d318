package gemini

import (
	"bufio"
	"slices"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
	"github.com/ai-gateway/gateway/dataplane/sse"
	"github.com/ai-gateway/gateway/dataplane/unified"
)

// NewStream implements dialect.Ingress.
func (in *Ingress) NewStream(req *dialect.Request) dialect.StreamEncoder {
	return &stream{in: in, st: stateOf(req), tools: map[toolKey]*toolBuf{}, lastTool: map[int]toolKey{}, finish: map[int]string{}}
}

// toolKey identifies one tool call of one candidate.
type toolKey struct{ choice, index int }

// toolBuf is one OpenAI tool call being assembled from its fragments.
type toolBuf struct {
	id   string
	name string
	args []byte
}

// stream renders unified chunks as Gemini's stream: one
// GenerateContentResponse per event (alt=sse) or per element of one JSON
// array. Text goes out as it comes. Function calls, which Gemini sends
// whole, are assembled and go out in the last chunk, which also carries
// finishReason and usageMetadata: OpenAI-shaped streams report usage in a
// chunk after the finish_reason chunk, so the finish waits for End.
type stream struct {
	in *Ingress
	st *State

	id        string // responseId, from the first chunk
	written   int    // objects written
	closed    bool   // End or Fail has run
	cands     []int  // candidate indexes seen
	tools     map[toolKey]*toolBuf
	order     []toolKey
	lastTool  map[int]toolKey // per candidate, for fragments without an index
	synthetic int             // last key given to a call without an index (negative)
	finish    map[int]string
	usage     *unified.Usage
}

// ContentType implements dialect.StreamEncoder: SSE for alt=sse, else the
// JSON array Gemini streams by default.
func (s *stream) ContentType() string {
	if s.st.SSE {
		return "text/event-stream"
	}
	return "application/json"
}

// write sends one object as an SSE event or the array's next element.
func (s *stream) write(w *bufio.Writer, obj []byte) error {
	defer func() { s.written++ }()
	if s.st.SSE {
		return sse.WriteData(w, obj)
	}
	if s.written == 0 {
		_ = w.WriteByte('[')
	} else {
		_, _ = w.WriteString(",\r\n")
	}
	_, err := w.Write(obj)
	return err
}

func (s *stream) responseID(unifiedID string) string {
	if s.id == "" {
		s.id = s.in.responseID(unifiedID)
	}
	return s.id
}

func (s *stream) see(choice int) {
	if !slices.Contains(s.cands, choice) {
		s.cands = append(s.cands, choice)
	}
}

// Chunk implements dialect.StreamEncoder. A chunk that is not a chat
// completion chunk is skipped: one bad chunk is no reason to break a
// client's stream.
func (s *stream) Chunk(w *bufio.Writer, chunk []byte) error {
	if s.closed {
		return nil
	}
	var c unified.Chunk
	if err := json.Unmarshal(chunk, &c); err != nil {
		return nil
	}
	id := s.responseID(c.ID)
	if c.Usage != nil {
		u := *c.Usage
		s.usage = &u
	}
	var cands []candidate
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index < 0 {
			continue
		}
		s.see(ch.Index)
		d := &ch.Delta
		var parts []outPart
		if s.st.Thoughts && d.ReasoningContent != nil && *d.ReasoningContent != "" {
			p := textPart(*d.ReasoningContent)
			p.Thought = true
			parts = append(parts, p)
		}
		if d.Content != nil && *d.Content != "" {
			parts = append(parts, textPart(*d.Content))
		}
		if d.Refusal != nil && *d.Refusal != "" {
			parts = append(parts, textPart(*d.Refusal))
		}
		for j := range d.ToolCalls {
			s.toolCall(ch.Index, &d.ToolCalls[j])
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish[ch.Index] = *ch.FinishReason
		}
		if len(parts) > 0 {
			cands = append(cands, candidate{Content: content{Role: "model", Parts: parts}, Index: ch.Index})
		}
	}
	if len(cands) == 0 {
		return nil
	}
	b, err := jsonenc.Marshal(generateContentResponse{Candidates: cands, ModelVersion: s.st.Endpoint, ResponseID: id})
	if err != nil {
		return nil
	}
	return s.write(w, b)
}

// toolCall buffers one tool-call fragment.
func (s *stream) toolCall(choice int, tc *unified.ToolCall) {
	last, hasLast := s.lastTool[choice]
	var key toolKey
	switch {
	case tc.Index != nil:
		key = toolKey{choice, *tc.Index}
	case !hasLast || (tc.ID != "" && tc.ID != s.tools[last].id):
		// No index (some OpenAI-compatible servers): the first fragment,
		// or a new id, is a new call.
		s.synthetic--
		key = toolKey{choice, s.synthetic}
	default:
		key = last
	}
	s.lastTool[choice] = key
	t := s.tools[key]
	if t == nil {
		t = &toolBuf{}
		s.tools[key] = t
		s.order = append(s.order, key)
	}
	if t.id == "" {
		t.id = tc.ID
	}
	if t.name == "" {
		t.name = tc.Function.Name
	}
	t.args = append(t.args, tc.Function.Arguments...)
}

// End implements dialect.StreamEncoder: the last chunk, with the assembled
// function calls, each candidate's finishReason and usageMetadata; in array
// mode, the array's end.
func (s *stream) End(w *bufio.Writer) error {
	if s.closed {
		return nil
	}
	s.closed = true
	choices := append([]int(nil), s.cands...)
	for k := range s.finish {
		if !slices.Contains(choices, k) {
			choices = append(choices, k)
		}
	}
	if len(choices) == 0 {
		choices = []int{0}
	}
	slices.Sort(choices)
	out := generateContentResponse{Candidates: make([]candidate, 0, len(choices)), UsageMetadata: usageOf(s.usage),
		ModelVersion: s.st.Endpoint, ResponseID: s.responseID("")}
	for _, idx := range choices {
		cand := candidate{Content: content{Role: "model"}, Index: idx, FinishReason: finishReason(s.finish[idx])}
		for _, key := range s.order {
			if t := s.tools[key]; key.choice == idx {
				cand.Content.Parts = append(cand.Content.Parts, outPart{FunctionCall: &functionCall{Name: t.name, Args: dialect.ToolArgs(string(t.args))}})
			}
		}
		if len(cand.Content.Parts) == 0 {
			// Gemini's last chunk holds an empty text part when it has
			// nothing else to say.
			cand.Content.Parts = []outPart{textPart("")}
		}
		out.Candidates = append(out.Candidates, cand)
	}
	b, err := jsonenc.Marshal(out)
	if err != nil {
		return err
	}
	if err := s.write(w, b); err != nil {
		return err
	}
	if !s.st.SSE {
		_, err = w.WriteString("]")
	}
	return err
}

// Fail implements dialect.StreamEncoder: Google's error object as an SSE
// event, which go-genai and the Python SDK raise as an API error, or as the
// array's last element, closing the array.
func (s *stream) Fail(w *bufio.Writer, e *providers.Error) error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.write(w, errorJSON(e)); err != nil {
		return err
	}
	if !s.st.SSE {
		_, err := w.WriteString("]")
		return err
	}
	return nil
}
