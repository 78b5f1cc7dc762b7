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

// YieldUntil waits until deadline by yielding the processor to other
// goroutines in a loop: precise, never holds a processor while blocked, but
// keeps a CPU busy. For a waiter that shares the processors with many
// others (a simulated backend with a service time), where nanosleep would
// keep a processor from them until the runtime takes it back.
func YieldUntil(deadline time.Time) {
	if coarse := time.Until(deadline) - timerSlack; coarse > 0 {
		time.Sleep(coarse)
	}
	for time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// timerSlack is how late the runtime's timers may wake on such a machine
// (a millisecond and a bit): time.Sleep is used only for what lies beyond.
const timerSlack = 1500 * time.Microsecond

// nap blocks the calling thread in nanosleep. The runtime hands the
// goroutine's processor to another thread meanwhile, but only once it
// notices (tens of microseconds to milliseconds later), so long waits go
// to time.Sleep, which needs no thread of its own, and only the last
// stretch is spent in nanosleep.
func nap(d time.Duration) {
	if d > timerSlack {
		time.Sleep(d - timerSlack)
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the nap; the loop goes on
}

// SleepUntil waits until deadline asleep in the kernel, yielding only for
// the last spin. For one goroutine that must wake precisely on a machine
// other processes keep busy: a thread that spins is a CPU hog to the
// kernel's scheduler and waits out whole time slices of others, while one
// woken from nanosleep runs first. Call LockPrecise first: then the
// nanosleeps hold this goroutine's own thread, and wake without slack.
func SleepUntil(deadline time.Time, spin time.Duration) {
	for {
		left := time.Until(deadline)
		switch {
		case left <= 0:
			return
		case left <= spin:
			runtime.Gosched()
		case left-spin > timerSlack:
			time.Sleep(left - spin - timerSlack)
		default:
			ts := syscall.NsecToTimespec(int64(left - spin))
			_ = syscall.Nanosleep(&ts, nil)
		}
	}
}
