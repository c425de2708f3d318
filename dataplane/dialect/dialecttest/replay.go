// Package dialecttest holds what the dialects' tests share: replaying a
// unified (OpenAI chat) SSE transcript through a dialect's stream encoder.
package dialecttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ai-gateway/gateway/dataplane/dialect"
	"github.com/ai-gateway/gateway/dataplane/providers"
)

// Replay feeds a unified SSE transcript to enc the way the gateway would and
// returns what enc wrote. Each "data: " line is one event: "[DONE]" ends the
// stream cleanly (End); a payload starting with {"error" fails it (Fail)
// with that error's status (default 500), type, code, message and
// retry_after; anything else is a chunk. Other lines are ignored.
//
// Replay stops at the first error enc returns and hands it back with the
// output written so far, so that a test can tell an expected refusal (the
// Responses dialect stopping at a native-only event) from a failure.
func Replay(t testing.TB, enc dialect.StreamEncoder, transcript []byte) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	var err error
	for _, line := range strings.Split(string(transcript), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		switch {
		case data == "[DONE]":
			err = enc.End(w)
		case strings.HasPrefix(data, `{"error"`):
			err = enc.Fail(w, transcriptError(t, data))
		default:
			err = enc.Chunk(w, []byte(data))
		}
		if err != nil {
			break
		}
	}
	if ferr := w.Flush(); ferr != nil {
		t.Fatal(ferr)
	}
	return out.Bytes(), err
}

// transcriptError reads an error event of a transcript.
func transcriptError(t testing.TB, data string) *providers.Error {
	t.Helper()
	var e struct {
		Error struct {
			Message    string `json:"message"`
			Type       string `json:"type"`
			Code       string `json:"code"`
			Status     int    `json:"status"`
			RetryAfter string `json:"retry_after"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		t.Fatal(err)
	}
	status := e.Error.Status
	if status == 0 {
		status = 500
	}
	return &providers.Error{Status: status, Type: e.Error.Type, Code: e.Error.Code, Message: e.Error.Message,
		RetryAfter: e.Error.RetryAfter}
}
