package load

import (
	"time"

	"github.com/authbench/authbench/internal/pace"
)

// A Clock is the engine's only source of time: it reads the time and waits
// for it. Tests give the engine a clock that waits with time.Sleep and run
// it inside a testing/synctest bubble, where time is virtual and moves only
// when every goroutine waits: due times, late and missed requests and the
// end of a run then follow from the arithmetic alone, not from the speed of
// the machine.
type Clock interface {
	Now() time.Time
	// Since is the time elapsed since t, read from the monotonic clock
	// alone: the engine reads it twice per request, and Now also reads
	// the wall clock (on some machines as costly as the request itself).
	Since(t time.Time) time.Duration
	// Until waits until t, precisely: request start times depend on it.
	Until(t time.Time)
	// Sleep waits for about d; for the hiccup meter, which measures how
	// late an ordinary sleep wakes.
	Sleep(d time.Duration)
	// Yield waits until t, a few tens of microseconds away, by yielding
	// the processor: for a worker handed its request ahead of time.
	Yield(t time.Time)
}

// RealClock is the wall clock (its monotonic reading). Its Until is for
// the open model's dispatcher alone, which runs on a thread of its own
// (pace.LockPrecise): it sleeps in the kernel up to the last few
// microseconds, so that on a machine other processes keep busy the
// kernel wakes it first instead of making a spinning thread wait out
// their time slices.
type RealClock struct{}

// spin is the last stretch of a dispatcher's wait spent yielding: longer
// than a nanosleep's usual wake-up delay on a quiet machine, short enough
// to leave the thread a sleeper.
const spin = 20 * time.Microsecond

func (RealClock) Now() time.Time                  { return time.Now() }
func (RealClock) Since(t time.Time) time.Duration { return time.Since(t) }
func (RealClock) Until(t time.Time)               { pace.SleepUntil(t, spin) }
func (RealClock) Sleep(d time.Duration)           { time.Sleep(d) }
func (RealClock) Yield(t time.Time)               { pace.YieldUntil(t) }

var _ Clock = RealClock{}
