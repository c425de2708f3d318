package sse

import "bufio"

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	doneEvent  = []byte("data: [DONE]\n\n")
)

// WriteData writes one "data:" event. payload must be a single line (JSON is).
func WriteData(w *bufio.Writer, payload []byte) error {
	_, _ = w.Write(dataPrefix)
	_, _ = w.Write(payload)
	_, err := w.Write(eventEnd)
	return err
}

// WriteEvent writes a named event.
func WriteEvent(w *bufio.Writer, name string, payload []byte) error {
	_, _ = w.WriteString("event: ")
	_, _ = w.WriteString(name)
	_, _ = w.WriteString("\n")
	return WriteData(w, payload)
}

// WriteDone writes OpenAI's terminal "data: [DONE]" event.
func WriteDone(w *bufio.Writer) error {
	_, err := w.Write(doneEvent)
	return err
}
