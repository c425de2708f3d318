// Package daemon wires gatewayd together: the manifest and secret stores, the
// controller, the data plane and the HTTP listener. cmd/gatewayd only parses
// flags and calls Run, so tests can start a real gateway in-process.
package daemon

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Config is gatewayd's configuration; every flag has an environment variable.
type Config struct {
	Listen       string
	Manifests    string
	DataDir      string
	WorkspaceDir string
	SecretScope  string
	AdminToken   string
	SecretKey    string
	LogLevel     string
	LogFormat    string
	// DebugListen, when set, serves net/http/pprof on this loopback address.
	DebugListen string
	// WorkspacePoll is how often the workspace folder is polled (a Go
	// duration; empty means the store's default, 5s).
	WorkspacePoll string
	// DatabricksApp is true inside a Databricks App (DATABRICKS_APP_PORT set):
	// the platform's proxy authenticates users and forwards their identity.
	DatabricksApp bool
}

// flagSpec ties a flag to its environment variable and default.
type flagSpec struct {
	name, env, def, usage string
	dst                   *string
}

func (c *Config) specs(getenv func(string) string) []flagSpec {
	listen := "127.0.0.1:8000"
	if port := getenv("DATABRICKS_APP_PORT"); port != "" {
		// Inside a Databricks App the platform's proxy connects from outside
		// the container, so bind every interface on the port it assigns.
		listen = "0.0.0.0:" + port
	}
	return []flagSpec{
		{"listen", "GATEWAY_LISTEN", listen, "address to serve on", &c.Listen},
		{"manifests", "GATEWAY_MANIFESTS", "./manifests", "folder of Endpoint and APIKey manifests", &c.Manifests},
		{"data-dir", "GATEWAY_DATA_DIR", "./.gateway-data", "folder for the local secret store and its key", &c.DataDir},
		{"workspace-dir", "GATEWAY_WORKSPACE_DIR", "", "Databricks workspace folder holding the manifests (instead of --manifests)", &c.WorkspaceDir},
		{"secret-scope", "GATEWAY_SECRET_SCOPE", "", "Databricks secret scope holding credentials (instead of the local store)", &c.SecretScope},
		{"workspace-poll", "GATEWAY_WORKSPACE_POLL", "", "how often to poll --workspace-dir for changes, e.g. 10s (default 5s)", &c.WorkspacePoll},
		{"log-level", "GATEWAY_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"log-format", "GATEWAY_LOG_FORMAT", "text", "text or json", &c.LogFormat},
		{"debug-listen", "GATEWAY_DEBUG_LISTEN", "", "loopback address to serve Go profiles on (/debug/pprof/); off when empty", &c.DebugListen},
	}
}

// ParseConfig reads flags, falling back to environment variables, then defaults.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("gatewayd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range c.specs(getenv) {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.name, def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gatewayd [flags]\n\nServes the AI gateway. Every flag can also be set through the environment variable shown.")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nAlso read from the environment: GATEWAY_ADMIN_TOKEN (bearer token for the management API), GATEWAY_SECRET_KEY (key of the local secret store).")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.AdminToken = getenv("GATEWAY_ADMIN_TOKEN")
	c.DatabricksApp = getenv("DATABRICKS_APP_PORT") != ""
	c.SecretKey = getenv("GATEWAY_SECRET_KEY")
	return c, nil
}

// Logger builds the process logger from the configuration.
func (c *Config) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: must be debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: must be text or json", c.LogFormat)
	}
}
