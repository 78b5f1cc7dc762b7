package load

import (
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

func openTTL(t testing.TB, name string, ttl, leeway time.Duration) backends.Strategy {
	t.Helper()
	env := &backends.Env{Token: backends.TokenConfig{TTL: ttl, Leeway: leeway, ClaimsBytes: 50, Issuer: "authbench", Audience: "api"}}
	s, err := backends.Open(name, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A stateless JWT cannot be taken back: replays of revoked tokens are
// accepted, but never after the token expired (TTL plus leeway after it
// was issued, so at most that long after its revocation).
func TestExposureOfPlainJWTIsBoundedByTTL(t *testing.T) {
	const ttl, leeway = 2 * time.Second, 500 * time.Millisecond
	res := run(t, Config{
		Model: Closed, Clients: 2, Users: 50, Duration: 4 * time.Second,
		RevocationRate: 50, Replay: 0.2, Leeway: leeway,
	}, openTTL(t, "jwt-hs256", ttl, leeway))
	rv := res.Revocation
	maxExp := maxExposure(res)
	t.Logf("revoked %d, replays %d accepted %d, exposed %d of %d, max exposure %s",
		rv.Revoked, rv.Replays, rv.ReplaysAccepted, rv.Exposed, len(rv.Exposures), maxExp)
	if rv.ReplaysAccepted == 0 || rv.Exposed == 0 {
		t.Fatalf("no replay of a revoked JWT was accepted: %+v", rv)
	}
	if maxExp > ttl+leeway {
		t.Errorf("max exposure %s exceeds TTL + leeway = %s", maxExp, ttl+leeway)
	}
	// Tokens older than TTL + leeway were replayed too (the run is twice
	// the TTL), and the validator refused them: not every replay passed.
	if rv.ReplaysAccepted == rv.Replays {
		t.Errorf("all %d replays accepted: expired tokens should have been refused", rv.Replays)
	}
	if res.Outcomes.FalseRejects != 0 {
		t.Errorf("false rejects = %d, want 0 (clients renew before expiry)", res.Outcomes.FalseRejects)
	}
	if res.Hists["login"] == nil || res.Hists["login"].TotalCount() < rv.Revoked {
		t.Errorf("logins not recorded: want at least one per revocation")
	}
}

// Sessions are revoked at once: no replay is ever accepted.
func TestSessionsHaveNoExposure(t *testing.T) {
	res := run(t, Config{Model: Closed, Clients: 2, Duration: time.Second, RevocationRate: 100, Replay: 0.2},
		openTTL(t, "session-memory", time.Minute, 0))
	if rv := res.Revocation; rv.Replays == 0 || rv.ReplaysAccepted != 0 || rv.Exposed != 0 {
		t.Errorf("session-memory: %+v, want replays and none accepted", rv)
	}
}

// With revocation off, the engine starts no revoker and records no logout.
func TestIdleRevokerCostsNothing(t *testing.T) {
	s := openTTL(t, "noop", time.Minute, 0)
	e, err := New(Config{Model: Closed, Clients: 1, Users: 10, Seed: 1, Duration: 200 * time.Millisecond}, []backends.Strategy{s})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if e.revRec != nil || res.Hists["logout"] != nil || res.Revocation.Replays != 0 {
		t.Errorf("revoker active with rate 0: %+v", res.Revocation)
	}
}
