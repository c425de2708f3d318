package dbx

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeHost(t *testing.T) {
	for _, tt := range []struct {
		in, want, wantErr string
	}{
		{in: "adb-123.4.azuredatabricks.net", want: "https://adb-123.4.azuredatabricks.net"},
		{in: "adb-123.4.azuredatabricks.net:443", want: "https://adb-123.4.azuredatabricks.net:443"},
		{in: "https://dbc-1.cloud.databricks.com/", want: "https://dbc-1.cloud.databricks.com"},
		{in: "https://dbc-1.cloud.databricks.com/?o=123#notebook/1", want: "https://dbc-1.cloud.databricks.com"},
		{in: "https://dbc-1.cloud.databricks.com/browse/folders/2", want: "https://dbc-1.cloud.databricks.com"},
		{in: "http://127.0.0.1:8080/x", want: "http://127.0.0.1:8080"},
		{in: "https://user:pw@h.example.com", want: "https://h.example.com"},
		{in: "localhost:8080", want: "https://localhost:8080"},
		{in: "ftp://h.example.com", wantErr: "https://"},
		{in: "https://", wantErr: "not a workspace URL"},
		{in: "::", wantErr: "not a workspace URL"},
	} {
		got, err := normalizeHost(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("normalizeHost(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeHost(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseINI(t *testing.T) {
	in := "\uFEFFhost = https://default.example.com\r\n" +
		"; a comment\n" +
		"# another\n" +
		"[prod]\n" +
		"host=https://prod.example.com  # inline comment\n" +
		"token = dapi#with#hashes\n" +
		"client_id: sp ; inline\n" +
		"client_secret = \"quoted # not a comment\" trailing\n" +
		"empty =\n" +
		"[ spaced ]\n" +
		"token = 'single'\n"
	got, err := parseINI([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{
		"DEFAULT": {"host": "https://default.example.com"},
		"prod": {"host": "https://prod.example.com", "token": "dapi#with#hashes", "client_id": "sp",
			"client_secret": "quoted # not a comment", "empty": ""},
		"spaced": {"token": "single"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parseINI (-want +got):\n%s", d)
	}
	for _, bad := range []string{"[unclosed\n", "[p]\njust-a-token-value\n"} {
		_, err := parseINI([]byte(bad))
		if err == nil || strings.Contains(err.Error(), "just-a-token-value") {
			t.Errorf("parseINI(%q) = %v, want an error that does not echo the line", bad, err)
		}
	}
}

// resolve follows the SDK's precedence: the environment, then a profile for
// what is unset; the file is read only when a profile is named or nothing
// else is configured.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cfg")
	writeFile(t, file, "[DEFAULT]\nhost = https://default.example.com\ntoken = default-token\n\n"+
		"[prod]\nhost = https://prod.example.com\ntoken = prod-token\n\n"+
		"[sp]\nhost = https://sp.example.com\nclient_id = sp-id\nclient_secret = sp-secret\n\n"+
		"[pinned]\nhost = https://p.example.com\ntoken = t\nclient_id = i\nclient_secret = s\nauth_type = oauth-m2m\n")
	settings := filepath.Join(dir, "settings")
	writeFile(t, settings, "[__settings__]\ndefault_profile = prod\n\n[prod]\nhost = https://prod.example.com\ntoken = prod-token\n")
	noDefault := filepath.Join(dir, "nodefault")
	writeFile(t, noDefault, "[prod]\nhost = https://prod.example.com\ntoken = prod-token\n")
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".databrickscfg"), "[DEFAULT]\nhost = home.example.com\ntoken = home-token\n")

	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    string // host auth_type profile
		wantErr string
	}{
		{name: "env only", env: map[string]string{"DATABRICKS_HOST": "h.example.com", "DATABRICKS_TOKEN": "t", "DATABRICKS_CONFIG_FILE": file},
			want: "https://h.example.com pat "},
		{name: "default profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file}, want: "https://default.example.com pat DEFAULT"},
		{name: "named profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "prod"},
			want: "https://prod.example.com pat prod"},
		{name: "env wins over the named profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "prod",
			"DATABRICKS_HOST": "https://env.example.com"}, want: "https://env.example.com pat prod"},
		{name: "an env credential skips the default profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file,
			"DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s"}, wantErr: "DATABRICKS_HOST"},
		{name: "m2m profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "sp"},
			want: "https://sp.example.com oauth-m2m sp"},
		{name: "auth_type in the profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "pinned"},
			want: "https://p.example.com oauth-m2m pinned"},
		{name: "settings pick the default profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": settings},
			want: "https://prod.example.com pat prod"},
		{name: "no DEFAULT section", env: map[string]string{"DATABRICKS_CONFIG_FILE": noDefault}, wantErr: "DATABRICKS_HOST"},
		{name: "~ is HOME from the injected environment", env: map[string]string{"HOME": home}, want: "https://home.example.com pat DEFAULT"},
		{name: "~ in DATABRICKS_CONFIG_FILE", env: map[string]string{"HOME": home, "DATABRICKS_CONFIG_FILE": "~/.databrickscfg"},
			want: "https://home.example.com pat DEFAULT"},
		{name: "no HOME, no file", env: map[string]string{}, wantErr: "DATABRICKS_HOST"},
		{name: "named profile without HOME", env: map[string]string{"DATABRICKS_CONFIG_PROFILE": "prod"}, wantErr: "without HOME"},
		{name: "named profile, missing file", env: map[string]string{"DATABRICKS_CONFIG_FILE": "/nonexistent", "DATABRICKS_CONFIG_PROFILE": "p"},
			wantErr: "/nonexistent does not exist"},
		{name: "missing named profile", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "nope"},
			wantErr: "has no nope profile configured"},
		{name: "reserved section", env: map[string]string{"DATABRICKS_CONFIG_FILE": file, "DATABRICKS_CONFIG_PROFILE": "__settings__"},
			wantErr: "reserved"},
		{name: "an empty variable is unset", env: map[string]string{"DATABRICKS_HOST": "h", "DATABRICKS_TOKEN": "",
			"DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s"}, want: "https://h oauth-m2m "},
		{name: "half of m2m", env: map[string]string{"DATABRICKS_HOST": "h", "DATABRICKS_CLIENT_ID": "i"}, wantErr: "both"},
		{name: "pat without a token", env: map[string]string{"DATABRICKS_HOST": "h", "DATABRICKS_AUTH_TYPE": "pat",
			"DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s"}, wantErr: "needs DATABRICKS_TOKEN"},
		{name: "m2m chosen over a token", env: map[string]string{"DATABRICKS_HOST": "h", "DATABRICKS_AUTH_TYPE": "oauth-m2m",
			"DATABRICKS_TOKEN": "t", "DATABRICKS_CLIENT_ID": "i", "DATABRICKS_CLIENT_SECRET": "s"}, want: "https://h oauth-m2m "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := resolve(Options{Getenv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolve = %v, %v; want an error with %q", cfg, err, tt.wantErr)
				}
				for _, secret := range []string{"default-token", "prod-token", "sp-secret", "home-token"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error shows a credential: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%s %s %s", cfg.Host, cfg.AuthType, cfg.Profile); got != tt.want {
				t.Errorf("resolved %q, want %q", got, tt.want)
			}
		})
	}
}

// A Config printed or logged by mistake shows no secret.
func TestConfigRedacted(t *testing.T) {
	cfg := Config{Host: "https://h", Token: "dapi-canary", ClientID: "sp", ClientSecret: "secret-canary", AuthType: AuthM2M}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "config", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), buf.String()} {
		if strings.Contains(s, "canary") || !strings.Contains(s, "https://h") {
			t.Errorf("printed: %s", s)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
