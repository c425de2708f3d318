package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ai-gateway/gateway/dataplane/sse"
)

// ChatPath is the OpenAI-compatible chat route.
const ChatPath = "/gateway/mlflow/v1/chat/completions"

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is what Chat sends.
type ChatRequest struct {
	// Endpoint is the Endpoint's name (sent as "model").
	Endpoint string
	Messages []Message
	// Stream asks for server-sent events; OnDelta then sees each piece of
	// content as it arrives.
	Stream bool
}

// Chat sends a chat request. With Stream, onDelta is called with each content
// delta as it arrives; without, it is called once with the whole answer.
// An error answer (before or during the stream) is an *APIError.
func (c *Client) Chat(ctx context.Context, r ChatRequest, onDelta func(string) error) error {
	body, err := json.Marshal(map[string]any{"model": r.Endpoint, "messages": r.Messages, "stream": r.Stream})
	if err != nil {
		return err
	}
	req, err := c.request(ctx, http.MethodPost, ChatPath, nil, body, "application/json")
	if err != nil {
		return err
	}
	if r.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !r.Stream {
		var out struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return fmt.Errorf("read the answer: %w", err)
		}
		if err := json.Unmarshal(data, &out); err != nil {
			return fmt.Errorf("decode the answer: %w", err)
		}
		if len(out.Choices) == 0 {
			return errors.New("the answer has no choices")
		}
		return onDelta(out.Choices[0].Message.Content)
	}
	rd := sse.NewDataReader(resp.Body)
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, sse.ErrTruncated) {
			return errors.New("the stream ended before it was complete")
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("read the stream: %w", err)
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &chunk); err != nil {
			return fmt.Errorf("decode a stream event: %w", err)
		}
		if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
			return parseError(resp.StatusCode, ev.Data)
		}
		for _, ch := range chunk.Choices {
			if ch.Delta.Content == "" {
				continue
			}
			if err := onDelta(ch.Delta.Content); err != nil {
				return err
			}
		}
	}
}
