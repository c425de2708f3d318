// Package cli is gatewayctl: the command tree (cobra), its flags, output and
// exit codes. cmd/gatewayctl's main only wires the process's standard streams
// and environment into Run, so tests run the real commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ai-gateway/gateway/controlplane/client"
)

// Exit codes (DESIGN §5).
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitDiffError is what diff returns on an error, since its 1 means
	// "there are differences" (as kubectl diff's >1 does).
	ExitDiffError = 3
)

// IO is everything the commands touch outside the process: injected so that
// tests can run gatewayctl in-process.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// Getenv reads the environment; nil reads nothing.
	Getenv func(string) string
	// StdinIsTerminal is true when In is an interactive terminal (so that
	// `create apikey` does not wait on it for a credential).
	StdinIsTerminal bool
	// HTTPClient talks to the gateway; nil means a default client.
	HTTPClient *http.Client
	// Version is gatewayctl's version (set with -ldflags in main).
	Version string
}

// app is the state shared by the commands of one run.
type app struct {
	io      IO
	server  string // --server
	profile string // --profile
	dbx     *databricksTokens
}

func (a *app) getenv(k string) string {
	if a.io.Getenv == nil {
		return ""
	}
	return a.io.Getenv(k)
}

// serverURL is --server, else $GATEWAY_URL, else the default.
func (a *app) serverURL() string {
	if a.server != "" {
		return a.server
	}
	if v := a.getenv("GATEWAY_URL"); v != "" {
		return v
	}
	return client.DefaultServer
}

// tokenSource picks how gatewayctl authenticates to the gateway:
// $GATEWAY_TOKEN as a static bearer token (the server's GATEWAY_ADMIN_TOKEN),
// else Databricks auth when --profile or DATABRICKS_* ask for it (a gateway
// deployed as a Databricks App sits behind the Apps proxy, which takes a
// workspace OAuth token), else nothing (a local gateway on loopback).
func (a *app) tokenSource() client.TokenSource {
	if t := a.getenv("GATEWAY_TOKEN"); t != "" {
		return client.StaticToken(t)
	}
	if wantsDatabricks(a.getenv, a.profile) {
		if a.dbx == nil {
			a.dbx = &databricksTokens{cfg: databricksConfig(a.getenv, a.profile)}
		}
		return a.dbx
	}
	return nil
}

func (a *app) client() (*client.Client, error) {
	return client.New(client.Options{Server: a.serverURL(), Tokens: a.tokenSource(),
		HTTPClient: a.io.HTTPClient, UserAgent: "gatewayctl/" + a.io.Version})
}

// usageError is a bad command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError ends a command with a code; err, when set, is reported first.
// A nil err means the command has already said what went wrong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// errSilent ends a command with exit 1 after it has printed its errors.
var errSilent = &exitError{code: ExitError}

// runError marks an error returned by a command's own code, as opposed to
// one cobra produced while parsing (an unknown command or flag, bad
// arguments), which is a usage error.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }

// Run runs gatewayctl with args (without the program name) and returns the
// exit code.
func Run(ctx context.Context, args []string, sio IO) int {
	if sio.In == nil {
		sio.In = strings.NewReader("")
	}
	if sio.Out == nil {
		sio.Out = io.Discard
	}
	if sio.Err == nil {
		sio.Err = io.Discard
	}
	if sio.Version == "" {
		sio.Version = "dev"
	}
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	a := &app{io: sio}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(sio.In)
	root.SetOut(sio.Out)
	root.SetErr(sio.Err)
	markRunErrors(root)
	cmd, err := root.ExecuteContextC(ctx)
	return a.report(cmd, err)
}

// markRunErrors wraps every command's RunE so that its errors are told apart
// from cobra's parsing errors.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := run(cmd, args); err != nil {
				return &runError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// report prints err (if any) and returns the exit code.
func (a *app) report(cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	w := a.io.Err
	var re *runError
	if !errors.As(err, &re) {
		// cobra's own: an unknown command or flag, or wrong arguments.
		return a.usage(cmd, err)
	}
	err = re.err
	var ue *usageError
	if errors.As(err, &ue) {
		return a.usage(cmd, err)
	}
	code := ExitError
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
		err = ee.err
	}
	a.printError(w, err)
	return code
}

func (a *app) usage(cmd *cobra.Command, err error) int {
	fmt.Fprintf(a.io.Err, "error: %v\n", err)
	path := "gatewayctl"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(a.io.Err, "Run '%s --help' for usage.\n", path)
	return ExitUsage
}

// printError prints an error with the API's message and details, and a hint
// for the usual causes.
func (a *app) printError(w io.Writer, err error) {
	fmt.Fprintf(w, "error: %v\n", err)
	var ae *client.APIError
	if errors.As(err, &ae) {
		for _, d := range ae.Details {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	switch {
	case client.IsUnauthorized(err) && a.getenv("GATEWAY_TOKEN") == "":
		fmt.Fprintln(w, "hint: the gateway wants a token: export GATEWAY_TOKEN=<the server's GATEWAY_ADMIN_TOKEN>")
	case client.IsUnauthorized(err):
		fmt.Fprintln(w, "hint: the gateway refused the token in GATEWAY_TOKEN; it must equal the server's GATEWAY_ADMIN_TOKEN")
	}
	var ce *client.ConnectError
	if errors.As(err, &ce) {
		fmt.Fprintf(w, "hint: is gatewayd running at %s? Point gatewayctl at it with --server or GATEWAY_URL\n", ce.Server)
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "gatewayctl",
		Short: "gatewayctl manages an AI gateway's Endpoints and APIKeys",
		Long: `gatewayctl manages an AI gateway (gatewayd) the way kubectl manages a cluster:
apply manifests, get and describe what is served, diff before a change.

The gateway is --server, else $GATEWAY_URL, else ` + client.DefaultServer + `.
The management API token is read from $GATEWAY_TOKEN and sent as a bearer token.
For a gateway deployed as a Databricks App, gatewayctl authenticates to the workspace
instead: --profile (or DATABRICKS_CONFIG_PROFILE) names a ~/.databrickscfg profile,
or DATABRICKS_HOST with DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET use OAuth M2M.

Exit codes: 0 success, 1 error, 2 usage (bad flags or arguments);
diff: 0 no differences, 1 differences, 2 usage, 3 error.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().StringVar(&a.server, "server", "", "gateway URL (env GATEWAY_URL, default "+client.DefaultServer+")")
	root.PersistentFlags().StringVar(&a.profile, "profile", "", "Databricks profile in ~/.databrickscfg to authenticate with, for a gateway deployed as a Databricks App (env DATABRICKS_CONFIG_PROFILE)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err.Error()} })
	root.AddCommand(a.applyCommand(), a.getCommand(), a.describeCommand(), a.deleteCommand(), a.diffCommand(),
		a.validateCommand(), a.createCommand(), a.chatCommand(), a.versionCommand())
	return root
}

// argsBetween validates the number of positional arguments.
func argsBetween(minN, maxN int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < minN || (maxN >= 0 && len(args) > maxN) {
			return usagef("%s: want %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// stdinIsTerminal reports whether f is a terminal: a character device other
// than the null device (</dev/null is a character device too, and reads as
// empty input rather than waiting for someone to type).
func stdinIsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// StdIO is the IO of a real process.
func StdIO(version string) IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv,
		StdinIsTerminal: stdinIsTerminal(os.Stdin), Version: version}
}
