// Package responses serves OpenAI's Responses API as a client dialect:
// POST /gateway/openai/v1/responses, streaming included. When a target is
// OpenAI itself and its adapter can forward, the gateway sends the client's
// own body (Request.Forward) with only the model and the credentials changed,
// and the answer comes back as OpenAI sent it: every Responses feature works.
// For any other backend the request becomes a unified (OpenAI chat) request
// and the unified answer, whole or streamed, is rendered back as a Response
// object or the Responses API's named-event stream.
//
// Translation choices (what a Responses client loses on a non-OpenAI
// backend), each documented where it is made:
//
//   - instructions become a system message ahead of the input; an input
//     string is one user message. Input messages keep their role (user,
//     assistant, system, developer); their parts become chat parts:
//     input_text and output_text are text, refusal is the assistant's
//     refusal, input_image with an image_url is an image_url part,
//     input_file with file_data is a file part, input_audio stays audio.
//     System and developer parts are joined into one text (chat takes
//     images from the user only); consecutive assistant items become one
//     assistant message.
//   - function_call items become the tool_calls of an assistant message
//     (joined with the assistant message right before them, as a chat model
//     wrote them); function_call_output items become tool messages. An
//     output given as parts keeps its text parts; its images follow the tool
//     messages in a user message, since a chat tool message carries text only.
//     reasoning items are dropped: no other provider can read them back.
//   - Function tools (flat in the Responses API) become chat function tools;
//     strict is passed on only when the client set it (the Responses API's
//     default of true is OpenAI's own). tool_choice auto, none, required,
//     a named function and allowed_tools over function tools map one to one.
//   - text.format json_schema and json_object become response_format;
//     text.verbosity, truncation, include, top_logprobs, service_tier, user,
//     safety_identifier, prompt_cache_key, metadata and store are not
//     translated (store: nothing is stored, so answers say "store": false).
//     max_output_tokens is sent as max_tokens, reasoning.effort as
//     reasoning_effort.
//   - A body naming "model" twice (in any case or escaping) is refused: the
//     forwarded body's first "model" is the one rewritten and OpenAI reads
//     the last, so a second one could pick a model the Endpoint does not
//     allow.
//   - Features only OpenAI can run are not lost silently: built-in and other
//     non-function tools (web_search, file_search, code_interpreter, mcp,
//     custom, ...), tool_choice naming one, previous_response_id,
//     conversation, prompt, background mode, item_reference and hosted-tool
//     input items, and files or images given by file_id or file_url.
//     ParseRequest accepts them, since it cannot know the target and an
//     OpenAI-backed endpoint serves them natively; State.NativeOnly names
//     them. Ingress.CheckTranslate turns them into a 400 ("... needs an
//     OpenAI-backed endpoint") before a translated attempt is sent, when the
//     gateway calls it; a translated answer to such a request is refused
//     anyway (Response errors, the stream fails with an error event), so a
//     client never takes an answer given without them for a real one.
//   - Answers: the assistant's text (and refusal) is one message item, each
//     tool call one function_call item whose call_id is the unified tool
//     call id; reasoning text is dropped. finish_reason length makes the
//     response "incomplete" with reason max_output_tokens, content_filter
//     with reason content_filter. The response echoes the request's
//     settings (instructions, tools, tool_choice, text, temperature, top_p,
//     parallel_tool_calls, max_output_tokens, reasoning, metadata) and names
//     the Endpoint as its model.
//   - Streams: response.created and response.in_progress open the stream on
//     the first unified chunk; items follow one after another as OpenAI
//     sends them (a new item closes the previous one), and
//     response.completed (or response.incomplete) carries the whole
//     response with its usage, which a unified stream reports only at its
//     end. A failure after the start is an "error" event followed by
//     response.failed. There is no [DONE].
package responses

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/internal/jsonenc"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Method is the value of dialect.Params.Method this dialect serves.
const Method = "responses"

// ForwardPath is where a natively forwarded request goes, below an
// OpenAI-style base URL (which ends in /v1).
const ForwardPath = "/responses"

// Ingress is the Responses API dialect. It is safe for concurrent use.
type Ingress struct {
	// newID returns a fresh id with the given prefix ("resp_", "msg_",
	// "fc_", "call_"); tests replace it to make output deterministic.
	newID func(prefix string) string
	// now is the clock for created_at and completed_at.
	now func() time.Time
}

var _ dialect.Ingress = (*Ingress)(nil)

// New returns the dialect.
func New() *Ingress { return &Ingress{newID: randomID, now: time.Now} }

// Native implements dialect.Ingress: requests to OpenAI targets are
// forwarded as the client sent them.
func (*Ingress) Native() string { return "openai" }

// State is what ParseRequest remembers about a request for rendering its
// answer: the Endpoint name and the settings a Response object echoes.
type State struct {
	// Model is the client's "model": the Endpoint name, echoed in answers.
	Model string `json:"model"`
	// Echo holds the request settings a Response object repeats.
	Echo Echo `json:"echo"`
	// NativeOnly names what only an OpenAI-backed endpoint can serve, e.g.
	// "tools[1] (web_search)" or "previous_response_id"; a request that
	// names anything here is refused when translated.
	NativeOnly []string `json:"native_only,omitempty"`
}

// Echo are the request settings a Response object repeats, raw where the
// request had them.
type Echo struct {
	Instructions      json.RawMessage `json:"instructions,omitempty"`
	Tools             json.RawMessage `json:"tools,omitempty"`
	ToolChoice        json.RawMessage `json:"tool_choice,omitempty"`
	Text              json.RawMessage `json:"text,omitempty"`
	Temperature       *float64        `json:"temperature,omitempty"`
	TopP              *float64        `json:"top_p,omitempty"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	MaxOutputTokens   *int64          `json:"max_output_tokens,omitempty"`
	ReasoningEffort   string          `json:"reasoning_effort,omitempty"`
	ReasoningSummary  string          `json:"reasoning_summary,omitempty"`
	Metadata          json.RawMessage `json:"metadata,omitempty"`
}

func stateOf(req *dialect.Request) *State {
	if req != nil {
		if s, ok := req.State.(*State); ok && s != nil {
			return s
		}
	}
	return &State{}
}

// CheckTranslate reports whether req can be served through the unified
// dialect, by a target that is not OpenAI: it returns the 400 to answer with
// when the request uses features only OpenAI itself runs (State.NativeOnly).
// The gateway should call it before a translated attempt; see the package
// documentation.
func (*Ingress) CheckTranslate(req *dialect.Request) *providers.Error {
	return nativeOnlyError(stateOf(req))
}

func nativeOnlyError(st *State) *providers.Error {
	if len(st.NativeOnly) == 0 {
		return nil
	}
	param := st.NativeOnly[0]
	if i := strings.IndexAny(param, " "); i > 0 {
		param = param[:i]
	}
	return &providers.Error{Status: 400, Type: "invalid_request_error", Code: "unsupported_parameter", Param: param,
		Message: strings.Join(st.NativeOnly, ", ") + ": needs an OpenAI-backed endpoint; endpoint " +
			quote(st.Model) + " is served by another provider, through translation to chat completions"}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Error implements dialect.Ingress: OpenAI's error body.
func (*Ingress) Error(e *providers.Error) []byte {
	return errorJSON(e)
}

func errorJSON(e *providers.Error) []byte {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	typ := e.Type
	if typ == "" {
		typ = providers.ErrorType(e.Status)
	}
	b := make([]byte, 0, 80+len(msg))
	b = append(b, `{"error":{"message":`...)
	b = jsonenc.AppendString(b, msg)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, typ)
	b = append(b, `,"param":`...)
	b = appendNullable(b, e.Param)
	b = append(b, `,"code":`...)
	b = appendNullable(b, e.Code)
	return append(b, "}}"...)
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return jsonenc.AppendString(b, s)
}

func randomID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }

// responseID derives a Responses id from a unified one, so logs on both
// sides can be matched; an empty one gets a random id.
func (in *Ingress) responseID(unifiedID string) string {
	if id := dialect.CleanID(unifiedID, "resp_"); id != "" {
		return "resp_" + id
	}
	return in.newID("resp_")
}
