package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ai-gateway/gateway/controlplane/internal/dbx"
	"github.com/ai-gateway/gateway/controlplane/secrets"
	dbxsecrets "github.com/ai-gateway/gateway/controlplane/secrets/databricks"
	"github.com/ai-gateway/gateway/controlplane/secrets/localfile"
	"github.com/ai-gateway/gateway/controlplane/store"
	dbxstore "github.com/ai-gateway/gateway/controlplane/store/databricks"
	"github.com/ai-gateway/gateway/controlplane/store/localdir"
)

// startupCheckTimeout bounds the calls that check the workspace folder and
// the secret scope at startup.
const startupCheckTimeout = time.Minute

// DatabricksConfigHook adjusts the Databricks client configuration after it
// is read from the environment (Options.DatabricksConfig; tests use it to
// shorten retries). gatewayd's client is controlplane/internal/dbx, not
// databricks-sdk-go, which costs about 8 MB of idle memory and 10 MB of binary.
type DatabricksConfigHook = func(*dbx.Config)

// stores are where the controller reads manifests and secrets.
type stores struct {
	manifests store.Store
	secrets   secrets.Store
	// manifestsAt and secretsAt say where, for the startup log line.
	manifestsAt, secretsAt string
}

// openStores opens the stores cfg names: by default the local folder
// (--manifests) and the local encrypted file (--data-dir); --workspace-dir
// moves manifests to a Databricks workspace folder and --secret-scope moves
// secrets to Databricks secrets. The two are independent, so a developer can
// try either half locally; a Databricks App needs both, because its disk does
// not survive a restart. Both share one dbx client, authenticated from the
// environment as unified auth does (a token, an App's OAuth M2M, a profile).
//
// Startup fails on what needs a person (no credentials, no permission, a
// missing scope, a file where the folder should be) and only warns on an
// outage, which the controller rides out by retrying.
func openStores(ctx context.Context, cfg *Config, o Options, log *slog.Logger) (*stores, error) {
	var poll time.Duration // zero: the store's default
	if cfg.WorkspacePoll != "" {
		var err error
		if poll, err = time.ParseDuration(cfg.WorkspacePoll); err != nil || poll <= 0 {
			return nil, fmt.Errorf("--workspace-poll %q: must be a positive duration such as 5s", cfg.WorkspacePoll)
		}
	}
	if cfg.SecretScope != "" {
		if err := dbxsecrets.ValidScope(cfg.SecretScope); err != nil {
			return nil, fmt.Errorf("--secret-scope: %w", err)
		}
	}
	ss := &stores{}
	var c *dbx.Client
	if cfg.WorkspaceDir != "" || cfg.SecretScope != "" {
		var err error
		c, err = dbx.NewClient(dbx.Options{Getenv: o.Getenv, Configure: o.DatabricksConfig})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", databricksFlags(cfg), err)
		}
		log.Info("databricks workspace", "host", c.Host(), "auth", c.AuthType())
	}
	checkCtx, cancel := context.WithTimeout(ctx, startupCheckTimeout)
	defer cancel()

	if cfg.WorkspaceDir != "" {
		st, err := dbxstore.New(c, cfg.WorkspaceDir, dbxstore.Options{PollInterval: poll, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("--workspace-dir: %w", err)
		}
		if err := startupCheck(st.Check(checkCtx), "--workspace-dir", log); err != nil {
			return nil, err
		}
		ss.manifests, ss.manifestsAt = st, "databricks workspace "+st.Dir()
	} else {
		st, err := localdir.New(cfg.Manifests, localdir.Options{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open manifest folder: %w", err)
		}
		ss.manifests, ss.manifestsAt = st, st.Dir()
	}

	if cfg.SecretScope != "" {
		sec := dbxsecrets.New(c, dbxsecrets.Options{Logger: log})
		if err := startupCheck(sec.CheckScope(checkCtx, cfg.SecretScope), "--secret-scope", log); err != nil {
			return nil, err
		}
		ss.secrets, ss.secretsAt = sec, "databricks secret scope "+cfg.SecretScope
	} else {
		sec, err := localfile.Open(cfg.DataDir, localfile.Options{Key: cfg.SecretKey, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("open secret store: %w", err)
		}
		ss.secrets, ss.secretsAt = sec, cfg.DataDir
		if cfg.DatabricksApp {
			log.Warn("secrets are kept in the local store, which a Databricks App loses on restart; set --secret-scope (GATEWAY_SECRET_SCOPE)",
				"data_dir", cfg.DataDir)
		}
	}
	return ss, nil
}

// startupCheck turns a failed startup check into an error, unless the
// failure is transient: then it warns and lets the controller retry.
func startupCheck(err error, flag string, log *slog.Logger) error {
	switch {
	case err == nil:
		return nil
	case dbx.IsTransient(err):
		log.Warn("the Databricks workspace did not answer at startup; starting anyway and retrying in the background",
			"flag", flag, "error", err)
		return nil
	default:
		return fmt.Errorf("%s: %w", flag, err)
	}
}

func databricksFlags(cfg *Config) string {
	switch {
	case cfg.WorkspaceDir != "" && cfg.SecretScope != "":
		return "--workspace-dir and --secret-scope"
	case cfg.WorkspaceDir != "":
		return "--workspace-dir"
	default:
		return "--secret-scope"
	}
}
