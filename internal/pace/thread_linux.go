package pace

import (
	"runtime"
	"syscall"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// LockPrecise locks the calling goroutine to its thread and sets the
// thread's timer slack to 1 ns, so that nanosleep wakes it when asked
// rather than up to 50 µs later (Linux's default slack). The goroutine
// must never unlock: when it exits, the runtime ends the thread, and the
// setting with it.
func LockPrecise() {
	runtime.LockOSThread()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0) // best effort: only precision is lost
}
