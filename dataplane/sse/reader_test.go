package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(r *Reader) ([]string, error) {
	var out []string
	for {
		ev, err := r.Next()
		if err != nil {
			return out, err
		}
		s := string(ev.Data)
		if len(ev.Name) > 0 {
			s = string(ev.Name) + "|" + s
		}
		out = append(out, s)
	}
}

func TestDataReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr error
	}{
		{name: "openai stream", in: "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n", want: []string{`{"a":1}`, `{"a":2}`}, wantErr: io.EOF},
		{name: "crlf framing", in: "data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n", want: []string{`{"a":1}`}, wantErr: io.EOF},
		{name: "no space after colon", in: "data:{\"a\":1}\n\ndata:[DONE]\n\n", want: []string{`{"a":1}`}, wantErr: io.EOF},
		{name: "comments and keep-alives skipped", in: ": ping\n\ndata: x\n\n: ping\n\ndata: [DONE]\n\n", want: []string{"x"}, wantErr: io.EOF},
		{name: "multi-line data joined", in: "data: {\"a\":\ndata: 1}\n\ndata: [DONE]\n\n", want: []string{"{\"a\":\n1}"}, wantErr: io.EOF},
		{name: "truncated stream", in: "data: x\n\n", want: []string{"x"}, wantErr: ErrTruncated},
		{name: "last event without blank line", in: "data: x\n\ndata: y", want: []string{"x", "y"}, wantErr: ErrTruncated},
		{name: "event name kept", in: "event: message_start\ndata: {}\n\ndata: [DONE]\n\n", want: []string{"message_start|{}"}, wantErr: io.EOF},
		{name: "empty body", in: "", wantErr: ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time proves events spanning reads are reassembled.
			got, err := readAll(NewDataReader(iotest.OneByteReader(strings.NewReader(tt.in))))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if strings.Join(got, "\n--\n") != strings.Join(tt.want, "\n--\n") {
				t.Fatalf("events = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNamedEventReaderEndsAtEOF(t *testing.T) {
	in := "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n"
	got, err := readAll(NewReader(strings.NewReader(in), nil))
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	if strings.Join(got, ",") != "a|1,b|2" {
		t.Fatalf("events = %q", got)
	}
}

func TestLongEventBeyondBuffer(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	got, err := readAll(NewDataReader(strings.NewReader("data: " + long + "\n\ndata: [DONE]\n\n")))
	if err != io.EOF || len(got) != 1 || got[0] != long {
		t.Fatalf("err = %v, %d events", err, len(got))
	}
}

func TestWriters(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	_ = WriteData(w, []byte(`{"x":1}`))
	_ = WriteEvent(w, "ping", []byte(`{}`))
	_ = WriteDone(w)
	_ = w.Flush()
	want := "data: {\"x\":1}\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n"
	if b.String() != want {
		t.Fatalf("got %q want %q", b.String(), want)
	}
	// What the writers produce, the reader reads back.
	got, err := readAll(NewDataReader(&b))
	if err != io.EOF || strings.Join(got, ",") != `{"x":1},ping|{}` {
		t.Fatalf("round trip: %q %v", got, err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: x\r\ndata: y\r\n\r\n"))
	f.Add([]byte(": c\n\ndata\n\ndata:\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewDataReader(bytes.NewReader(in))
		for i := 0; i < 10000; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if bytes.Equal(ev.Data, []byte("[DONE]")) {
				t.Fatal("terminal marker returned as an event")
			}
		}
		t.Fatal("reader did not finish")
	})
}
