// Package sse reads and writes server-sent events the way LLM providers use
// them: OpenAI-style "data:"-only streams ending in [DONE], and named-event
// streams (Anthropic). Readers copy nothing they do not have to; a payload is
// valid until the next call.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrTruncated means the upstream closed the stream before its terminal marker:
// the answer is incomplete even though no error was reported.
var ErrTruncated = errors.New("stream ended before its final event")

// MaxEventSize bounds one event; a larger one is an error, not an allocation.
const MaxEventSize = 10 << 20

// Event is one server-sent event.
type Event struct {
	// Name is the "event:" field; empty for OpenAI-style streams.
	Name []byte
	// Data is the "data:" field, multi-line data joined with "\n".
	Data []byte
}

// Reader splits a stream into events.
type Reader struct {
	r    *bufio.Reader
	name []byte
	data []byte
	// Done is the data payload that ends the stream cleanly ("[DONE]" for
	// OpenAI); nil means the stream ends at EOF.
	done []byte
}

var bufPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}

// NewReader reads events from r. done is the terminal data payload, or nil
// when the stream ends at EOF (Anthropic, Gemini). Call Release when done to
// recycle its buffer.
func NewReader(r io.Reader, done []byte) *Reader {
	br := bufPool.Get().(*bufio.Reader)
	br.Reset(r)
	return &Reader{r: br, done: done}
}

// Release recycles the reader's buffer; the Reader must not be used after.
func (r *Reader) Release() {
	if r.r != nil {
		r.r.Reset(nil)
		bufPool.Put(r.r)
		r.r = nil
	}
}

// Drain reads and discards what is left of the stream, up to limit bytes, and
// reports whether it reached the end. Reading an HTTP body to its end after
// the terminal event lets the client reuse the connection.
func (r *Reader) Drain(limit int64) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(r.r, limit+1))
	return err == nil && n <= limit
}

var doneOpenAI = []byte("[DONE]")

// NewDataReader reads an OpenAI-style stream terminated by "data: [DONE]".
func NewDataReader(r io.Reader) *Reader { return NewReader(r, doneOpenAI) }

// Next returns the next event with a non-empty data field. At the terminal
// marker it returns io.EOF; if the stream ends without one (when one is
// expected) it returns ErrTruncated.
func (r *Reader) Next() (Event, error) {
	r.name = r.name[:0]
	r.data = r.data[:0]
	haveData := false
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				if haveData {
					return r.emit()
				}
				if r.done != nil {
					return Event{}, ErrTruncated
				}
				return Event{}, io.EOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if haveData {
				return r.emit()
			}
			r.name = r.name[:0]
			continue
		}
		if line[0] == ':' {
			continue // comment / keep-alive
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if haveData {
				r.data = append(r.data, '\n')
			}
			if len(r.data)+len(value) > MaxEventSize {
				return Event{}, fmt.Errorf("sse event larger than %d bytes", MaxEventSize)
			}
			r.data = append(r.data, value...)
			haveData = true
		case "event":
			r.name = append(r.name[:0], value...)
		}
	}
}

func (r *Reader) emit() (Event, error) {
	if r.done != nil && bytes.Equal(r.data, r.done) {
		return Event{}, io.EOF
	}
	return Event{Name: r.name, Data: r.data}, nil
}

// readLine returns one line without its terminator (\n, \r\n or \r\n\r\n
// style); the slice is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A long line: gather it with a copy, bounded by MaxEventSize.
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.r.ReadSlice('\n')
			buf = append(buf, line...)
			if len(buf) > MaxEventSize {
				return nil, fmt.Errorf("sse line longer than %d bytes", MaxEventSize)
			}
		}
		line = buf
	}
	if err != nil && !(err == io.EOF && len(line) > 0) {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}
