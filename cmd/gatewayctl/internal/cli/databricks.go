package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/databricks/databricks-sdk-go/config"
)

// databricksTokens authenticates gatewayctl to a gateway running as a
// Databricks App: the Apps proxy in front of it accepts a workspace OAuth
// token, which databricks-sdk-go's unified auth gets from a profile in
// ~/.databrickscfg (including one `databricks auth login` set up) or from
// OAuth M2M with a client id and secret. The SDK caches and refreshes it.
type databricksTokens struct {
	cfg *config.Config
}

// databricksConfig builds the SDK configuration from gatewayctl's environment
// (and --profile). It reads DATABRICKS_* through getenv rather than letting
// the SDK read the process environment, so what gatewayctl uses is what it
// was given; the profile file is still the SDK's to read.
func databricksConfig(getenv func(string) string, profile string) *config.Config {
	cfg := &config.Config{
		Host:         getenv("DATABRICKS_HOST"),
		Token:        getenv("DATABRICKS_TOKEN"),
		ClientID:     getenv("DATABRICKS_CLIENT_ID"),
		ClientSecret: getenv("DATABRICKS_CLIENT_SECRET"),
		Profile:      profile,
		ConfigFile:   getenv("DATABRICKS_CONFIG_FILE"),
		AuthType:     getenv("DATABRICKS_AUTH_TYPE"),
		Loaders:      []config.Loader{config.ConfigFile},
		// The workspace's /.well-known/databricks-config only tells the SDK
		// how to address workspace APIs, which gatewayctl never calls; the
		// lookup would cost a round trip and a warning on stderr.
		HostMetadataResolver: func(context.Context, string) (*config.HostMetadata, error) { return nil, nil },
	}
	if cfg.Profile == "" {
		cfg.Profile = getenv("DATABRICKS_CONFIG_PROFILE")
	}
	return cfg
}

// wantsDatabricks reports whether the environment asks for Databricks auth.
func wantsDatabricks(getenv func(string) string, profile string) bool {
	if profile != "" {
		return true
	}
	for _, k := range []string{"DATABRICKS_CONFIG_PROFILE", "DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID"} {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// Token implements client.TokenSource.
func (d *databricksTokens) Token(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://gatewayctl.invalid/", nil)
	if err != nil {
		return "", err
	}
	if err := d.cfg.Authenticate(req); err != nil {
		return "", fmt.Errorf("databricks auth: %w", err)
	}
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return "", errors.New("databricks auth: the configured method gives no bearer token; use a profile with OAuth (databricks auth login) or a client id and secret")
	}
	return tok, nil
}
