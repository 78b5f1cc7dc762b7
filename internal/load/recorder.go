package load

import (
	"sync/atomic"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 ns to 1 h at 3 significant digits. Values above the
// top are clamped to it and counted, never dropped.
const (
	histLowest  = 1
	histHighest = int64(3600e9)
	histDigits  = 3
	// The per-second timeline only feeds a chart: 2 digits keep it small.
	timelineDigits = 2
)

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// Operation kinds recorded by the engine.
type op int

const (
	opValidate op = iota
	opValidateService
	opLogin
	opRefresh
	opLogout
	numOps
)

var opNames = [numOps]string{"validate", "validate-service", "login", "refresh", "logout"}

// counts are the per-worker outcome counters.
type counts struct {
	accepted, rejected, errors       int64
	cancelled                        int64 // by the engine, at the end
	falseAccepts, falseRejects       int64
	expValid, expRevoked, expExpired int64
	undecided                        int64
	lossRejects, forcedLogins        int64
	replays, replaysAccepted         int64
	late, missed, started            int64         // open model
	opErrors                         [numOps]int64 // counts come from the histograms
	revocations                      int64
	clamped                          int64
}

func (c *counts) add(o *counts) {
	c.accepted += o.accepted
	c.rejected += o.rejected
	c.errors += o.errors
	c.falseAccepts += o.falseAccepts
	c.falseRejects += o.falseRejects
	c.expValid += o.expValid
	c.expRevoked += o.expRevoked
	c.expExpired += o.expExpired
	c.undecided += o.undecided
	c.lossRejects += o.lossRejects
	c.forcedLogins += o.forcedLogins
	c.replays += o.replays
	c.replaysAccepted += o.replaysAccepted
	c.cancelled += o.cancelled
	c.late += o.late
	c.missed += o.missed
	c.started += o.started
	for i := range c.opErrors {
		c.opErrors[i] += o.opErrors[i]
	}
	c.revocations += o.revocations
	c.clamped += o.clamped
}

// secondCounts are the counters of one second of the timeline.
type secondCounts struct {
	validations, errors, revocations            int64
	replaysAccepted, falseAccepts, falseRejects int64
}

func (s *secondCounts) add(o *secondCounts) {
	s.validations += o.validations
	s.errors += o.errors
	s.revocations += o.revocations
	s.replaysAccepted += o.replaysAccepted
	s.falseAccepts += o.falseAccepts
	s.falseRejects += o.falseRejects
}

// secondFlush carries one finished second of one worker to the timeline
// collector.
// A flush with done set says the worker has stopped and will flush no more.
type secondFlush struct {
	worker int
	sec    int
	done   bool
	hist   *hdrhistogram.Histogram
	counts secondCounts
}

// Phases of a writer (worker or revoker), for the end of the run.
const (
	phaseIdle      = iota // in the engine's own code
	phaseCall             // in a backend call
	phaseAbandoned        // the engine gave up waiting for the call: it owns the recorder
	phaseExited           // the writer returned
)

// recorder is one worker's private record of a run. Only its worker writes
// it; the engine reads it after the worker has exited or been abandoned,
// except done, which the progress display reads while the run goes on.
type recorder struct {
	// phase tells the engine whether the writer is in a backend call: a
	// writer stuck in one past the end of the run is abandoned with a
	// compare-and-swap, which the writer's own one on return then loses,
	// so the two never both touch the recorder.
	phase atomic.Int32

	id    int // the worker's index, for the timeline collector
	hists [numOps]*hdrhistogram.Histogram
	c     counts

	// The current second of the timeline.
	sec      int
	secHist  *hdrhistogram.Histogram
	secCount secondCounts
	flush    chan<- secondFlush
	free     <-chan *hdrhistogram.Histogram

	errSamples []string

	validations int64        // completed, warm-up included
	done        atomic.Int64 // validations, published every 64, for progress
	_           [56]byte     // keep done off the next recorder's cache line
}

// enter marks the start of a backend call.
func (r *recorder) enter() { r.phase.Store(phaseCall) }

// leave marks its end; false means the engine abandoned the writer
// meanwhile, and it must return without touching anything.
func (r *recorder) leave() bool { return r.phase.CompareAndSwap(phaseCall, phaseIdle) }

// exit flushes the recorder and marks its writer as returned.
func (r *recorder) exit() {
	r.done.Store(r.validations)
	r.stop()
	r.phase.Store(phaseExited)
}

func newRecorder(id int, flush chan<- secondFlush, free <-chan *hdrhistogram.Histogram) *recorder {
	r := &recorder{id: id, flush: flush, free: free, sec: -1}
	r.hists[opValidate] = newHist()
	r.hists[opValidateService] = newHist()
	return r
}

// record adds a latency to an operation's histogram.
func (r *recorder) record(o op, ns int64) {
	h := r.hists[o]
	if h == nil {
		// Logins, refreshes and logouts are rare on client workers: their
		// histograms are made on first use, once.
		h = newHist()
		r.hists[o] = h
	}
	if ns < histLowest {
		ns = histLowest
	}
	if ns > histHighest {
		ns = histHighest
		r.c.clamped++
	}
	_ = h.RecordValue(ns) // cannot fail: ns is within the bounds
}

// second returns the timeline bucket for a request that ended sec seconds
// into the measured period, flushing the previous one.
func (r *recorder) second(sec int) *secondCounts {
	if sec != r.sec {
		r.flushSecond()
		r.sec = sec
		select {
		case h := <-r.free:
			r.secHist = h
		default:
			r.secHist = hdrhistogram.New(histLowest, histHighest, timelineDigits)
		}
	}
	return &r.secCount
}

func (r *recorder) recordSecond(ns int64) {
	ns = max(histLowest, min(ns, histHighest))
	_ = r.secHist.RecordValue(ns)
}

func (r *recorder) flushSecond() {
	if r.sec < 0 || r.secHist == nil {
		return
	}
	r.flush <- secondFlush{worker: r.id, sec: r.sec, hist: r.secHist, counts: r.secCount}
	r.secHist = nil
	r.secCount = secondCounts{}
	r.sec = -1
}

// stop flushes the current second and tells the collector this worker is done.
func (r *recorder) stop() {
	r.flushSecond()
	r.flush <- secondFlush{worker: r.id, done: true}
}

// sampleError keeps a few distinct error messages of a worker.
func (r *recorder) sampleError(err error) {
	if len(r.errSamples) >= 3 {
		return
	}
	msg := err.Error()
	for _, s := range r.errSamples {
		if s == msg {
			return
		}
	}
	r.errSamples = append(r.errSamples, msg)
}
