package load

import (
	"context"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redistest"
)

// TestStoreDataLossFailsClosed loses the store's data in the middle of a
// run (FLUSHALL, or a restart without persistence) while users log out and
// an attacker replays revoked credentials. No revoked credential may be
// accepted; valid ones refused because of the loss are counted as such,
// not as false rejects, their users log in again, and the result says the
// store lost data.
func TestStoreDataLossFailsClosed(t *testing.T) {
	for _, name := range []string{"jwt-denylist-redis", "jwt-denylist-pubsub", "session-redis", "session-redis-cached", "jwt-refresh"} {
		for _, fault := range []string{"flushall", "restart"} {
			t.Run(name+"/"+fault, func(t *testing.T) {
				cfg := backends.RedisConfig{Timeout: time.Second}
				conn := redistest.Start(t, cfg)
				e, _ := backends.Lookup(name)
				tok := token(time.Minute, time.Second)
				if name == "jwt-refresh" {
					tok.TTL = 400 * time.Millisecond // clients refresh during the run
				}
				env := &backends.Env{Token: tok, Redis: cfg, RedisClient: conn.Client, Namespace: "authbench:test:" + name + ":"}
				if e.Options != nil {
					env.Options = e.Options()
				}
				// One node for the backends whose designed exposure is a
				// propagation delay between nodes (pub/sub messages, cache
				// invalidations): with one node every false accept would be
				// the loss's. Their nodes' behaviour after a loss is
				// checked one by one in the backends' own tests.
				n := 2
				if name == "jwt-denylist-pubsub" || name == "session-redis-cached" {
					n = 1
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
				eng, err := New(Config{Model: Closed, Clients: 2, Users: 100, Duration: 1500 * time.Millisecond, Seed: 7,
					RevocationRate: 50, Replay: 0.2, Leeway: time.Second}, nodes)
				if err != nil {
					t.Fatal(err)
				}
				stop := make(chan struct{})
				faulted := make(chan error, 1)
				go func() {
					// After the load has started and revocations exist.
					for eng.Completed() < 50 {
						select {
						case <-stop:
							faulted <- nil
							return
						case <-time.After(time.Millisecond):
						}
					}
					if fault == "flushall" {
						faulted <- conn.Client.FlushAll(context.Background()).Err()
					} else {
						faulted <- conn.Server.Restart(context.Background())
					}
				}()
				res, err := eng.Run(context.Background())
				close(stop)
				if ferr := <-faulted; ferr != nil {
					t.Fatal(ferr)
				}
				if err != nil {
					t.Fatal(err)
				}
				o := res.Outcomes
				t.Logf("outcomes %+v, revoked %d, replays %d (accepted %d, max exposure %v), store lost %v",
					o, res.Revocation.Revoked, res.Revocation.Replays, res.Revocation.ReplaysAccepted, maxExposure(res), res.StoreLost)
				if !res.StoreLost {
					t.Fatal("StoreLost = false: the fault did not happen during the run, or no node noticed it")
				}
				if name == "jwt-refresh" {
					// Access tokens are stateless: a revoked one is accepted
					// until it expires, loss or not; what the loss must not
					// do is revive a logged-out refresh family.
					if o.ForcedLogins == 0 {
						t.Error("no forced login: the refresh families lost with the store must send their users to log in")
					}
					return
				}
				if o.FalseAccepts != 0 || res.Revocation.ReplaysAccepted != 0 {
					t.Errorf("%d false accepts, %d replays accepted after the store lost its data, want 0", o.FalseAccepts, res.Revocation.ReplaysAccepted)
				}
				if o.StoreLossRejects == 0 || o.ForcedLogins == 0 {
					t.Errorf("store-loss rejects %d, forced logins %d: want the refusals counted apart and the users logged in again", o.StoreLossRejects, o.ForcedLogins)
				}
				if o.FalseRejects != 0 {
					t.Errorf("false rejects = %d, want 0 (a refusal because of the loss is counted apart)", o.FalseRejects)
				}
			})
		}
	}
}
