package pace

import (
	"sort"
	"testing"
	"time"
)

// Each wait must end after its deadline and, at the median, close to it.
// The bound is loose (a shared machine): it catches a millisecond-grained
// timer, which is what this package exists to avoid.
func TestSleepUntilIsPrecise(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		LockPrecise()
		for _, d := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond} {
			var over []time.Duration
			for range 50 {
				start := time.Now()
				SleepUntil(start.Add(d), 20*time.Microsecond)
				got := time.Since(start)
				if got < d {
					t.Errorf("SleepUntil(+%s) returned after %s", d, got)
					return
				}
				over = append(over, got-d)
			}
			sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
			t.Logf("SleepUntil(+%s): overshoot p50 %s", d, over[len(over)/2])
			if over[len(over)/2] > 300*time.Microsecond {
				t.Errorf("SleepUntil(+%s) overshoots by %s at the median", d, over[len(over)/2])
			}
		}
	}()
	<-done
}

// SleepUntil, on a thread of its own, never returns before its deadline,
// and at once for a deadline past.
func TestSleepUntil(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		LockPrecise()
		for _, d := range []time.Duration{-time.Second, 0, 10 * time.Microsecond, 200 * time.Microsecond, 3 * time.Millisecond} {
			for _, spin := range []time.Duration{0, 20 * time.Microsecond} {
				start := time.Now()
				SleepUntil(start.Add(d), spin)
				if got := time.Since(start); got < d {
					t.Errorf("SleepUntil(+%s, spin %s) returned after %s", d, spin, got)
				}
			}
		}
	}()
	<-done
}
