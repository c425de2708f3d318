package databricksapp

import (
	"bytes"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// maxFileBytes is the Databricks Apps limit on each uploaded file.
const maxFileBytes = 10 << 20

// appYAML is app.yaml as the Apps runtime reads it.
type appYAML struct {
	Command []string `json:"command"`
	Env     []struct {
		Name      string `json:"name"`
		Value     string `json:"value,omitempty"`
		ValueFrom string `json:"valueFrom,omitempty"`
	} `json:"env"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readApp(t *testing.T, path string) appYAML {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var app appYAML
	if err := yaml.UnmarshalStrict(data, &app); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return app
}

func (a appYAML) env(name string) (string, bool) {
	for _, e := range a.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

func TestAppYAML(t *testing.T) {
	app := readApp(t, filepath.Join(repoRoot(t), "app.yaml"))
	if len(app.Command) != 3 || app.Command[0] != "python3" || app.Command[1] != "-c" {
		t.Fatalf("command = %q, want python3 -c SCRIPT", app.Command)
	}
	for _, want := range []string{`"gatewayd.xz"`, "lzma.open", "os.chmod", "os.execv", "GATEWAY_WORKSPACE_DIR", "GATEWAY_SECRET_SCOPE"} {
		if !strings.Contains(app.Command[2], want) {
			t.Errorf("the start script does not mention %s:\n%s", want, app.Command[2])
		}
	}
	for _, name := range []string{"GATEWAY_WORKSPACE_DIR", "GATEWAY_SECRET_SCOPE"} {
		if v, ok := app.env(name); !ok || v == "" {
			t.Errorf("env %s is not set", name)
		}
	}
	// The platform injects its own credentials; app.yaml must not carry any.
	for _, e := range app.Env {
		if strings.HasPrefix(e.Name, "DATABRICKS_") || strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "SECRET_KEY") {
			t.Errorf("app.yaml sets %s", e.Name)
		}
	}
}

// fakeBinary is what the start command unpacks and execs in place of
// gatewayd: it records its pid, its argv and the folder flags' sources.
const fakeBinary = `#!/bin/sh
{ echo "$$"; printf '%s\n' "$0" "$@"; } > "$FAKE_OUT"
`

// TestStartCommand runs app.yaml's command as the Apps runtime would (argv,
// no shell, in the app folder) with a fake gatewayd.
func TestStartCommand(t *testing.T) {
	need(t, "python3", "xz")
	app := readApp(t, filepath.Join(repoRoot(t), "app.yaml"))
	for _, tt := range []struct {
		name     string
		env      []string
		noBinary bool
		wantArgs []string
		wantErr  string
	}{
		{name: "as configured in app.yaml", env: []string{"GATEWAY_WORKSPACE_DIR=/Workspace/Users/a@b.com/gw", "GATEWAY_SECRET_SCOPE=ai-gateway"},
			wantArgs: []string{"--workspace-dir", "/Workspace/Users/a@b.com/gw", "--secret-scope", "ai-gateway"}},
		{name: "only a workspace folder", env: []string{"GATEWAY_WORKSPACE_DIR=/Shared/gw", "GATEWAY_SECRET_SCOPE="},
			wantArgs: []string{"--workspace-dir", "/Shared/gw"}},
		{name: "nothing set", wantArgs: []string{}},
		{name: "no binary shipped", noBinary: true, wantErr: "gatewayd.xz"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			appDir, tmp := t.TempDir(), t.TempDir()
			out := filepath.Join(t.TempDir(), "out")
			if !tt.noBinary {
				xzFile(t, []byte(fakeBinary), filepath.Join(appDir, "gatewayd.xz"))
			}
			var stderr bytes.Buffer
			cmd := exec.Command(app.Command[0], app.Command[1:]...)
			cmd.Dir, cmd.Stderr = appDir, &stderr
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + tmp, "FAKE_OUT=" + out}, tt.env...)
			err := cmd.Run()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr.String(), tt.wantErr) {
					t.Fatalf("err = %v, stderr:\n%s", err, stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the fake gatewayd did not run: %v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			// exec, not a child: the pid is the command's, so SIGTERM from the
			// platform reaches gatewayd itself.
			if lines[0] != strconv.Itoa(cmd.Process.Pid) {
				t.Errorf("gatewayd ran as pid %s, the command as %d: not exec'd", lines[0], cmd.Process.Pid)
			}
			if want := filepath.Join(tmp, "gatewayd"); lines[1] != want {
				t.Errorf("ran %s, want %s", lines[1], want)
			}
			if got := lines[2:]; !slices.Equal(got, tt.wantArgs) {
				t.Errorf("args = %q, want %q", got, tt.wantArgs)
			}
			fi, err := os.Stat(filepath.Join(tmp, "gatewayd"))
			if err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("unpacked binary: %v, %v", fi, err)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "gatewayd.*")); len(left) != 0 {
				t.Errorf("leftover files: %v", left)
			}
		})
	}
}

func xzFile(t *testing.T, data []byte, dst string) {
	t.Helper()
	cmd := exec.Command("xz", "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckSizes runs the deploy script's size check on files at and over
// the limit.
func TestCheckSizes(t *testing.T) {
	need(t, "bash")
	script := filepath.Join(repoRoot(t), "hack", "deploy-databricks.sh")
	for _, tt := range []struct {
		size    int64
		wantErr bool
	}{{maxFileBytes, false}, {maxFileBytes + 1, true}} {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "gatewayd.xz"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(tt.size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		out, err := exec.Command("bash", "-c", `source "$1" && check_sizes "$2"`, "_", script, dir).CombinedOutput()
		switch {
		case tt.wantErr && (err == nil || !strings.Contains(string(out), "gatewayd.xz") || !strings.Contains(string(out), "10485760")):
			t.Errorf("%d bytes: err = %v, output %q; want a failure naming the file and the limit", tt.size, err, out)
		case !tt.wantErr && err != nil:
			t.Errorf("%d bytes: %v\n%s", tt.size, err, out)
		}
	}
}

// fakeCLI stands in for the databricks CLI: it logs each call and answers
// the few the deploy script reads, as an account with no app yet would.
const fakeCLI = `#!/bin/sh
echo "$*" >> "$CLI_LOG"
case "$1 $2" in
"current-user me") echo '{"userName": "someone@example.com", "id": "1"}' ;;
"apps get")
	[ -f "$CLI_STATE/app" ] || { echo 'Error: App with name ai-gateway does not exist or is deleted.' >&2; exit 1; }
	echo '{"name": "ai-gateway", "service_principal_client_id": "sp-1234", "url": "https://ai-gateway-1.aws.databricksapps.com"}' ;;
"apps create") touch "$CLI_STATE/app" ;;
"secrets list-scopes") echo '[{"name": "other", "backend_type": "DATABRICKS"}]' ;;
"workspace get-status") echo '{"object_id": 42, "object_type": "DIRECTORY", "path": "/Users/someone@example.com/gw"}' ;;
esac
`

// TestShippedBinary runs the deploy script against a fake databricks CLI,
// as a first deployment would: it checks the CLI calls, and what would be
// uploaded: every file under the limit, app.yaml filled in, a static
// linux/amd64 gatewayd inside the xz that is itself too big to ship
// uncompressed. On linux/amd64 it then starts that very binary through
// app.yaml's command and stops it with SIGTERM.
func TestShippedBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gatewayd for linux/amd64 and compresses it (about a minute)")
	}
	need(t, "bash", "xz", "python3")
	root := repoRoot(t)
	stage := filepath.Join(t.TempDir(), "app")
	cliDir, cliLog := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	if err := os.WriteFile(filepath.Join(cliDir, "databricks"), []byte(fakeCLI), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "hack", "deploy-databricks.sh"))
	cmd.Env = append(os.Environ(), "PATH="+cliDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"CLI_LOG="+cliLog, "CLI_STATE="+t.TempDir(), "STAGE_DIR="+stage, "APP_NAME=", "APP_SOURCE_DIR=", "SKIP_GRANTS=",
		"GATEWAY_WORKSPACE_DIR=/Workspace/Users/someone@example.com/gw", "GATEWAY_SECRET_SCOPE=team-gw")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deploy-databricks.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "https://ai-gateway-1.aws.databricksapps.com") {
		t.Errorf("the script does not end with the app's URL:\n%s", out)
	}
	calls, err := os.ReadFile(cliLog)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{
		"current-user me --output json",
		"workspace mkdirs /Users/someone@example.com/apps/ai-gateway",
		"workspace import-dir " + stage + " /Users/someone@example.com/apps/ai-gateway --overwrite",
		"apps get ai-gateway",
		"apps create ai-gateway --description AI gateway (gatewayd)",
		"apps get ai-gateway --output json",
		"secrets list-scopes --output json",
		"secrets create-scope team-gw",
		"secrets put-acl team-gw sp-1234 WRITE",
		"workspace mkdirs /Users/someone@example.com/gw",
		"workspace get-status /Users/someone@example.com/gw --output json",
		`workspace update-permissions directories 42 --json {"access_control_list":[{"service_principal_name":"sp-1234","permission_level":"CAN_MANAGE"}]}`,
		"apps deploy ai-gateway --source-code-path /Workspace/Users/someone@example.com/apps/ai-gateway",
		"apps get ai-gateway --output json",
	}
	if got := strings.Split(strings.TrimSpace(string(calls)), "\n"); !slices.Equal(got, wantCalls) {
		t.Errorf("databricks CLI calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantCalls, "\n"))
	}

	entries, err := os.ReadDir(stage)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Size() > maxFileBytes {
			t.Errorf("%s is %d bytes: a Databricks App rejects files over %d", e.Name(), fi.Size(), maxFileBytes)
		}
		t.Logf("%s: %d bytes", e.Name(), fi.Size())
	}
	if !slices.Equal(names, []string{"app.yaml", "gatewayd.xz"}) {
		t.Errorf("staged files %v, want app.yaml and gatewayd.xz", names)
	}

	staged, orig := readApp(t, filepath.Join(stage, "app.yaml")), readApp(t, filepath.Join(root, "app.yaml"))
	if !slices.Equal(staged.Command, orig.Command) {
		t.Error("the staged app.yaml has another command than the repository's")
	}
	if v, _ := staged.env("GATEWAY_WORKSPACE_DIR"); v != "/Workspace/Users/someone@example.com/gw" {
		t.Errorf("GATEWAY_WORKSPACE_DIR = %q", v)
	}
	if v, _ := staged.env("GATEWAY_SECRET_SCOPE"); v != "team-gw" {
		t.Errorf("GATEWAY_SECRET_SCOPE = %q", v)
	}

	bin := filepath.Join(t.TempDir(), "gatewayd")
	raw, err := exec.Command("xz", "-dc", filepath.Join(stage, "gatewayd.xz")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	if len(raw) <= maxFileBytes {
		t.Logf("note: the binary (%d bytes) would fit uncompressed now", len(raw))
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("gatewayd.xz does not hold an ELF binary: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("machine %v, want x86-64", f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked; the Apps image may lack its libraries (build with CGO_ENABLED=0)")
		}
	}
	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		startShipped(t, stage, staged)
	}
}

// startShipped runs the staged app.yaml command in the staged folder, with
// local stores (no GATEWAY_WORKSPACE_DIR: nothing to reach here), waits for
// /health and stops it with SIGTERM as the platform does.
func startShipped(t *testing.T, stage string, app appYAML) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(app.Command[0], app.Command[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = stage, &logs, &logs
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), "GATEWAY_LISTEN=" + addr,
		"GATEWAY_MANIFESTS=" + t.TempDir(), "GATEWAY_DATA_DIR=" + t.TempDir(),
		"GATEWAY_SECRET_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-done
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://%s/health", addr))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the shipped gatewayd exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shipped gatewayd did not answer /health\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err // for the deferred Wait
		if err != nil {
			t.Errorf("gatewayd exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Errorf("gatewayd did not stop within 15s of SIGTERM (the platform kills it then)\n%s", logs.String())
	}
}
