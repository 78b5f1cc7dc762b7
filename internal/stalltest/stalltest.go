// Package stalltest measures, during a test, how long the machine kept a
// goroutine that was ready to run from running: the time a bound on
// elapsed time must allow for on a busy machine (a shared 2-core CI box)
// and nothing else, so the bound stays tight on a quiet one.
//
// It is jHiccup's idea: a goroutine sleeps a short fixed time over and
// over, and how much longer than asked each sleep took is a stall of the
// process (other processes, the garbage collector, the scheduler), since
// the goroutine itself does nothing.
package stalltest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tick is how long the meter sleeps between two readings: short enough to
// see stalls of a few milliseconds, long enough to cost nothing.
const tick = time.Millisecond

// Meter records the longest stall seen since it started.
type Meter struct {
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Start runs a meter until the end of the test (before the test's earlier
// cleanups, such as leak checks, run).
func Start(t testing.TB) *Meter {
	m := &Meter{stop: make(chan struct{}), done: make(chan struct{})}
	go m.run()
	t.Cleanup(m.Stop)
	return m
}

func (m *Meter) run() {
	defer close(m.done)
	timer := time.NewTimer(tick)
	defer timer.Stop()
	for {
		t0 := time.Now()
		timer.Reset(tick)
		select {
		case <-m.stop:
			return
		case <-timer.C:
		}
		if over := int64(time.Since(t0) - tick); over > m.max.Load() {
			m.max.Store(over)
		}
	}
}

// Max is the longest stall seen so far.
func (m *Meter) Max() time.Duration { return time.Duration(m.max.Load()) }

// Stop ends the meter and waits for its goroutine; it may be called more
// than once.
func (m *Meter) Stop() {
	m.once.Do(func() { close(m.stop) })
	<-m.done
}
