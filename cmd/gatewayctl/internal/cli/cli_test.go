package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes covers argument parsing and exit codes without a gateway
// (a closed loopback port stands in for an unreachable one).
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"ep.yaml": endpointYAML("a", "", "m"), "empty.yaml": "# nothing\n"})
	file := filepath.Join(dir, "ep.yaml")
	const down = "http://127.0.0.1:1"
	tests := []struct {
		args    []string
		code    int
		wantErr string // a substring of stderr
		wantOut string // a substring of stdout
	}{
		{args: nil, code: 0, wantOut: "Available Commands"},
		{args: []string{"--help"}, code: 0, wantOut: "Exit codes"},
		{args: []string{"diff", "--help"}, code: 0, wantOut: "3 error"},
		{args: []string{"bogus"}, code: 2, wantErr: `unknown command "bogus"`},
		{args: []string{"--bogus"}, code: 2, wantErr: "unknown flag: --bogus"},
		{args: []string{"get"}, code: 2, wantErr: "want a resource type"},
		{args: []string{"get", "pods"}, code: 2, wantErr: `unknown resource type "pods"`},
		{args: []string{"get", "ep", "-o", "xml"}, code: 2, wantErr: `-o "xml"`},
		{args: []string{"get", "ep/"}, code: 2, wantErr: "want TYPE/NAME"},
		{args: []string{"get", "ep", "a/b"}, code: 2, wantErr: "either TYPE NAME"},
		{args: []string{"describe"}, code: 2},
		{args: []string{"apply"}, code: 2, wantErr: "needs -f"},
		{args: []string{"apply", "extra", "-f", file}, code: 2},
		{args: []string{"apply", "-f", file, "--prune"}, code: 2, wantErr: "--prune needs a label selector"},
		{args: []string{"apply", "-f", file, "-l", "team=x"}, code: 2, wantErr: "only used with --prune"},
		{args: []string{"apply", "-f", file, "--prune", "-l", "team"}, code: 2, wantErr: "want key=value"},
		{args: []string{"apply", "-f", "-", "-f", "-"}, code: 2, wantErr: "only once"},
		{args: []string{"apply", "-f", filepath.Join(dir, "missing.yaml")}, code: 1, wantErr: "no such file"},
		{args: []string{"apply", "-f", filepath.Join(dir, "empty.yaml")}, code: 1, wantErr: "no Endpoint or APIKey documents"},
		{args: []string{"apply", "-f", file, "--server", down}, code: 1, wantErr: "hint: is gatewayd running at " + down},
		{args: []string{"apply", "-f", file, "--server", "ftp://x"}, code: 1, wantErr: "want an http:// or https:// URL"},
		{args: []string{"get", "ep", "--server", down}, code: 1, wantErr: "cannot reach the gateway"},
		{args: []string{"delete"}, code: 2, wantErr: "want a resource type"},
		{args: []string{"delete", "ep"}, code: 2, wantErr: "want a name"},
		{args: []string{"delete", "ep", "a", "-f", file}, code: 2, wantErr: "not both"},
		{args: []string{"diff"}, code: 2, wantErr: "needs -f"},
		{args: []string{"diff", "-f", file, "--bogus"}, code: 2},
		{args: []string{"diff", "-f", filepath.Join(dir, "missing.yaml")}, code: 3, wantErr: "no such file"},
		{args: []string{"diff", "-f", file, "--server", down}, code: 3, wantErr: "cannot reach"},
		{args: []string{"validate"}, code: 2},
		{args: []string{"validate", "-f", file}, code: 0, wantOut: "1 document valid"},
		{args: []string{"create"}, code: 2, wantErr: "needs a resource type"},
		{args: []string{"create", "secret"}, code: 2, wantErr: "only apikey"},
		{args: []string{"create", "apikey"}, code: 2, wantErr: "exactly one NAME"},
		{args: []string{"create", "apikey", "k"}, code: 2, wantErr: "--provider is required"},
		{args: []string{"create", "apikey", "Bad_Name", "--provider", "p"}, code: 2, wantErr: "DNS-1123"},
		{args: []string{"create", "apikey", "k", "--provider", "p", "--from-env", "A", "--from-file", "B"}, code: 2, wantErr: "not both"},
		{args: []string{"create", "apikey", "k", "--provider", "p", "--value", "sk-x"}, code: 2, wantErr: "unknown flag: --value"},
		{args: []string{"chat"}, code: 2},
		{args: []string{"chat", "a", "b", "c"}, code: 2},
		{args: []string{"version", "--client"}, code: 0, wantOut: "gatewayctl test\n"},
		{args: []string{"version", "--server", down}, code: 0, wantOut: "cannot reach"},
		{args: []string{"version", "extra"}, code: 2},
	}
	var none *gatewayd
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := none.run(nil, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r)
			}
			if !strings.Contains(r.err, tt.wantErr) || !strings.Contains(r.out, tt.wantOut) {
				t.Errorf("want stderr ⊇ %q and stdout ⊇ %q\n%s", tt.wantErr, tt.wantOut, r)
			}
			if tt.code == ExitUsage && !strings.Contains(r.err, "--help' for usage") {
				t.Errorf("a usage error should point at --help:\n%s", r)
			}
		})
	}
}

func TestParseSelector(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // labelsString of the result, or "error"
	}{
		{"", "<none>"},
		{"team=x", "team=x"},
		{" team = x , env=prod", "env=prod,team=x"},
		{"example.com/owner=a-b_c.d", "example.com/owner=a-b_c.d"},
		{"team", "error"},
		{"=x", "error"},
		{"team=x y", "error"},
		{",", "error"},
	} {
		m, err := parseSelector(tt.in)
		got := labelsString(m)
		if err != nil {
			got = "error"
			if _, ok := err.(*usageError); !ok {
				t.Errorf("parseSelector(%q): %T is not a usage error", tt.in, err)
			}
		}
		if got != tt.want {
			t.Errorf("parseSelector(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseRefs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"endpoints"}, "Endpoint/"},
		{[]string{"EP", "a", "b"}, "Endpoint/a Endpoint/b"},
		{[]string{"key", "k"}, "APIKey/k"},
		{[]string{"apikeys"}, "APIKey/"},
		{[]string{"endpoint/a", "apikey/k"}, "Endpoint/a APIKey/k"},
		{[]string{"pods"}, "error"},
		{[]string{"endpoint/a", "b"}, "error"},
	} {
		refs, err := parseRefs(tt.args, true)
		var parts []string
		for _, r := range refs {
			parts = append(parts, r.kind+"/"+r.name)
		}
		got := strings.Join(parts, " ")
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("parseRefs(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
