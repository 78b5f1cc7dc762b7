package stalltest

import (
	"runtime"
	"testing"
	"time"
)

// With one processor and a goroutine spinning on it, the meter's goroutine
// runs only when the spinner is preempted (every 10 ms at most): the meter
// must see stalls of that order. A busy machine only makes them longer.
func TestMeterSeesStall(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	m := Start(t)
	time.Sleep(5 * tick) // the meter is asleep in its loop
	spin := time.Now()
	for time.Since(spin) < 100*time.Millisecond {
	}
	m.Stop()
	t.Logf("longest stall %v", m.Max())
	if m.Max() < 5*time.Millisecond {
		t.Errorf("longest stall %v while a goroutine held the only processor for 100 ms, want ≥ 5 ms", m.Max())
	}
	m.Stop() // a second Stop (the test's cleanup calls it too) returns at once
}
