// Package bedrocktest is a fake Amazon Bedrock runtime on loopback that
// speaks the real wire format: Converse JSON, ConverseStream as binary AWS
// event-stream frames (prelude and message CRCs included, written with the
// SDK's encoder), InvokeModel bodies of Titan and Cohere embedding models, and
// AWS error responses (x-amzn-ErrorType header, {"message":...} body).
//
// It authenticates like AWS, verifying SigV4 signatures against the test
// identities (or a Bedrock API key), and validates requests the way Converse
// does: user/assistant alternation starting with user, no blank text, a
// toolResult for every toolUse of the previous turn and none without one, a
// toolConfig whenever the history holds tool blocks, and unknown members
// refused (the real service is lenient about some of those; the fake is
// strict on purpose, to catch misspelt fields).
//
// The model id (unescaped from the path) picks a behaviour:
//
//	any model                 echoes the last user text ("fake: <text>"), or the
//	                          tool results when the last turn returned some
//	"tool-call"               calls the first tool (also when toolChoice is "any")
//	"parallel-tools"          calls the first two tools
//	forced toolChoice         calls the named tool, as the real service does
//	"stop-<reason>"           answers with that stopReason (max_tokens, ...)
//	"reasoning"               adds a reasoning block before the answer
//	"cache"                   reports cache reads in the usage
//	"fail-<status>"           fails with the exception of that status
//	"slow"                    waits for the client to give up (or 10s)
//	"stall-stream"            streams two events, then stalls (10s or until the client leaves)
//	"break-stream"            streams two events, then closes at a frame boundary
//	"torn-stream"             streams two events, then half a frame
//	"error-stream"            streams two events, then a modelStreamErrorException
//	"throttle-stream"         streams a throttlingException as the first event
//	"amazon.titan-embed..."   InvokeModel: Titan text embeddings
//	"cohere.embed..."         InvokeModel: Cohere embeddings
package bedrocktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request as the fake received it.
type Request struct {
	// Op is converse, converse-stream or invoke.
	Op string
	// ModelID is the unescaped model id.
	ModelID string
	// RawPath is the path exactly as sent, escapes included.
	RawPath string
	// Header holds the request headers.
	Header http.Header
	// Body is the raw request body.
	Body []byte
}

// Server is the fake upstream.
type Server struct {
	*httptest.Server

	calls atomic.Int64
	seq   atomic.Int64
	mu    sync.Mutex
	reqs  []Request
	// Now is the server's clock for signature checks.
	Now func() time.Time
}

// New starts a fake Bedrock runtime; Close it when done.
func New() *Server {
	s := &Server{Now: time.Now}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is what an APIKey's config.baseURL should be.
func (s *Server) BaseURL() string { return s.URL }

// Calls is the number of requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// LastRequest returns the last request received.
func (s *Server) LastRequest() Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		return Request{}
	}
	return s.reqs[len(s.reqs)-1]
}

// Requests returns every request received, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// LastBody decodes the last request body into a map.
func (s *Server) LastBody() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(s.LastRequest().Body, &m)
	return m
}

func (s *Server) requestID() string {
	return fmt.Sprintf("fake-req-%06d", s.seq.Add(1))
}

// writeError answers like AWS: the exception name in x-amzn-ErrorType (sent
// in AWS's own spelling, not Go's canonical one) and {"message":...}.
func (s *Server) writeError(w http.ResponseWriter, status int, exception, msg string) {
	h := w.Header()
	h["x-amzn-ErrorType"] = []string{exception + ":http://internal.amazon.com/coral/com.amazon.bedrock/"}
	h["x-amzn-RequestId"] = []string{s.requestID()}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
}

// failures maps a status to the exception Bedrock answers it with.
var failures = map[int]string{
	400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException",
	408: "ModelTimeoutException", 424: "ModelErrorException", 429: "ThrottlingException",
	500: "InternalServerException", 503: "ServiceUnavailableException",
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	rawPath, _, _ := strings.Cut(r.RequestURI, "?")
	rec := Request{RawPath: rawPath, Header: r.Header.Clone(), Body: body}
	seg := strings.Split(rawPath, "/")
	if len(seg) == 4 && seg[1] == "model" {
		rec.Op = seg[3]
		rec.ModelID, _ = url.PathUnescape(seg[2])
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, rec)
	s.mu.Unlock()

	if r.Method != http.MethodPost || rec.ModelID == "" ||
		(rec.Op != "converse" && rec.Op != "converse-stream" && rec.Op != "invoke") {
		s.writeError(w, 404, "UnknownOperationException", "")
		return
	}
	if f := verify(r, body, s.Now()); f != nil {
		s.writeError(w, f.status, f.exception, f.message)
		return
	}
	model := rec.ModelID
	if status, ok := failStatus(model); ok {
		exc, ok := failures[status]
		if !ok {
			status, exc = 500, "InternalServerException"
		}
		s.writeError(w, status, exc, fmt.Sprintf("fake upstream failure %d", status))
		return
	}
	if strings.Contains(model, "slow") {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
	switch rec.Op {
	case "invoke":
		s.invoke(w, model, body)
	default:
		var req cRequest
		if err := decodeStrict(body, &req); err != nil {
			s.writeError(w, 400, "ValidationException", "Malformed input request: "+err.Error()+", please reformat your input and try again.")
			return
		}
		if msg := validate(&req); msg != "" {
			s.writeError(w, 400, "ValidationException", msg)
			return
		}
		ans := s.answer(model, &req)
		if rec.Op == "converse" {
			s.converse(w, ans)
		} else {
			s.converseStream(w, r, model, ans)
		}
	}
}

// failStatus reads the status of a "fail-<status>" model id.
func failStatus(model string) (int, bool) {
	i := strings.Index(model, "fail-")
	if i < 0 {
		return 0, false
	}
	d := model[i+5:]
	n := 0
	for n < len(d) && n < 3 && d[n] >= '0' && d[n] <= '9' {
		n++
	}
	status, err := strconv.Atoi(d[:n])
	return status, err == nil
}
