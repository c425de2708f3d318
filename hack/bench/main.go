// Command bench measures the gateway against the cheapest possible Go hop: a
// minimal fasthttp reverse proxy in front of the same fast mock upstream. Runs
// alternate (baseline, gateway, baseline, gateway, ...) so drift on a shared
// machine cancels out, and the report gives ratios to the baseline.
//
//	go run ./hack/bench [-duration 4s] [-rounds 2] [-conc 1,64,256] [-scenarios chat,stream,embed,anthropic,churn]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type bufioWriter = bufio.Writer

func main() {
	if len(os.Args) > 2 && (os.Args[1] == "upstream" || os.Args[1] == "proxy") {
		var err error
		if os.Args[1] == "upstream" {
			err = upstream(os.Args[2])
		} else {
			err = proxy(os.Args[2], os.Args[3])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var (
		duration  = flag.Duration("duration", 4*time.Second, "length of one measured run")
		rounds    = flag.Int("rounds", 2, "baseline/gateway pairs per scenario and concurrency")
		concs     = flag.String("conc", "1,64,256", "concurrency levels")
		scenarios = flag.String("scenarios", "chat,stream,embed,anthropic,churn", "scenarios to run")
		gatewayd  = flag.String("gatewayd", "", "gatewayd binary (default: build ./cmd/gatewayd)")
		out       = flag.String("out", "", "also write the report as markdown to this file")
		profile   = flag.String("profile", "", "write gatewayd CPU and heap profiles of each gateway run into this folder")
	)
	flag.Parse()
	if err := run(*duration, *rounds, parseInts(*concs), strings.Split(*scenarios, ","), *gatewayd, *out, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseInts(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a child process whose CPU and memory we read from /proc.
type proc struct {
	cmd *exec.Cmd
}

func start(name string, args []string, env []string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &proc{cmd: cmd}, nil
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
	}
}

// cpu returns user+system CPU time from /proc/PID/stat.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// rss returns the resident set size in bytes.
func (p *proc) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func waitHTTP(addr, path string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if status, _ := get("http://" + addr + path); status == 200 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s%s not ready", addr, path)
}

const manifests = `apiVersion: gateway/v1alpha1
kind: APIKey
metadata: {name: bench-openai}
spec:
  provider: openai-compatible
  env: BENCH_UPSTREAM_KEY
  config: {baseURL: "http://{{UP}}/v1"}
---
apiVersion: gateway/v1alpha1
kind: APIKey
metadata: {name: bench-anthropic}
spec:
  provider: anthropic
  env: BENCH_UPSTREAM_KEY
  config: {baseURL: "http://{{UP}}"}
---
apiVersion: gateway/v1alpha1
kind: Endpoint
metadata: {name: bench-embed}
spec:
  task: embeddings
  targets: [{model: bench-embed, apiKeyRef: bench-openai}]
---
apiVersion: gateway/v1alpha1
kind: Endpoint
metadata: {name: bench-claude}
spec:
  targets: [{model: claude-bench, apiKeyRef: bench-anthropic}]
`

// chatManifest is in a file of its own so the churn scenario can rewrite it.
func chatManifest(i int) string {
	return fmt.Sprintf(`apiVersion: gateway/v1alpha1
kind: Endpoint
metadata: {name: bench-chat, labels: {rev: "r%d"}}
spec:
  targets: [{model: bench-model, apiKeyRef: bench-openai}]
  retry: {attempts: %d}
`, i, 1+i%2)
}

type env struct {
	upstream, proxy, gateway *proc
	upAddr, pxAddr, gwAddr   string
	// dbgAddr serves gatewayd's pprof when profiling.
	dbgAddr string
	dir     string
}

func setup(gatewaydBin string, profile bool) (*env, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gateway-bench-")
	if err != nil {
		return nil, err
	}
	if gatewaydBin == "" {
		gatewaydBin = filepath.Join(dir, "gatewayd")
		build := exec.Command("go", "build", "-o", gatewaydBin, "./cmd/gatewayd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build gatewayd: %w", err)
		}
	}
	e := &env{upAddr: freeAddr(), pxAddr: freeAddr(), gwAddr: freeAddr(), dir: dir}
	mdir := filepath.Join(dir, "manifests")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(mdir, "bench.yaml"), []byte(strings.ReplaceAll(manifests, "{{UP}}", e.upAddr)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(mdir, "chat.yaml"), []byte(chatManifest(0)), 0o644); err != nil {
		return nil, err
	}
	if e.upstream, err = start(self, []string{"upstream", e.upAddr}, nil); err != nil {
		return nil, err
	}
	if e.proxy, err = start(self, []string{"proxy", e.pxAddr, e.upAddr}, nil); err != nil {
		return nil, err
	}
	args := []string{"--listen", e.gwAddr, "--manifests", mdir, "--data-dir", filepath.Join(dir, "data"), "--log-level", "warn"}
	if profile {
		e.dbgAddr = freeAddr()
		args = append(args, "--debug-listen", e.dbgAddr)
	}
	if e.gateway, err = start(gatewaydBin, args,
		[]string{"BENCH_UPSTREAM_KEY=sk-bench", "GATEWAY_SECRET_KEY=" + strings.Repeat("ab", 32)}); err != nil {
		return nil, err
	}
	if err := waitHTTP(e.gwAddr, "/ready"); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	for _, p := range []*proc{e.gateway, e.proxy, e.upstream} {
		if p != nil {
			p.stop()
		}
	}
	_ = os.RemoveAll(e.dir)
}
