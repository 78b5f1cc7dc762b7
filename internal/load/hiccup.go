package load

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// hiccupSleep is how long the hiccup meter sleeps between two readings.
const hiccupSleep = time.Millisecond

// hiccupMeter is jHiccup's idea: a goroutine that sleeps a fixed short time
// over and over and records how much longer than asked each sleep took.
// Nothing in it depends on the backend, so what it records is the
// machine's and the Go runtime's own stalls (other processes, garbage
// collection, the scheduler): a backend's latency tail no larger than
// them says nothing about the backend.
type hiccupMeter struct {
	hist *hdrhistogram.Histogram
	done chan struct{}
}

// startHiccupMeter runs a meter until e stops; it records during the
// measured period only.
func startHiccupMeter(e *Engine) *hiccupMeter {
	m := &hiccupMeter{hist: newHist(), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for !e.stop.Load() {
			t0 := e.now()
			e.clock.Sleep(hiccupSleep)
			t1 := e.now()
			if t0 >= e.measNs && t1 <= e.endNs {
				over := max(histLowest, min(t1-t0-int64(hiccupSleep), histHighest))
				_ = m.hist.RecordValue(over)
			}
		}
	}()
	return m
}

// stop waits for the meter to notice the end of the run and returns what
// it recorded.
func (m *hiccupMeter) stop() *hdrhistogram.Histogram {
	<-m.done
	return m.hist
}
