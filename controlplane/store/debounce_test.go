package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// runDebounce starts Debounce on an unbuffered channel (so every send is
// received) and returns the channel and a counter of fn calls.
func runDebounce(t *testing.T, quiet, maxDelay time.Duration) (chan<- struct{}, *atomic.Int32) {
	t.Helper()
	ch := make(chan struct{})
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Debounce(ctx, ch, quiet, maxDelay, func() { calls.Add(1) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Debounce did not return after cancel")
		}
	})
	return ch, &calls
}

// waitCalls waits (generously) until calls reaches at least n.
func waitCalls(t *testing.T, calls *atomic.Int32, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("fn called %d times, want at least %d", calls.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDebounceCoalescesBurst(t *testing.T) {
	t.Parallel()
	ch, calls := runDebounce(t, 300*time.Millisecond, 5*time.Second)
	for range 20 {
		ch <- struct{}{} // back to back: well within the quiet window
	}
	waitCalls(t, calls, 1)
	time.Sleep(time.Second) // nothing else may come
	if n := calls.Load(); n != 1 {
		t.Errorf("fn called %d times for one burst, want 1", n)
	}

	// A later burst gets its own call.
	ch <- struct{}{}
	ch <- struct{}{}
	waitCalls(t, calls, 2)
}

func TestDebounceNoSignalNoCall(t *testing.T) {
	t.Parallel()
	_, calls := runDebounce(t, 10*time.Millisecond, 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Errorf("fn called %d times without a signal", n)
	}
}

func TestDebounceMaxDelayCapsEndlessBurst(t *testing.T) {
	t.Parallel()
	ch, calls := runDebounce(t, 300*time.Millisecond, 600*time.Millisecond)
	// Keep signalling faster than the quiet window until fn runs anyway.
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("fn never called while signals kept coming")
		}
		ch <- struct{}{}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDebounceReturnsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Debounce(ctx, ch, time.Hour, time.Hour, func() { t.Error("fn called after cancel") })
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Debounce did not return after cancel")
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	ch := make(chan struct{}, 1)
	for range 3 {
		Notify(ch) // the second and third coalesce into the pending one
	}
	if len(ch) != 1 {
		t.Fatalf("len = %d, want 1", len(ch))
	}
	Notify(make(chan struct{})) // unbuffered, no reader: must not block
}
