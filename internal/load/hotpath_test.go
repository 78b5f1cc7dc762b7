package load

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/backends"
)

// fixedClock always reads the same instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                  { return c.t }
func (c fixedClock) Since(t time.Time) time.Duration { return c.t.Sub(t) }
func (fixedClock) Until(time.Time)                   {}
func (fixedClock) Sleep(d time.Duration)             {}
func (fixedClock) Yield(time.Time)                   {}

// prepared returns an engine set up as Run sets it up before its workers
// start (users logged in, a measured period from 0 on), and one worker's
// recorder, so that single requests can be sent through it.
func prepared(t *testing.T, cfg Config, s backends.Strategy) (*Engine, *recorder) {
	t.Helper()
	if cfg.Users == 0 {
		cfg.Users = 100
	}
	e, err := New(cfg, []backends.Strategy{s})
	if err != nil {
		t.Fatal(err)
	}
	e.base = e.clock.Now()
	e.opCtx = context.Background()
	if _, err := e.loginAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.startNs, e.measNs, e.endNs = 0, 0, math.MaxInt64
	// Room for the timeline's seconds: nothing collects them here.
	flush := make(chan secondFlush, 1024)
	return e, newRecorder(0, flush, make(chan *hdrhistogram.Histogram))
}

// The per-request path neither allocates nor locks: a validation through
// the engine (user choice, ground truth, two HDR records, the timeline)
// must not allocate, on a backend that does not allocate itself.
func TestValidationDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"noop", "session-memory"} {
		t.Run(name, func(t *testing.T) {
			e, r := prepared(t, Config{Model: Closed, Clients: 1, Seed: 1, Duration: time.Hour}, open(t, name, nil))
			rng := rand.New(rand.NewPCG(1, 1))
			allocs := testing.AllocsPerRun(2000, func() {
				now := e.now()
				e.request(r, rng, now, now)
			})
			if allocs != 0 {
				t.Errorf("%g allocations per validation, want 0", allocs)
			}
			if o := r.c; o.accepted == 0 || o.errors != 0 || o.rejected != 0 {
				t.Fatalf("validations did not go through: %+v", o)
			}
		})
	}
}

// A request handed out before the end but received after it is missed,
// never started.
func TestOpenWorkerNeverStartsAfterTheEnd(t *testing.T) {
	b := &timed{}
	e, r := prepared(t, Config{Model: Open, Rate: 100, Clients: 1, Seed: 1, Duration: time.Second}, b)
	e.endNs = int64(time.Second)
	e.clock = fixedClock{e.base.Add(time.Second)} // the end, exactly
	work := make(chan int64, 3)
	for _, due := range []int64{int64(990 * time.Millisecond), int64(995 * time.Millisecond), int64(999 * time.Millisecond)} {
		work <- due
	}
	close(work)
	if !e.openWorker(r, rand.New(rand.NewPCG(1, 1)), work) {
		t.Fatal("worker abandoned")
	}
	if n := b.validations.Load(); n != 0 || r.c.missed != 3 || r.c.started != 0 {
		t.Errorf("%d validations, missed %d, started %d; want 0, 3, 0", n, r.c.missed, r.c.started)
	}
}
