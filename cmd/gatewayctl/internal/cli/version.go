package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	var clientOnly bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print gatewayctl's version and the gateway's configuration generation",
		Long: `Version prints gatewayctl's version and, when the gateway answers, its address, whether it
is ready and its configuration generation (from /ready). An unreachable gateway is reported
but is not an error.`,
		Args: argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.io.Out, "gatewayctl %s\n", a.io.Version)
			if clientOnly {
				return nil
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			ri, err := cl.Ready(cmd.Context())
			if err != nil {
				fmt.Fprintf(a.io.Out, "server %s: %v\n", cl.Server(), err)
				return nil
			}
			fmt.Fprintf(a.io.Out, "server %s: %s, configuration generation %d, %d endpoints serving\n",
				cl.Server(), ri.Status, ri.Generation, ri.Endpoints)
			return nil
		},
	}
	c.Flags().BoolVar(&clientOnly, "client", false, "print only gatewayctl's version, without asking the gateway")
	return c
}
