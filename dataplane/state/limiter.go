package state

import (
	"math"
	"sync"
	"time"
)

// Limiter is a pair of token buckets (requests and tokens per minute) for one
// Endpoint. Each Endpoint has its own, so there is no global lock; the short
// critical section is per Endpoint.
type Limiter struct {
	limits RateLimit
	mu     sync.Mutex
	reqs   bucket
	toks   bucket
}

type bucket struct {
	capacity float64 // per minute
	level    float64
	last     time.Time
}

func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.level, b.last = b.capacity, now
		return
	}
	b.level = math.Min(b.capacity, b.level+now.Sub(b.last).Minutes()*b.capacity)
	b.last = now
}

// wait returns how long until n units are available.
func (b *bucket) wait(n float64) time.Duration {
	if b.level >= n {
		return 0
	}
	return time.Duration((n - b.level) / b.capacity * float64(time.Minute))
}

// NewLimiter returns a limiter with full buckets.
func NewLimiter(rl RateLimit) *Limiter {
	return &Limiter{limits: rl, reqs: bucket{capacity: float64(rl.RequestsPerMinute)}, toks: bucket{capacity: float64(rl.TokensPerMinute)}}
}

// Allow takes one request from the budget. When the request or token budget
// is exhausted it returns false and how long until the next request would fit.
func (l *Limiter) Allow(now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.TokensPerMinute > 0 {
		l.toks.refill(now)
		if l.toks.level <= 0 {
			return false, l.toks.wait(1)
		}
	}
	if l.limits.RequestsPerMinute > 0 {
		l.reqs.refill(now)
		if w := l.reqs.wait(1); w > 0 {
			return false, w
		}
		l.reqs.level--
	}
	return true, 0
}

// Spend charges tokens used by a finished request; the budget may go negative,
// which delays later requests until it refills.
func (l *Limiter) Spend(now time.Time, tokens int64) {
	if l == nil || l.limits.TokensPerMinute <= 0 || tokens <= 0 {
		return
	}
	l.mu.Lock()
	l.toks.refill(now)
	l.toks.level -= float64(tokens)
	l.mu.Unlock()
}
