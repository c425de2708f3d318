package dbx

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// errNoHost says what to set; a Databricks App sets it all itself.
var errNoHost = errors.New("no Databricks workspace configured: set DATABRICKS_HOST (with DATABRICKS_TOKEN, " +
	"or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET), or DATABRICKS_CONFIG_PROFILE; " +
	"a Databricks App sets these itself")

// resolve builds the configuration as unified auth does: the environment
// first, then a profile for what is still unset, then Configure; and checks
// that exactly one supported auth method remains.
func resolve(o Options) (Config, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	cfg := Config{RetryTimeout: RetryTimeout, HTTPTimeout: HTTPTimeout}
	loadEnv(&cfg, getenv)
	if err := loadProfile(&cfg, getenv); err != nil {
		return Config{}, err
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	if cfg.RetryTimeout <= 0 {
		cfg.RetryTimeout = RetryTimeout
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = HTTPTimeout
	}
	if cfg.Host == "" {
		return Config{}, errNoHost
	}
	host, err := normalizeHost(cfg.Host)
	if err != nil {
		return Config{}, err
	}
	cfg.Host = host
	if cfg.AuthType, err = authType(cfg); err != nil {
		return Config{}, fmt.Errorf("databricks configuration: %w", err)
	}
	return cfg, nil
}

// loadEnv fills what is unset from the DATABRICKS_* variables; an empty
// variable counts as unset (so DATABRICKS_TOKEN= hides a token).
func loadEnv(cfg *Config, getenv func(string) (string, bool)) {
	for _, f := range []struct {
		dst *string
		env string
	}{
		{&cfg.Host, "DATABRICKS_HOST"},
		{&cfg.Token, "DATABRICKS_TOKEN"},
		{&cfg.ClientID, "DATABRICKS_CLIENT_ID"},
		{&cfg.ClientSecret, "DATABRICKS_CLIENT_SECRET"},
		{&cfg.AuthType, "DATABRICKS_AUTH_TYPE"},
		{&cfg.Profile, "DATABRICKS_CONFIG_PROFILE"},
		{&cfg.ConfigFile, "DATABRICKS_CONFIG_FILE"},
	} {
		if *f.dst != "" {
			continue
		}
		if v, ok := getenv(f.env); ok && v != "" {
			*f.dst = v
		}
	}
}

// loadProfile fills what is unset from a ~/.databrickscfg profile, with the
// SDK's rules: without DATABRICKS_CONFIG_PROFILE the file is read only when
// neither a host nor a credential is set, and then its [DEFAULT] section (or
// [__settings__] default_profile) is used if present; a profile asked for by
// name must exist.
func loadProfile(cfg *Config, getenv func(string) (string, bool)) error {
	if cfg.Profile == "" && (cfg.Host != "" || cfg.Token != "" || cfg.ClientID != "" || cfg.ClientSecret != "") {
		return nil
	}
	file := cfg.ConfigFile
	if file == "" {
		file = "~/.databrickscfg"
	}
	if rest, ok := strings.CutPrefix(file, "~"); ok {
		home, _ := getenv("HOME")
		if home == "" {
			if cfg.Profile != "" {
				return fmt.Errorf("DATABRICKS_CONFIG_PROFILE %s: cannot find %s without HOME", cfg.Profile, file)
			}
			return nil
		}
		file = home + rest
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		if cfg.Profile != "" {
			return fmt.Errorf("DATABRICKS_CONFIG_PROFILE %s: %s does not exist", cfg.Profile, file)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	sections, err := parseINI(data)
	if err != nil {
		return fmt.Errorf("parse %s: %w", file, err)
	}
	name, fallback := cfg.Profile, false
	if name == "" {
		name = sections["__settings__"]["default_profile"]
	}
	if name == "" {
		name, fallback = "DEFAULT", true
	}
	if name == "__settings__" {
		return fmt.Errorf("%s: __settings__ is a reserved section name and cannot be used as a profile", file)
	}
	values := sections[name]
	if len(values) == 0 {
		if fallback {
			return nil
		}
		return fmt.Errorf("%s has no %s profile configured", file, name)
	}
	for _, f := range []struct {
		dst *string
		key string
	}{
		{&cfg.Host, "host"}, {&cfg.Token, "token"}, {&cfg.ClientID, "client_id"},
		{&cfg.ClientSecret, "client_secret"}, {&cfg.AuthType, "auth_type"},
	} {
		if *f.dst == "" {
			*f.dst = values[f.key]
		}
	}
	cfg.Profile = name
	return nil
}

// parseINI reads the .databrickscfg format as the SDK's INI library does
// with its options: [section] headers (keys before the first header go to
// DEFAULT), "key = value" or "key: value", whole-line comments starting with
// # or ;, inline comments only after a space (a token may contain '#'), and
// surrounding quotes removed.
func parseINI(data []byte) (map[string]map[string]string, error) {
	sections := map[string]map[string]string{}
	section := "DEFAULT"
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if n == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed section header", n+1)
			}
			section = strings.TrimSpace(line[1:end])
			if sections[section] == nil {
				sections[section] = map[string]string{}
			}
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			// A line that is not key = value is an error, without echoing it
			// (it may hold a token).
			return nil, fmt.Errorf("line %d: want key = value", n+1)
		}
		if sections[section] == nil {
			sections[section] = map[string]string{}
		}
		sections[section][strings.TrimSpace(line[:i])] = iniValue(strings.TrimSpace(line[i+1:]))
	}
	return sections, nil
}

func iniValue(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : end+1]
		}
	}
	for i := 1; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[:i])
		}
	}
	return v
}

// normalizeHost turns "adb-1.azuredatabricks.net", "https://h/?o=1" or
// "https://h/some/page" into "https://h".
func normalizeHost(h string) (string, error) {
	raw := h
	if !strings.Contains(h, "://") {
		raw = "https://" + h
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("DATABRICKS_HOST %q is not a workspace URL", h)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("DATABRICKS_HOST %q: want an https:// URL", h)
	}
	return u.Scheme + "://" + u.Host, nil
}

// authType picks the auth method, refusing what is incomplete or ambiguous.
func authType(cfg Config) (string, error) {
	pat, m2m := cfg.Token != "", cfg.ClientID != "" || cfg.ClientSecret != ""
	m2mComplete := cfg.ClientID != "" && cfg.ClientSecret != ""
	switch cfg.AuthType {
	case AuthPAT:
		if !pat {
			return "", errors.New("auth type pat needs DATABRICKS_TOKEN")
		}
		return AuthPAT, nil
	case AuthM2M:
		if !m2mComplete {
			return "", errors.New("auth type oauth-m2m needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET")
		}
		return AuthM2M, nil
	case "":
	default:
		return "", fmt.Errorf("auth type %q is not supported by gatewayd: use %s (DATABRICKS_TOKEN) or %s (DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)",
			cfg.AuthType, AuthPAT, AuthM2M)
	}
	switch {
	case pat && m2m:
		// The SDK's wording; it also fails rather than guess.
		return "", errors.New("more than one authorization method configured: oauth and pat " +
			"(set DATABRICKS_AUTH_TYPE to pat or oauth-m2m to choose)")
	case pat:
		return AuthPAT, nil
	case m2mComplete:
		return AuthM2M, nil
	case m2m:
		return "", errors.New("OAuth M2M needs both DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET")
	default:
		return "", errors.New("no credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, " +
			"or DATABRICKS_CONFIG_PROFILE")
	}
}
