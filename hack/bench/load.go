package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// target is one side of a comparison.
type target struct {
	url  string
	body []byte
	// stream marks SSE responses, which must end with [DONE].
	stream bool
	proc   *proc
}

type result struct {
	requests, errors int
	p50, p99         time.Duration
	cpuPerReq        time.Duration
	rps              float64
	rssMax           int64
}

func get(url string) (int, []byte) {
	status, body, err := fasthttp.Get(nil, url)
	if err != nil {
		return 0, nil
	}
	return status, body
}

var doneMarker = []byte("data: [DONE]\n\n")

// load drives t with conc workers for d, and during it runs during (if set).
func load(t target, conc int, d time.Duration, during func(stop <-chan struct{})) result {
	client := &fasthttp.Client{MaxConnsPerHost: conc + 16, ReadBufferSize: 16 << 10, MaxIdleConnDuration: time.Minute}
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	cpu0 := t.proc.cpu()
	begin := time.Now()
	deadline := begin.Add(d)
	stop := make(chan struct{})
	var rssMax int64
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r := t.proc.rss(); r > rssMax {
					rssMax = r
				}
			}
		}
	}()
	if during != nil {
		go during(stop)
	}
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				req.Reset()
				req.SetRequestURI(t.url)
				req.Header.SetMethod("POST")
				req.Header.SetContentType("application/json")
				req.SetBody(t.body)
				s := time.Now()
				err := client.DoTimeout(req, resp, 30*time.Second)
				el := time.Since(s)
				ok := err == nil && resp.StatusCode() == 200
				if ok && t.stream {
					ok = bytes.HasSuffix(resp.Body(), doneMarker)
				}
				if !ok {
					bad++
					continue
				}
				mine = append(mine, el)
			}
			mu.Lock()
			lats = append(lats, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	close(stop)
	cpu := t.proc.cpu() - cpu0
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	r := result{requests: len(lats), errors: errs, rps: float64(len(lats)) / elapsed.Seconds(), rssMax: rssMax}
	if n := len(lats); n > 0 {
		r.p50 = lats[n/2]
		r.p99 = lats[min(n-1, n*99/100)]
		r.cpuPerReq = cpu / time.Duration(n)
	}
	return r
}

// merge sums runs of the same side (requests, errors) and averages the rest.
func merge(rs []result) result {
	var m result
	for _, r := range rs {
		m.requests += r.requests
		m.errors += r.errors
		m.rps += r.rps / float64(len(rs))
		m.p50 += r.p50 / time.Duration(len(rs))
		m.p99 += r.p99 / time.Duration(len(rs))
		m.cpuPerReq += r.cpuPerReq / time.Duration(len(rs))
		m.rssMax = max(m.rssMax, r.rssMax)
	}
	return m
}

type row struct {
	scenario string
	conc     int
	base, gw result
	// direct is the same request sent straight to the mock (chat at c=1
	// only): the reference for the gateway's added latency.
	direct *result
	// steady is the gateway without configuration changes, run interleaved
	// with the churn runs (churn only): their p99s compare in the same window.
	steady *result
}

func bodyFor(model string, stream bool) []byte {
	s := ""
	if stream {
		s = `,"stream":true`
	}
	return []byte(`{"model":"` + model + `"` + s + `,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Write one paragraph about foxes and dogs."}],"temperature":0.7,"max_tokens":200}`)
}

func run(dur time.Duration, rounds int, concs []int, scenarios []string, gatewaydBin, out, profileDir string) error {
	e, err := setup(gatewaydBin, profileDir != "")
	if err != nil {
		return err
	}
	defer e.close()
	idleRSS := e.gateway.rss()
	base := "http://" + e.pxAddr
	gw := "http://" + e.gwAddr + "/gateway/mlflow/v1"
	var rows []row
	for _, sc := range scenarios {
		var b, g target
		var during func(stop <-chan struct{})
		switch sc {
		case "chat", "churn":
			b = target{url: base + "/v1/chat/completions", body: bodyFor("bench-model", false), proc: e.proxy}
			g = target{url: gw + "/chat/completions", body: bodyFor("bench-chat", false), proc: e.gateway}
			if sc == "churn" {
				during = churn(filepath.Join(e.dir, "manifests", "chat.yaml"), dur)
			}
		case "stream":
			b = target{url: base + "/v1/chat/completions", body: bodyFor("bench-model", true), stream: true, proc: e.proxy}
			g = target{url: gw + "/chat/completions", body: bodyFor("bench-chat", true), stream: true, proc: e.gateway}
		case "embed":
			body := []byte(`{"model":"MODEL","input":"The quick brown fox jumps over the lazy dog."}`)
			b = target{url: base + "/v1/embeddings", body: bytes.Replace(body, []byte("MODEL"), []byte("bench-embed"), 1), proc: e.proxy}
			g = target{url: gw + "/embeddings", body: bytes.Replace(body, []byte("MODEL"), []byte("bench-embed"), 1), proc: e.gateway}
		case "anthropic":
			// The baseline forwards the same OpenAI body to the same-dialect
			// upstream; the gateway translates it to Anthropic's Messages API.
			b = target{url: base + "/v1/chat/completions", body: bodyFor("bench-model", false), proc: e.proxy}
			g = target{url: gw + "/chat/completions", body: bodyFor("bench-claude", false), proc: e.gateway}
		default:
			return fmt.Errorf("unknown scenario %q", sc)
		}
		for _, c := range concs {
			var bs, gs, ss []result
			for i := 0; i < rounds; i++ {
				bs = append(bs, load(b, c, dur, nil))
				if during != nil {
					ss = append(ss, load(g, c, dur, nil))
				}
				gd := during
				if profileDir != "" && i == 0 {
					gd = withProfiles(during, e.dbgAddr, filepath.Join(profileDir, fmt.Sprintf("%s-c%d", sc, c)), dur)
				}
				gs = append(gs, load(g, c, dur, gd))
			}
			r := row{scenario: sc, conc: c, base: merge(bs), gw: merge(gs)}
			if len(ss) > 0 {
				m := merge(ss)
				r.steady = &m
			}
			if sc == "chat" && c == 1 {
				d := b
				d.url, d.proc = "http://"+e.upAddr+"/v1/chat/completions", e.upstream
				var ds []result
				for i := 0; i < rounds; i++ {
					ds = append(ds, load(d, c, dur, nil))
				}
				m := merge(ds)
				r.direct = &m
			}
			rows = append(rows, r)
			fmt.Fprintf(os.Stderr, "%-9s c=%-3d baseline %8.0f req/s  gateway %8.0f req/s (%.2fx)  gw cpu %6.1fµs/req  errors %d/%d\n",
				sc, c, r.base.rps, r.gw.rps, r.gw.rps/r.base.rps, float64(r.gw.cpuPerReq)/1e3, r.base.errors, r.gw.errors)
		}
	}
	report := render(rows, idleRSS)
	for _, r := range rows {
		if r.steady != nil {
			report += fmt.Sprintf("\nChurn at c=%d: gateway p99 %s during 50 swaps vs %s steady, interleaved: %.2fx; errors %d vs %d.\n",
				r.conc, ms(r.gw.p99), ms(r.steady.p99), float64(r.gw.p99)/float64(r.steady.p99), r.gw.errors, r.steady.errors)
		}
		if r.direct != nil {
			report += fmt.Sprintf("\nLatency at c=1 (chat): gateway p50 %s vs the mock called directly %s: +%.0fµs (baseline proxy +%.0fµs).\n",
				ms(r.gw.p50), ms(r.direct.p50), float64(r.gw.p50-r.direct.p50)/1e3, float64(r.base.p50-r.direct.p50)/1e3)
		}
	}
	fmt.Print(report)
	if out != "" {
		return os.WriteFile(out, []byte(report), 0o644)
	}
	return nil
}

// churn rewrites the chat Endpoint's manifest 50 times over the run, each
// write a real configuration change, so every one causes a swap under load.
func churn(path string, d time.Duration) func(stop <-chan struct{}) {
	return func(stop <-chan struct{}) {
		every := d / 55
		for i := 1; i <= 50; i++ {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, []byte(chatManifest(i)), 0o644); err == nil {
				_ = os.Rename(tmp, path)
			}
		}
	}
}

func render(rows []row, idleRSS int64) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "\n## Benchmark (%s, %d CPUs, %s)\n\n", host, numCPU(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "gatewayd idle RSS: %.1f MiB\n\n", float64(idleRSS)/(1<<20))
	b.WriteString("| scenario | c | baseline req/s | gateway req/s | ratio | gw CPU µs/req | base CPU µs/req | gw p50 | base p50 | gw p99 | base p99 | gw RSS MiB | errors (gw) |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %.2f× | %.1f | %.1f | %s | %s | %s | %s | %.1f | %d |\n",
			r.scenario, r.conc, r.base.rps, r.gw.rps, r.gw.rps/r.base.rps,
			float64(r.gw.cpuPerReq)/1e3, float64(r.base.cpuPerReq)/1e3,
			ms(r.gw.p50), ms(r.base.p50), ms(r.gw.p99), ms(r.base.p99), float64(r.gw.rssMax)/(1<<20), r.gw.errors)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return max(strings.Count(string(b), "processor\t:"), 1)
}

// withProfiles runs during (if any) and, alongside, records gatewayd's CPU
// profile over most of the run and its heap at the middle of it.
func withProfiles(during func(stop <-chan struct{}), dbgAddr, prefix string, d time.Duration) func(stop <-chan struct{}) {
	return func(stop <-chan struct{}) {
		if during != nil {
			go during(stop)
		}
		if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		secs := max(1, int(d/time.Second)-1)
		go fetch("http://"+dbgAddr+fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), prefix+"-cpu.pprof", time.Duration(secs+10)*time.Second)
		select {
		case <-stop:
			return
		case <-time.After(d / 2):
		}
		fetch("http://"+dbgAddr+"/debug/pprof/heap", prefix+"-heap.pprof", 10*time.Second)
		// The text form ends with runtime.MemStats: heap, stacks and what is
		// held but idle, which is what RSS is made of.
		fetch("http://"+dbgAddr+"/debug/pprof/heap?debug=1", prefix+"-heap.txt", 10*time.Second)
	}
}

func fetch(url, file string, timeout time.Duration) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	if err := fasthttp.DoTimeout(req, resp, timeout); err != nil || resp.StatusCode() != 200 {
		fmt.Fprintln(os.Stderr, "profile:", url, err, resp.StatusCode())
		return
	}
	if err := os.WriteFile(file, resp.Body(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
	}
}
