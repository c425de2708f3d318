// Package dbx builds the Databricks SDK client that gatewayd's workspace-file
// store and secret store share, and holds what both need around it: unified
// auth read from an injectable environment, bounded retries, an slog bridge
// for the SDK's own log lines and the transient/permanent error split.
//
// It uses the SDK's small client.New path instead of
// databricks.NewWorkspaceClient, which links every service into the binary
// (about 8 MB more; a Databricks App rejects files over 10 MB).
package dbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/logger"
)

const (
	// RetryTimeout bounds the SDK's own retries of 429, 503 and I/O errors.
	// Its default (300s) would hold a reconcile pass, and every write through
	// the management API, for five minutes during a workspace outage.
	RetryTimeout = 20 * time.Second
	// HTTPTimeout bounds one HTTP exchange.
	HTTPTimeout = 30 * time.Second
	// CallTimeout is the deadline the stores put on each API call (retries
	// included), so no caller waits on the workspace without bound.
	CallTimeout = 45 * time.Second
)

// Options configure NewClient.
type Options struct {
	// Getenv reads the DATABRICKS_* variables of unified auth; nil means
	// os.LookupEnv. Tests inject a map so the real environment never leaks in.
	Getenv func(string) (string, bool)
	// Configure, when set, adjusts the configuration last (tests: skip host
	// metadata discovery, shorten retries).
	Configure func(*config.Config)
}

// NewClient resolves the SDK configuration from the environment the way every
// Databricks tool does (DATABRICKS_HOST with DATABRICKS_TOKEN, or
// DATABRICKS_CLIENT_ID/SECRET as a Databricks App injects them, or a
// ~/.databrickscfg profile) and returns a client. Authentication itself is
// lazy: the first API call reports bad credentials.
func NewClient(o Options) (*client.DatabricksClient, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	cfg := &config.Config{
		RetryTimeoutSeconds: int(RetryTimeout / time.Second),
		HTTPTimeoutSeconds:  int(HTTPTimeout / time.Second),
		Loaders:             []config.Loader{envLoader(getenv), config.ConfigFile},
	}
	if o.Configure != nil {
		o.Configure(cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("databricks configuration: %w", err)
	}
	if c.Config.Host == "" {
		return nil, errors.New("no Databricks workspace configured: set DATABRICKS_HOST (with DATABRICKS_TOKEN, " +
			"or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET), or DATABRICKS_CONFIG_PROFILE; " +
			"a Databricks App sets these itself")
	}
	return c, nil
}

// envLoader is the SDK's environment loader (config.ConfigAttributes) reading
// through getenv instead of os.Getenv.
type envLoader func(string) (string, bool)

func (envLoader) Name() string { return "environment" }

func (l envLoader) Configure(cfg *config.Config) error {
	for _, attr := range config.ConfigAttributes {
		if !attr.IsZero(cfg) {
			continue // set in code: the code wins, as with the SDK's own loader
		}
		for _, name := range attr.EnvVars {
			v, ok := l(name)
			if !ok || v == "" {
				continue
			}
			if err := attr.SetS(cfg, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			break
		}
	}
	return nil
}

// WithLogger returns ctx carrying log as the SDK's logger for the calls made
// with it. Only Info and above pass: the SDK's Debug and Trace lines dump
// request and response bodies, which carry secret values.
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return logger.NewContext(ctx, sdkLogger{log})
}

type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Enabled(ctx context.Context, level logger.Level) bool {
	return level >= logger.LevelInfo && l.log.Enabled(ctx, slog.Level(level))
}
func (sdkLogger) Tracef(context.Context, string, ...any) {}
func (sdkLogger) Debugf(context.Context, string, ...any) {}
func (l sdkLogger) Infof(ctx context.Context, format string, v ...any) {
	l.log.InfoContext(ctx, "databricks sdk: "+fmt.Sprintf(format, v...))
}
func (l sdkLogger) Warnf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "databricks sdk: "+fmt.Sprintf(format, v...))
}
func (l sdkLogger) Errorf(ctx context.Context, format string, v ...any) {
	l.log.ErrorContext(ctx, "databricks sdk: "+fmt.Sprintf(format, v...))
}

// IsTransient reports whether err may go away by itself: throttling, a 5xx,
// a timeout or a network failure. Anything else (bad credentials, missing
// permission, a missing folder or scope) needs a person.
func IsTransient(err error) bool {
	var apiErr *apierr.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}
