package backends

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/authbench/authbench/internal/pace"
)

// The calibration backends let the harness measure itself: noop shows the
// harness's own overhead per request, sleep shows whether a known service
// time and a known stall come out of the engine unchanged.

func init() {
	Register(Entry{
		Info: Info{
			Name:        "noop",
			LoginCost:   time.Microsecond,
			Family:      "calibration",
			Description: "Accepts every credential and does nothing: measures the harness's own overhead per request.",
		},
		New: func(env *Env) (Strategy, error) { return noop{}, nil },
	})
	Register(Entry{
		Info: Info{
			Name:        "sleep",
			LoginCost:   time.Microsecond,
			Family:      "calibration",
			Description: "Accepts every credential after a fixed service time (options.sleep.delay), with an optional stall (stall_at, stall_for): checks that a known latency and a stall show up in the percentiles.",
		},
		Options: func() Options { return &SleepOptions{Delay: time.Millisecond} },
		New:     newSleep,
	})
}

type noop struct{}

var _ Strategy = noop{}

func (noop) Issue(_ context.Context, user string) (Credential, error) {
	return Credential{Token: "noop-" + user, Subject: user, ID: user}, nil
}
func (noop) Validate(context.Context, string) error   { return nil }
func (noop) Revoke(context.Context, Credential) error { return nil }
func (noop) Close() error                             { return nil }

// SleepOptions are the options of the sleep backend.
type SleepOptions struct {
	// Delay is the service time of every validation.
	Delay time.Duration `yaml:"delay"`
	// StallAt is when the stall begins, counted from the start of the
	// measured period (warm-up excluded).
	StallAt time.Duration `yaml:"stall_at"`
	// StallFor is how long the stall lasts; 0 disables it. During a stall
	// every validation waits until the stall is over, as behind a frozen store.
	StallFor time.Duration `yaml:"stall_for"`
}

// Check validates the options.
func (o *SleepOptions) Check() error {
	switch {
	case o.Delay < 0:
		return fmt.Errorf("delay must be ≥ 0, got %s", o.Delay)
	case o.StallAt < 0:
		return fmt.Errorf("stall_at must be ≥ 0, got %s", o.StallAt)
	case o.StallFor < 0:
		return fmt.Errorf("stall_for must be ≥ 0, got %s", o.StallFor)
	}
	return nil
}

// Clone returns a copy.
func (o *SleepOptions) Clone() Options { c := *o; return &c }

// Starter is implemented by backends whose behaviour depends on when the
// measured period begins; the engine calls Begin once, with that moment.
type Starter interface {
	Begin(measuredStart time.Time)
}

type sleeper struct {
	noop
	opt SleepOptions
	// stallStart and stallEnd are monotonic-clock readings (ns since base);
	// zero until Begin is called.
	base       time.Time
	stallStart atomic.Int64
	stallEnd   atomic.Int64
}

func newSleep(env *Env) (Strategy, error) {
	opt := SleepOptions{Delay: time.Millisecond}
	if o, ok := env.Options.(*SleepOptions); ok && o != nil {
		opt = *o
	}
	if err := opt.Check(); err != nil {
		return nil, err
	}
	return &sleeper{opt: opt, base: time.Now()}, nil
}

func (s *sleeper) Begin(measuredStart time.Time) {
	if s.opt.StallFor <= 0 {
		return
	}
	start := measuredStart.Add(s.opt.StallAt).Sub(s.base)
	s.stallEnd.Store(int64(start + s.opt.StallFor))
	s.stallStart.Store(int64(start))
}

func (s *sleeper) Validate(ctx context.Context, _ string) error {
	if end := s.stallEnd.Load(); end != 0 {
		now := int64(time.Since(s.base))
		if now >= s.stallStart.Load() && now < end {
			if err := sleepCtx(ctx, time.Duration(end-now)); err != nil {
				return err
			}
		}
	}
	if s.opt.Delay > 0 {
		return preciseSleep(ctx, s.opt.Delay)
	}
	return nil
}

// preciseSleep takes exactly d (within tens of microseconds) unless ctx
// ends first: a calibration backend must take the service time it
// promises, and Go's timers can be a millisecond late.
func preciseSleep(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	if coarse := d - 2*time.Millisecond; coarse > 0 {
		if err := sleepCtx(ctx, coarse); err != nil {
			return err
		}
	}
	// Yield rather than nanosleep: many clients share two processors here,
	// and a thread asleep in a system call keeps its processor from them.
	pace.YieldUntil(deadline)
	return ctx.Err()
}

// sleepCtx sleeps for d or until ctx is done. A plain time.Sleep is used when
// ctx can never be cancelled, because a timer per call would allocate.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if ctx.Done() == nil {
		time.Sleep(d)
		return nil
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
