// Package metrics holds the gateway's Prometheus metrics in a registry of its
// own (no global state), exposed at /metrics.
package metrics

import (
	"strconv"

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
	m.Registry.MustRegister(m.requests, m.latency, m.attempts, m.tokens, m.generation, m.swaps,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Request records a finished client request.
func (m *Metrics) Request(endpoint, provider string, status int, seconds float64) {
	m.requests.WithLabelValues(endpoint, provider, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(endpoint).Observe(seconds)
}

// Attempt records one upstream attempt.
func (m *Metrics) Attempt(endpoint, provider, outcome string) {
	m.attempts.WithLabelValues(endpoint, provider, outcome).Inc()
}

// Tokens records token usage.
func (m *Metrics) Tokens(endpoint, provider string, in, out int64) {
	if in > 0 {
		m.tokens.WithLabelValues(endpoint, provider, "in").Add(float64(in))
	}
	if out > 0 {
		m.tokens.WithLabelValues(endpoint, provider, "out").Add(float64(out))
	}
}

// Swapped records a configuration swap.
func (m *Metrics) Swapped(generation uint64) {
	m.generation.Set(float64(generation))
	m.swaps.Inc()
}
