package load

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authbench/authbench/backends"
)

// virtualClock waits with time.Sleep: inside a synctest bubble time is
// virtual and jumps to the next wake-up once every goroutine waits, so a
// run's pacing follows from the arithmetic alone. oversleep lengthens the
// hiccup meter's sleeps, as a stalled machine would.
type virtualClock struct{ oversleep time.Duration }

func (virtualClock) Now() time.Time                  { return time.Now() }
func (virtualClock) Since(t time.Time) time.Duration { return time.Since(t) }
func (virtualClock) Until(t time.Time)               { time.Sleep(time.Until(t)) }
func (c virtualClock) Sleep(d time.Duration)         { time.Sleep(d + c.oversleep) }
func (virtualClock) Yield(t time.Time)               { time.Sleep(time.Until(t)) }

// timed is a backend whose calls take fixed (virtual) times.
type timed struct {
	validate, issue time.Duration
	ttl             time.Duration // credentials expire after it (0: never)
	ignoreCancel    bool          // Validate waits out its time even when cancelled
	stick           bool          // Validate blocks until the run has returned
	stickRevoke     bool          // only Revoke does
	stuck           chan struct{} // made in the bubble: synctest only sees through its own channels
	validations     atomic.Int64
}

func wait(ctx context.Context, d time.Duration, ignoreCancel bool) error {
	if d <= 0 {
		return nil
	}
	if ignoreCancel {
		ctx = context.Background()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *timed) Issue(ctx context.Context, user string) (backends.Credential, error) {
	if err := wait(ctx, b.issue, false); err != nil {
		return backends.Credential{}, err
	}
	c := backends.Credential{Token: user, Subject: user, ID: user}
	if b.ttl > 0 {
		c.ExpiresAt = time.Now().Add(b.ttl)
	}
	return c, nil
}

func (b *timed) Validate(ctx context.Context, tok string) error {
	b.validations.Add(1)
	if b.stuck != nil && !b.stickRevoke {
		<-b.stuck
		return nil
	}
	return wait(ctx, b.validate, b.ignoreCancel)
}

func (b *timed) Revoke(ctx context.Context, c backends.Credential) error {
	if b.stuck != nil && b.stickRevoke {
		<-b.stuck
	}
	return nil
}

func (b *timed) Close() error { return nil }

// runVirtual runs the engine on virtual time and returns its result and
// how long Run took on that time.
func runVirtual(t *testing.T, cfg Config, b *timed) (res *Result, took time.Duration) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		if cfg.Users == 0 {
			cfg.Users = 10
		}
		cfg.Seed = 1
		cfg.Clock = virtualClock{}
		if b.stick || b.stickRevoke {
			b.stuck = make(chan struct{})
		}
		e, err := New(cfg, []backends.Strategy{b})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		res, err = e.Run(t.Context())
		took = time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		// Let the abandoned goroutines return: close what they are stuck
		// on and let the virtual hours they sleep go by.
		if b.stuck != nil {
			close(b.stuck)
		}
		time.Sleep(2 * time.Hour)
	})
	return res, took
}

// Late, missed and started requests of the open model follow from the
// schedule and the service time exactly.
func TestOpenModelAccountingVirtual(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name                   string
		rate                   float64
		clients                int
		service, warmup        time.Duration
		started, late, missed  int64
		minLatency, maxLatency time.Duration
		minService, maxService time.Duration
	}{
		// 100/s for 1 s, 5 ms each: every request on time.
		{"under capacity", 100, 1, 5 * ms, 0, 100, 0, 0, 5 * ms, 5 * ms, 5 * ms, 5 * ms},
		// 15 ms each, due every 10 ms: request k starts at 15k ms, so 67
		// start within the second (0 .. 990 ms), 66 of them late; the
		// other 33 due in it are missed.
		{"over capacity", 100, 1, 15 * ms, 0, 67, 66, 33, 15 * ms, 15*ms + 66*5*ms, 15 * ms, 15 * ms},
		// The same after a 1 s warm-up: the warm-up's backlog is dropped
		// at 1 s, so the measured second starts afresh, but the worker is
		// busy until 1005 ms: starts at 1005 + 15k ms, all 67 late.
		{"backlog from the warm-up dropped", 100, 1, 15 * ms, time.Second, 67, 67, 33, 20 * ms, 20*ms + 66*5*ms, 15 * ms, 15 * ms},
		// Four workers, 10 ms each, 1000/s due: each worker starts 100
		// requests in the second; all but the first four are late.
		{"every worker busy", 1000, 4, 10 * ms, 0, 400, 396, 600, 10 * ms, 0, 10 * ms, 10 * ms},
		// Four workers with room to spare: none late, whatever their number.
		{"four workers under capacity", 400, 4, 9 * ms, 0, 400, 0, 0, 9 * ms, 9 * ms, 9 * ms, 9 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := runVirtual(t, Config{Model: Open, Rate: tc.rate, Clients: tc.clients, Duration: time.Second, Warmup: tc.warmup}, &timed{validate: tc.service})
			o := res.Open
			if o.Started != tc.started || o.Late != tc.late || o.Missed != tc.missed {
				t.Errorf("started %d late %d missed %d, want %d %d %d", o.Started, o.Late, o.Missed, tc.started, tc.late, tc.missed)
			}
			if want := float64(tc.started); o.AchievedRate != want {
				t.Errorf("achieved %g/s, want %g/s (started within the 1 s window)", o.AchievedRate, want)
			}
			v, s := res.Hists["validate"], res.Hists["validate-service"]
			if got := time.Duration(v.Min()); !near(got, tc.minLatency) {
				t.Errorf("latency min %s, want %s", got, tc.minLatency)
			}
			if got := time.Duration(v.Max()); tc.maxLatency > 0 && !near(got, tc.maxLatency) {
				t.Errorf("latency max %s, want %s", got, tc.maxLatency)
			}
			if got := time.Duration(s.Min()); !near(got, tc.minService) {
				t.Errorf("service min %s, want %s", got, tc.minService)
			}
			if got := time.Duration(s.Max()); !near(got, tc.maxService) {
				t.Errorf("service max %s, want %s", got, tc.maxService)
			}
			if res.Outcomes.Errors != 0 || res.Outcomes.Cancelled != 0 || res.Abandoned != 0 {
				t.Errorf("errors %d cancelled %d abandoned %d, want none", res.Outcomes.Errors, res.Outcomes.Cancelled, res.Abandoned)
			}
		})
	}
}

// near compares within the histogram's 3 significant digits.
func near(got, want time.Duration) bool {
	d := got - want
	return d >= -want/500 && d <= want/500
}

// Overload and stalls end the run within its grace period and return what
// was measured: a backend that ignores cancellation is abandoned, one that
// honours it is cancelled, and neither is counted as the backend's error.
func TestRunEndsWithinGrace(t *testing.T) {
	const grace = 700 * time.Millisecond
	for _, tc := range []struct {
		name      string
		cfg       Config
		b         *timed
		abandoned int
		cancelled int64
	}{
		{"open, stuck backend", Config{Model: Open, Rate: 100, Clients: 2}, &timed{stick: true}, 2, 0},
		{"closed, stuck backend", Config{Model: Closed, Clients: 3}, &timed{stick: true}, 3, 0},
		{"open, slow backend", Config{Model: Open, Rate: 100, Clients: 2}, &timed{validate: time.Hour}, 0, 2},
		{"closed, slow backend", Config{Model: Closed, Clients: 3}, &timed{validate: time.Hour}, 0, 3},
		{"closed, slow backend ignoring cancellation", Config{Model: Closed, Clients: 3}, &timed{validate: time.Hour, ignoreCancel: true}, 3, 0},
		{"stuck revoker", Config{Model: Closed, Clients: 1, RevocationRate: 10}, &timed{validate: time.Millisecond, stickRevoke: true}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			// No warm-up: the requests stuck at the end are measured ones.
			cfg.Duration, cfg.Grace = time.Second, grace
			res, took := runVirtual(t, cfg, tc.b)
			if limit := cfg.Warmup + cfg.Duration + grace + time.Millisecond; took > limit {
				t.Errorf("Run took %s, want ≤ %s", took, limit)
			}
			if res.Abandoned != tc.abandoned || res.Outcomes.Cancelled != tc.cancelled || res.Outcomes.Errors != 0 {
				t.Errorf("abandoned %d cancelled %d errors %d, want %d %d 0", res.Abandoned, res.Outcomes.Cancelled, res.Outcomes.Errors, tc.abandoned, tc.cancelled)
			}
			if res.Measured != cfg.Duration {
				t.Errorf("measured %s, want %s", res.Measured, cfg.Duration)
			}
			if res.Open != nil && res.Open.Missed == 0 {
				t.Errorf("no request missed: %+v", res.Open)
			}
		})
	}
}

// A request in flight at the end counts, and the run waits for it (within
// the grace period), not longer.
func TestStragglersCountVirtual(t *testing.T) {
	res, took := runVirtual(t, Config{Model: Closed, Clients: 1, Duration: time.Second, Grace: 5 * time.Second}, &timed{validate: 300 * time.Millisecond})
	// Starts at 0, 300, 600 and 900 ms; the last ends at 1.2 s.
	if n := res.Hists["validate"].TotalCount(); n != 4 {
		t.Errorf("%d validations, want 4", n)
	}
	if len(res.Timeline) != 1 || res.Timeline[0].Validations != 4 {
		t.Errorf("timeline %+v, want one second of 4 validations", res.Timeline)
	}
	if want := 1200 * time.Millisecond; took < want || took > want+2*time.Millisecond {
		t.Errorf("Run took %s, want %s", took, want)
	}
}

// Closed model: a validation that first renews its credential is measured
// from after the renewal; the renewal is a login of its own. Open model:
// the wait for the renewal is part of the user's latency, not of the
// service time.
func TestRenewalOutsideValidateLatency(t *testing.T) {
	const issue, validate = 50 * time.Millisecond, time.Millisecond
	b := func() *timed { return &timed{validate: validate, issue: issue, ttl: 200 * time.Millisecond} }
	closed, _ := runVirtual(t, Config{Model: Closed, Clients: 1, Users: 1, Duration: time.Second}, b())
	if got := time.Duration(closed.Hists["validate"].Max()); !near(got, validate) {
		t.Errorf("closed model: validate max %s, want %s (renewals excluded)", got, validate)
	}
	if closed.Hists["login"] == nil || closed.Hists["login"].TotalCount() == 0 {
		t.Fatal("closed model: no renewal happened")
	}
	open, _ := runVirtual(t, Config{Model: Open, Rate: 20, Clients: 1, Users: 1, Duration: time.Second}, b())
	if got := time.Duration(open.Hists["validate"].Max()); !near(got, issue+validate) {
		t.Errorf("open model: validate max %s, want %s (the wait for the renewal included)", got, issue+validate)
	}
	if got := time.Duration(open.Hists["validate-service"].Max()); !near(got, validate) {
		t.Errorf("open model: service max %s, want %s", got, validate)
	}
}

// The hiccup meter records how late its sleeps wake, over the measured
// period.
func TestHiccupMeter(t *testing.T) {
	for _, over := range []time.Duration{0, 300 * time.Microsecond} {
		var res *Result
		synctest.Test(t, func(t *testing.T) {
			e, err := New(Config{Model: Closed, Clients: 1, Users: 1, Seed: 1, Duration: time.Second, Warmup: 200 * time.Millisecond, Clock: virtualClock{oversleep: over}},
				[]backends.Strategy{&timed{validate: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			if res, err = e.Run(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
		h := res.Hiccups
		want := max(1, int64(over)) // 0 is recorded as the histogram's floor
		if !near(time.Duration(h.Min()), time.Duration(want)) || !near(time.Duration(h.Max()), time.Duration(want)) {
			t.Errorf("oversleep %s: hiccups %d .. %d ns, want %d", over, h.Min(), h.Max(), want)
		}
		if n, want := h.TotalCount(), int64(time.Second/(time.Millisecond+over)); n < want-2 || n > want {
			t.Errorf("oversleep %s: %d readings in 1 s, want about %d", over, n, want)
		}
	}
}
