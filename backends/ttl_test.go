package backends

import (
	"context"
	"testing"
	"time"
)

// TestSubSecondTTL: a token is valid for its whole token.ttl from the
// moment it is issued, whatever the fraction of the second it is issued
// in. With exp written in whole seconds (truncated), a 200 ms token issued
// after the first 200 ms of a second was expired at birth.
func TestSubSecondTTL(t *testing.T) {
	t.Parallel()
	base := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"jwt-hs256", "jwe-dir", "jwe-nested"} {
		for _, frac := range []time.Duration{0, 300 * time.Millisecond, 999 * time.Millisecond} {
			now := base.Add(frac)
			env := testEnv(t, name, 0)
			env.Token.TTL, env.Token.Leeway = 200*time.Millisecond, 0
			var at time.Time
			env.Now = func() time.Time {
				if at.IsZero() {
					return now
				}
				return at
			}
			s, err := Open(name, env)
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.Issue(context.Background(), "alice")
			if err != nil {
				t.Fatal(err)
			}
			if want := now.Add(200 * time.Millisecond); !c.ExpiresAt.Equal(want) {
				t.Errorf("%s issued at +%v: expires at %v, want %v", name, frac, c.ExpiresAt, want)
			}
			at = now.Add(150 * time.Millisecond)
			if err := s.Validate(context.Background(), c.Token); err != nil {
				t.Errorf("%s issued at +%v: refused 150 ms later: %v", name, frac, err)
			}
			at = now.Add(250 * time.Millisecond)
			if got := Explain(s.Validate(context.Background(), c.Token)); got != "expired" {
				t.Errorf("%s issued at +%v: 250 ms later: %s, want expired", name, frac, got)
			}
			s.Close()
		}
	}
}
