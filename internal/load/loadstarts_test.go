package load

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

// counting counts logins and validations.
type counting struct {
	backends.Strategy
	issued, validated atomic.Int64
}

func (c *counting) Issue(ctx context.Context, user string) (backends.Credential, error) {
	c.issued.Add(1)
	return c.Strategy.Issue(ctx, user)
}

func (c *counting) Validate(ctx context.Context, tok string) error {
	c.validated.Add(1)
	return c.Strategy.Validate(ctx, tok)
}

// TestLoadStartsAfterLogins checks that LoadStarts is called once, when
// every user has logged in and before the first validation, so that
// counters read there cover the load alone.
func TestLoadStartsAfterLogins(t *testing.T) {
	node := &counting{Strategy: open(t, "jwt-hs256", nil)}
	var calls, issuedThen, validatedThen atomic.Int64
	cfg := Config{Model: Closed, Clients: 2, Users: 50, Duration: 50 * time.Millisecond,
		LoadStarts: func() {
			calls.Add(1)
			issuedThen.Store(node.issued.Load())
			validatedThen.Store(node.validated.Load())
		}}
	run(t, cfg, node)
	if calls.Load() != 1 {
		t.Fatalf("LoadStarts called %d times, want once", calls.Load())
	}
	if issuedThen.Load() != 50 || validatedThen.Load() != 0 {
		t.Errorf("at LoadStarts: %d logins and %d validations, want 50 and 0", issuedThen.Load(), validatedThen.Load())
	}
	if node.validated.Load() == 0 {
		t.Error("no validation after LoadStarts")
	}
}
