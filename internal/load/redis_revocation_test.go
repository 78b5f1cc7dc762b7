package load

import (
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/stalltest"
)

// openNodes opens n nodes of a backend that share one Redis and one key set,
// as the runner does.
func openNodes(t *testing.T, name string, n int, tok backends.TokenConfig) []backends.Strategy {
	t.Helper()
	cfg := backends.RedisConfig{Timeout: time.Second}
	conn := redistest.Start(t, cfg)
	e, ok := backends.Lookup(name)
	if !ok {
		t.Fatalf("no backend %s", name)
	}
	env := &backends.Env{Token: tok, Redis: cfg, RedisClient: conn.Client, Namespace: "authbench:test:" + name + ":"}
	if e.Options != nil {
		env.Options = e.Options()
	}
	var nodes []backends.Strategy
	for range n {
		s, err := backends.Open(name, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		nodes = append(nodes, s)
	}
	return nodes
}

func token(ttl, leeway time.Duration) backends.TokenConfig {
	return backends.TokenConfig{TTL: ttl, Leeway: leeway, ClaimsBytes: 50, Issuer: "authbench", Audience: "api"}
}

// Server-side state revoked synchronously: a replay is never accepted.
func TestRedisRevocationIsImmediate(t *testing.T) {
	for _, name := range []string{"session-redis", "jwt-denylist-redis"} {
		t.Run(name, func(t *testing.T) {
			nodes := openNodes(t, name, 2, token(time.Minute, time.Second))
			res := run(t, Config{Model: Closed, Clients: 2, Users: 200, Duration: time.Second,
				RevocationRate: 100, Replay: 0.2, Leeway: time.Second}, nodes...)
			rv := res.Revocation
			t.Logf("revoked %d, replays %d, accepted %d, errors %d", rv.Revoked, rv.Replays, rv.ReplaysAccepted, res.Outcomes.Errors)
			if rv.Revoked == 0 || rv.Replays == 0 {
				t.Fatalf("nothing revoked or replayed: %+v", rv)
			}
			if rv.ReplaysAccepted != 0 || res.Outcomes.FalseAccepts != 0 || maxExposure(res) != 0 {
				t.Errorf("%s accepted %d replays (false accepts %d, exposure %s), want none",
					name, rv.ReplaysAccepted, res.Outcomes.FalseAccepts, maxExposure(res))
			}
			if res.Outcomes.FalseRejects != 0 {
				t.Errorf("false rejects = %d, want 0", res.Outcomes.FalseRejects)
			}
		})
	}
}

// Refresh tokens shorten the window to the access token's lifetime: logout
// revokes the refresh family, and the access token dies at its expiry.
func TestRefreshExposureBoundedByAccessTTL(t *testing.T) {
	const ttl, leeway = 1500 * time.Millisecond, 200 * time.Millisecond
	nodes := openNodes(t, "jwt-refresh", 1, token(ttl, leeway))
	res := run(t, Config{Model: Closed, Clients: 2, Users: 50, Duration: 3 * time.Second,
		RevocationRate: 40, Replay: 0.2, Leeway: leeway}, nodes...)
	rv := res.Revocation
	refreshes := int64(0)
	if h := res.Hists["refresh"]; h != nil {
		refreshes = h.TotalCount()
	}
	t.Logf("refreshes %d, revoked %d, replays accepted %d of %d, max exposure %s",
		refreshes, rv.Revoked, rv.ReplaysAccepted, rv.Replays, maxExposure(res))
	if refreshes == 0 {
		t.Error("no refresh recorded: clients must refresh before the access token expires")
	}
	if rv.ReplaysAccepted == 0 {
		t.Error("no replay accepted: the access token should outlive the logout")
	}
	if m := maxExposure(res); m > ttl+leeway {
		t.Errorf("max exposure %s exceeds access TTL + leeway %s", m, ttl+leeway)
	}
	if res.Outcomes.FalseRejects != 0 || res.Outcomes.Errors != 0 {
		t.Errorf("outcomes %+v: refreshing clients must not be refused", res.Outcomes)
	}
}

// The pub/sub denylist's exposure is its propagation delay. Delivery on
// loopback takes well under 2 ms (measured in the backend's own tests); the
// bound of 100 ms is still orders of magnitude below any token lifetime,
// which is what plain JWT would show (see
// TestExposureOfPlainJWTIsBoundedByTTL). On a busy machine each of the
// three steps (Redis sending the message, the subscriber applying it, the
// replaying client reaching the check) can wait for a processor: the bound
// grows by three times the longest stall measured during the same run.
func TestPubSubExposureIsPropagationDelay(t *testing.T) {
	nodes := openNodes(t, "jwt-denylist-pubsub", 3, token(time.Minute, time.Second))
	stalls := stalltest.Start(t)
	res := run(t, Config{Model: Closed, Clients: 2, Users: 200, Duration: 1500 * time.Millisecond,
		RevocationRate: 100, Replay: 0.2, Leeway: time.Second, Routing: Random}, nodes...)
	stalls.Stop()
	rv := res.Revocation
	t.Logf("revoked %d, replays %d accepted %d, exposed %d of %d, max exposure %s, longest stall %s",
		rv.Revoked, rv.Replays, rv.ReplaysAccepted, rv.Exposed, len(rv.Exposures), maxExposure(res), stalls.Max())
	if rv.Revoked == 0 || rv.Replays == 0 {
		t.Fatalf("nothing revoked or replayed: %+v", rv)
	}
	if m, limit := maxExposure(res), 100*time.Millisecond+3*stalls.Max(); m > limit {
		t.Errorf("max exposure %s, want ≤ %s (100 ms of propagation delay + 3 × the longest stall, %s)", m, limit, stalls.Max())
	}
}

// A per-node in-memory denylist behind random routing only knows the
// logouts its own node saw: the others keep accepting revoked tokens.
func TestMemoryDenylistAcrossNodesLeaks(t *testing.T) {
	nodes := openNodes(t, "jwt-denylist-memory", 3, token(time.Minute, time.Second))
	res := run(t, Config{Model: Closed, Clients: 2, Users: 200, Duration: time.Second,
		RevocationRate: 100, Replay: 0.2, Leeway: time.Second, Routing: Random}, nodes...)
	t.Logf("replays %d accepted %d", res.Revocation.Replays, res.Revocation.ReplaysAccepted)
	if res.Revocation.ReplaysAccepted == 0 {
		t.Error("no replay accepted on nodes that never saw the logout")
	}
}

// A denylist must keep a revoked token's entry for as long as the validator
// would still accept the token: its expiry plus the leeway. Tokens here live
// 1 s with a 300 ms leeway, so revoked ones are replayed inside that window.
func TestDenylistCoversTheLeeway(t *testing.T) {
	const ttl, leeway = time.Second, 300 * time.Millisecond
	for _, name := range []string{"jwt-denylist-memory", "jwt-denylist-redis", "jwt-denylist-pubsub"} {
		t.Run(name, func(t *testing.T) {
			nodes := openNodes(t, name, 1, token(ttl, leeway))
			res := run(t, Config{Model: Closed, Clients: 2, Users: 50, Duration: 2500 * time.Millisecond,
				RevocationRate: 40, Replay: 0.3, Leeway: leeway}, nodes...)
			t.Logf("replays %d accepted %d, false accepts %d, expected expired %d",
				res.Revocation.Replays, res.Revocation.ReplaysAccepted, res.Outcomes.FalseAccepts, res.Outcomes.ExpectedExpired)
			if res.Outcomes.FalseAccepts != 0 {
				t.Errorf("%d revoked tokens accepted: the denylist forgot them before the validator would", res.Outcomes.FalseAccepts)
			}
		})
	}
}
