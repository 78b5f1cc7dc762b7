// Package pace waits precisely. A load generator that schedules request n
// at start + n/rate must start it on time, or the latency it measures from
// the intended start includes its own lateness.
//
// Go's time.Sleep is only as fine as the runtime's timer wake-ups, which on
// some Linux machines round up to the next millisecond (measured here: a
// 100 µs sleep lasting 1.1 ms). nanosleep(2) on a thread of its own with no
// timer slack wakes within microseconds, and a short yield loop covers the
// rest (SleepUntil); a waiter that shares the processors with many others
// yields instead (YieldUntil).
package pace

import (
	"runtime"
	"syscall"
	"time"
)

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
