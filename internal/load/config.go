package load

import (
	"fmt"
	"time"
)

// Models of load.
const (
	Closed = "closed"
	Open   = "open"
)

// Routing policies between validator nodes.
const (
	Random = "random"
	Sticky = "sticky"
)

// Config is one run of the engine.
type Config struct {
	Model   string        // Closed or Open
	Clients int           // closed: concurrent clients; open: most requests in flight
	Rate    float64       // open: requests per second
	Think   time.Duration // closed: pause between a client's requests

	Duration time.Duration // measured period
	Warmup   time.Duration // run before the measured period, not recorded

	Users int    // identities holding credentials
	Seed  uint64 // every random choice follows from it

	RevocationRate float64 // logouts per second
	Replay         float64 // share of validations replaying a revoked credential

	Routing string        // Random or Sticky, between the nodes
	Leeway  time.Duration // the validators' clock leeway: expiry within it is undecided

	// MaxValidations, when > 0, ends a closed-model run after that many
	// measured validations in total instead of after Duration. Benchmarks use it.
	MaxValidations int64

	// Grace is how long the engine waits, after the end of the measured
	// period, for requests still in flight (a stalled store) before it
	// cancels and then abandons them: the run ends within Grace after its
	// measured period. 0 means 1 s. The request time-out is a good value.
	Grace time.Duration

	// LoadStarts, when set, is called once after every user has logged in,
	// just before the load (warm-up included) begins, so that the caller
	// can read its counters (CPU time, store operations) over the load
	// alone, without the login phase.
	LoadStarts func()

	// Clock is the engine's time; nil means RealClock.
	Clock Clock
}

func (c *Config) check() error {
	switch {
	case c.Model != Closed && c.Model != Open:
		return fmt.Errorf("load model must be %q or %q, got %q", Closed, Open, c.Model)
	case c.Clients < 1:
		return fmt.Errorf("clients must be ≥ 1, got %d", c.Clients)
	case c.Model == Open && c.Rate <= 0:
		return fmt.Errorf("open model needs a rate > 0, got %g", c.Rate)
	case c.Duration <= 0 && c.MaxValidations <= 0:
		return fmt.Errorf("duration must be > 0, got %s", c.Duration)
	case c.Users < 1:
		return fmt.Errorf("users must be ≥ 1, got %d", c.Users)
	case c.Replay < 0 || c.Replay > 1:
		return fmt.Errorf("replay share must be within 0..1, got %g", c.Replay)
	case c.RevocationRate < 0:
		return fmt.Errorf("revocation rate must be ≥ 0, got %g", c.RevocationRate)
	case c.Routing != "" && c.Routing != Random && c.Routing != Sticky:
		return fmt.Errorf("routing must be %q or %q, got %q", Random, Sticky, c.Routing)
	}
	return nil
}
