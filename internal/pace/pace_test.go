package pace

import (
	"sort"
	"testing"
	"time"
)

// SleepUntil, on a thread of its own, never returns before its deadline,
// and at once for a deadline past, whatever the spin.
func TestSleepUntil(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		LockPrecise() // the thread ends with the goroutine
		sleepUntilCases(t)
	}()
	<-done
}

func sleepUntilCases(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 0, 10 * time.Microsecond, 200 * time.Microsecond, 3 * time.Millisecond} {
		for _, spin := range []time.Duration{0, 20 * time.Microsecond, 50 * time.Microsecond} {
			start := time.Now()
			SleepUntil(start.Add(d), spin)
			if got := time.Since(start); got < d {
				t.Errorf("SleepUntil(+%s, spin %s) returned after %s", d, spin, got)
			}
		}
	}
}

// YieldUntil never returns before its deadline.
func TestYieldUntil(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 0, 30 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		YieldUntil(start.Add(d))
		if got := time.Since(start); got < d {
			t.Errorf("YieldUntil(+%s) returned after %s", d, got)
		}
	}
}

// BenchmarkSleepUntilOvershoot reports how late SleepUntil returns on a
// thread of its own, at the median, for short waits: a millisecond-grained
// timer shows up here, which is what this package exists to avoid. A
// benchmark, not a test: on a busy machine the figure is the machine's.
func BenchmarkSleepUntilOvershoot(b *testing.B) {
	for _, d := range []time.Duration{50 * time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond} {
		b.Run(d.String(), func(b *testing.B) {
			LockPrecise() // the thread ends with the benchmark's goroutine
			var over []time.Duration
			for b.Loop() {
				start := time.Now()
				SleepUntil(start.Add(d), 50*time.Microsecond)
				over = append(over, time.Since(start)-d)
			}
			sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
			b.ReportMetric(float64(over[len(over)/2].Nanoseconds()), "overshoot-p50-ns")
		})
	}
}
