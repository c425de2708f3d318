package store

import (
	"context"
	"time"
)

// Debounce calls fn once after each burst of signals on changed, when no new
// signal has arrived for quiet, and at the latest maxDelay after the burst began
// (so a folder that never stops changing is still picked up). It is the single
// place where store events are coalesced; stores just signal.
func Debounce(ctx context.Context, changed <-chan struct{}, quiet, maxDelay time.Duration, fn func()) {
	var (
		timer    *time.Timer
		timerC   <-chan time.Time
		deadline time.Time
	)
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-changed:
			now := time.Now()
			if timerC == nil {
				deadline = now.Add(maxDelay)
			}
			wait := quiet
			if left := deadline.Sub(now); left < wait {
				wait = max(left, 0)
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Stop()
				timer.Reset(wait)
			}
			timerC = timer.C
		case <-timerC:
			timerC = nil
			fn()
		}
	}
}
