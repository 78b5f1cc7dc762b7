// Package pace waits precisely. A load generator that schedules request n
// at start + n/rate must start it on time, or the latency it measures from
// the intended start includes its own lateness.
//
// Go's time.Sleep is only as fine as the runtime's timer wake-ups, which on
// some Linux machines round up to the next millisecond (measured here: a
// 100 µs sleep lasting 1.1 ms). nanosleep(2) on the calling thread wakes
// within tens of microseconds, and a short yield loop covers the rest.
package pace

import (
	"runtime"
	"syscall"
	"time"
)

// Spin is the last stretch of a wait spent yielding instead of sleeping:
// longer than nanosleep's usual overshoot, short enough to cost little CPU.
const Spin = 100 * time.Microsecond

// Sleep waits for d.
func Sleep(d time.Duration) {
	Until(time.Now().Add(d))
}

// Until waits until deadline (a time.Now reading; its monotonic clock is used).
func Until(deadline time.Time) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		if left <= Spin {
			runtime.Gosched()
			continue
		}
		nap(left - Spin)
	}
}

// nap blocks the calling thread in nanosleep. The runtime hands the
// goroutine's processor to another thread meanwhile, as for any blocking
// system call. Waits longer than a few milliseconds go to time.Sleep,
// which needs no thread of its own.
func nap(d time.Duration) {
	if d > 5*time.Millisecond {
		time.Sleep(d - time.Millisecond)
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the nap; the loop goes on
}
