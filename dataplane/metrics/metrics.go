// Package metrics holds the gateway's Prometheus metrics in a registry of its
// own (no global state), exposed at /metrics.
package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the data plane's counters and histograms.
type Metrics struct {
	Registry *prometheus.Registry

	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	attempts   *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	generation prometheus.Gauge
	swaps      prometheus.Counter

	// children caches label lookups for the request path: a copy-on-write
	// map behind an atomic pointer, so a hit takes no lock and allocates
	// nothing (a vec's WithLabelValues takes a lock and allocates).
	children atomic.Pointer[map[reqKey]*reqChildren]
	mu       sync.Mutex // serialises cache misses
}

type reqKey struct {
	endpoint, provider string
	status             int
}

// reqChildren holds the children for one (endpoint, provider, status); the
// status-free ones (attempts, tokens) live under status 0.
type reqChildren struct {
	requests prometheus.Counter
	latency  prometheus.Observer

	attemptOK, attemptErr, attemptRetry prometheus.Counter
	tokensIn, tokensOut                 prometheus.Counter
}

// New registers the gateway's metrics and the Go runtime collectors.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_requests_total",
		Help: "Client requests by endpoint, provider of the final attempt and HTTP status.",
	}, []string{"endpoint", "provider", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gateway_request_duration_seconds",
		Help:    "Time from request to last byte, by endpoint.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
	}, []string{"endpoint"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_attempts_total",
		Help: "Upstream attempts by endpoint, provider and outcome (ok, error, retryable_error).",
	}, []string{"endpoint", "provider", "outcome"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_tokens_total",
		Help: "Tokens by endpoint, provider and direction (in = prompt, out = completion).",
	}, []string{"endpoint", "provider", "direction"})
	m.generation = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gateway_config_generation",
		Help: "Generation of the configuration being served.",
	})
	m.swaps = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_config_swaps_total",
		Help: "Configuration swaps since start.",
	})
	empty := map[reqKey]*reqChildren{}
	m.children.Store(&empty)
	m.Registry.MustRegister(m.requests, m.latency, m.attempts, m.tokens, m.generation, m.swaps,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request records a finished client request.
func (m *Metrics) Request(endpoint, provider string, status int, seconds float64) {
	c := m.child(endpoint, provider, status)
	c.requests.Inc()
	c.latency.Observe(seconds)
}

func (m *Metrics) child(endpoint, provider string, status int) *reqChildren {
	k := reqKey{endpoint, provider, status}
	if c := (*m.children.Load())[k]; c != nil {
		return c
	}
	return m.addChildren(k)
}

func (m *Metrics) addChildren(k reqKey) *reqChildren {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.children.Load()
	if c := old[k]; c != nil {
		return c
	}
	c := &reqChildren{latency: m.latency.WithLabelValues(k.endpoint)}
	if k.status != 0 {
		c.requests = m.requests.WithLabelValues(k.endpoint, k.provider, strconv.Itoa(k.status))
	} else {
		c.attemptOK = m.attempts.WithLabelValues(k.endpoint, k.provider, "ok")
		c.attemptErr = m.attempts.WithLabelValues(k.endpoint, k.provider, "error")
		c.attemptRetry = m.attempts.WithLabelValues(k.endpoint, k.provider, "retryable_error")
		c.tokensIn = m.tokens.WithLabelValues(k.endpoint, k.provider, "in")
		c.tokensOut = m.tokens.WithLabelValues(k.endpoint, k.provider, "out")
	}
	next := make(map[reqKey]*reqChildren, len(old)+1)
	for kk, v := range old {
		next[kk] = v
	}
	next[k] = c
	m.children.Store(&next)
	return c
}

// Attempt records one upstream attempt.
func (m *Metrics) Attempt(endpoint, provider, outcome string) {
	c := m.child(endpoint, provider, 0)
	switch outcome {
	case "ok":
		c.attemptOK.Inc()
	case "retryable_error":
		c.attemptRetry.Inc()
	default:
		c.attemptErr.Inc()
	}
}

// Tokens records token usage.
func (m *Metrics) Tokens(endpoint, provider string, in, out int64) {
	if in <= 0 && out <= 0 {
		return
	}
	c := m.child(endpoint, provider, 0)
	if in > 0 {
		c.tokensIn.Add(float64(in))
	}
	if out > 0 {
		c.tokensOut.Add(float64(out))
	}
}

// Swapped records a configuration swap.
func (m *Metrics) Swapped(generation uint64) {
	m.generation.Set(float64(generation))
	m.swaps.Inc()
}
