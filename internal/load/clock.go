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
	// Until waits until t, precisely: request start times depend on it.
	Until(t time.Time)
	// Sleep waits for about d; for the hiccup meter, which measures how
	// late an ordinary sleep wakes.
	Sleep(d time.Duration)
}

// RealClock is the wall clock (its monotonic reading), with pace's
// precise waits. Until is pace.Until (the runtime's timers, then
// nanosleep, then a short yield loop) rather than a long yield loop: only
// the open model's dispatcher waits with it, so one thread at most sits in
// nanosleep, and below about 700 requests/s a yield loop over the runtime
// timers' millisecond of slack would keep a processor busy most of the time.
type RealClock struct{}

func (RealClock) Now() time.Time        { return time.Now() }
func (RealClock) Until(t time.Time)     { pace.Until(t) }
func (RealClock) Sleep(d time.Duration) { time.Sleep(d) }

var _ Clock = RealClock{}
