package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/controlplane/client"
)

func (a *app) chatCommand() *cobra.Command {
	var (
		noStream bool
		system   string
	)
	c := &cobra.Command{
		Use:   `chat ENDPOINT ["TEXT"]`,
		Short: "Send one chat message to an Endpoint and print the answer as it streams",
		Long: `Chat sends TEXT (or, without it, standard input when it is not a terminal) as a user
message to the Endpoint through the gateway's OpenAI-compatible route
(/gateway/mlflow/v1/chat/completions) and prints the answer as it streams in.`,
		Example: `  gatewayctl chat mock-chat "hello there"
  echo "summarise this" | gatewayctl chat my-chat --system "Be brief." --no-stream`,
		Args: argsBetween(1, 2, `an ENDPOINT and optionally "TEXT"`),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := ""
			if len(args) == 2 {
				text = args[1]
			} else {
				if a.io.StdinIsTerminal {
					return usagef(`give the message: gatewayctl chat %s "TEXT"`, args[0])
				}
				b, err := io.ReadAll(a.io.In)
				if err != nil {
					return fmt.Errorf("read standard input: %w", err)
				}
				text = strings.TrimSpace(string(b))
			}
			if text == "" {
				return usagef("the message is empty")
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			var msgs []client.Message
			if system != "" {
				msgs = append(msgs, client.Message{Role: "system", Content: system})
			}
			msgs = append(msgs, client.Message{Role: "user", Content: text})
			wrote := false
			err = cl.Chat(cmd.Context(), client.ChatRequest{Endpoint: args[0], Messages: msgs, Stream: !noStream},
				func(delta string) error {
					wrote = true
					_, err := io.WriteString(a.io.Out, delta)
					return err
				})
			if wrote {
				fmt.Fprintln(a.io.Out)
			}
			return err
		},
	}
	c.Flags().BoolVar(&noStream, "no-stream", false, "wait for the whole answer instead of streaming it")
	c.Flags().StringVar(&system, "system", "", "a system message sent before TEXT")
	return c
}
