package backends_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/testutil"
)

var denylistBackends = []string{"jwt-denylist-memory", "jwt-denylist-redis", "jwt-denylist-pubsub", "jwt-refresh"}

// denyOnly are the backends whose logout revokes the token in hand.
var denyOnly = []string{"jwt-denylist-memory", "jwt-denylist-redis", "jwt-denylist-pubsub"}

func TestDenylistLifecycle(t *testing.T) {
	for _, name := range denyOnly {
		t.Run(name, func(t *testing.T) {
			skew, s, c := skewedLogin(t, name)
			ctx := ctxT(t)
			other := mustIssue(t, s, "bob")
			if c.ID == "" || c.ID == other.ID {
				t.Fatalf("jti %q / %q: want distinct, non-empty", c.ID, other.ID)
			}
			wantAccept(t, s, c.Token, "fresh token")
			if err := s.Revoke(ctx, c); err != nil {
				t.Fatal(err)
			}
			wantReject(t, s, c.Token, backends.ErrRevoked, "revoked token")
			wantAccept(t, s, other.Token, "other token after a revoke")
			for _, bad := range []string{"", "garbage", c.Token + "x", strings.Repeat("a.", 1000)} {
				wantReject(t, s, bad, nil, "malformed token")
			}
			n, _, err := s.(backends.Sizer).StoreSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("denylist size = %d, want 1", n)
			}
			skew.Store(int64(time.Minute + 10*time.Second))
			wantReject(t, s, other.Token, nil, "expired token")
		})
	}
}

// TestDenylistEntriesExpire: an entry lives as long as the token would
// have, so the list does not grow forever.
func TestDenylistEntriesExpire(t *testing.T) {
	for _, name := range denyOnly {
		t.Run(name, func(t *testing.T) {
			leakCheck(t)
			// JWT expiry has one-second resolution: 1.5s leaves 0.5..1.5s.
			env, _ := redisEnv(t, 1500*time.Millisecond)
			// Redis expires its keys on real time; the local lists follow
			// env.Now, which the test moves instead of sleeping.
			skew := skewClock(env)
			s := openNode(t, name, env)
			ctx := ctxT(t)
			c := mustIssue(t, s, "alice")
			if err := s.Revoke(ctx, c); err != nil {
				t.Fatal(err)
			}
			if n, _, _ := s.(backends.Sizer).StoreSize(ctx); n != 1 {
				t.Fatalf("size after revoke = %d, want 1", n)
			}
			// Entries outlive the validator's cutoff (expiry + leeway, 0
			// here) by a one-second margin: an entry gone a moment early
			// would let the revoked token back in.
			gone := time.Until(c.ExpiresAt) + time.Second
			if name == "jwt-denylist-redis" {
				time.Sleep(gone + 100*time.Millisecond)
			} else {
				skew.Store(int64(gone + time.Millisecond))
			}
			n, _, err := s.(backends.Sizer).StoreSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("size after the token's expiry = %d, want 0", n)
			}
		})
	}
}

// TestDenylistNodes: what a logout on node A means for node B.
func TestDenylistNodes(t *testing.T) {
	tests := []struct {
		name        string
		seenByOther bool // B must reject after A's revoke (eventually)
	}{
		{"jwt-denylist-memory", false},
		{"jwt-denylist-redis", true},
		{"jwt-denylist-pubsub", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakCheck(t)
			env, _ := redisEnv(t, time.Minute)
			a := openNode(t, tt.name, env)
			b := openNode(t, tt.name, env)
			ctx := ctxT(t)
			c := mustIssue(t, a, "alice")
			wantAccept(t, b, c.Token, "issued on A, validated on B")
			if err := a.Revoke(ctx, c); err != nil {
				t.Fatal(err)
			}
			revoked := time.Now()
			wantReject(t, a, c.Token, backends.ErrRevoked, "A right after its own revoke")
			if !tt.seenByOther {
				wantAccept(t, b, c.Token, "B never hears of A's local denylist")
				return
			}
			untilRefused(t, ctx, b, c.Token, revoked, func(err error) bool { return errors.Is(err, backends.ErrRevoked) }, "propagation A→B")
		})
	}
}

// TestDenylistPubSubResync kills the subscriptions: a revocation that only
// reached the sorted set (its message lost) must be picked up by the
// reload, and meanwhile validations are errors or correct answers.
func TestDenylistPubSubResync(t *testing.T) {
	env, conn, a, b, c := loggedInTwice(t, "jwt-denylist-pubsub")
	ctx := ctxT(t)
	good := mustIssue(t, a, "bob")
	wantAccept(t, b, c.Token, "before the fault")

	// A revocation whose message never went out: only the reload can
	// bring it to B. (Key layout: <namespace>deny-set:{_}, scored by expiry ms.)
	if err := conn.Client.ZAdd(ctx, env.Namespace+"deny-set:{_}",
		redisZ(float64(c.ExpiresAt.UnixMilli()), c.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	killed, err := conn.Client.ClientKillByFilter(ctx, "TYPE", "pubsub").Result()
	if err != nil {
		t.Fatal(err)
	}
	if killed < 2 {
		t.Fatalf("CLIENT KILL TYPE pubsub killed %d connections, want the 2 subscribers", killed)
	}
	start := time.Now()
	var accepted, outOfSync int
	for {
		err := b.Validate(ctx, c.Token)
		if errors.Is(err, backends.ErrRevoked) {
			break
		}
		switch {
		case err == nil:
			accepted++
		case backends.IsRejection(err):
			t.Fatalf("unexpected rejection: %v", err)
		default:
			outOfSync++
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("no reload within 2s (accepted %d, errors %d)", accepted, outOfSync)
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("subscription killed: revocation applied by reload after %v; meanwhile %d accepted, %d out-of-sync errors",
		time.Since(start), accepted, outOfSync)
	wantAccept(t, b, good.Token, "unrevoked token after the reload")

	// Messages flow again after the resubscription.
	if err := a.Revoke(ctx, good); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, time.Second, func() error {
		if err := b.Validate(ctx, good.Token); !errors.Is(err, backends.ErrRevoked) {
			return fmt.Errorf("B does not receive messages after the resubscription: validate = %v", err)
		}
		return nil
	})
}

// TestDenylistPubSubFailsClosed: with Redis gone the node refuses to vouch
// for tokens (errors, not accepts), and Close does not hang.
func TestDenylistPubSubFailsClosed(t *testing.T) {
	conn, b, c := loggedIn(t, "jwt-denylist-pubsub")
	wantAccept(t, b, c.Token, "before the fault")
	if err := conn.Server.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for {
		err := b.Validate(ctxT(t), c.Token)
		if err != nil {
			if backends.IsRejection(err) {
				t.Fatalf("want an infrastructure error, got rejection %v", err)
			}
			t.Logf("failed closed %v after the kill: %v", time.Since(killed), err)
			break
		}
		if time.Since(killed) > time.Second {
			t.Fatal("still accepting 1s after Redis died")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestDenylistRedisFaults(t *testing.T) {
	conn, s, c := loggedIn(t, "jwt-denylist-redis")
	if err := conn.Server.Pause(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := s.Validate(ctxT(t), c.Token)
	took := time.Since(start)
	conn.Server.Resume()
	wantInfraError(t, err, took, "validate with Redis paused")
	if err := conn.Server.Kill(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = s.Validate(ctxT(t), c.Token)
	wantInfraError(t, err, time.Since(start), "validate with Redis killed")
	start = time.Now()
	err = s.Revoke(ctxT(t), c)
	wantInfraError(t, err, time.Since(start), "revoke with Redis killed")
}

func TestPubSubOptionsCheck(t *testing.T) {
	e := mustLookup(t, "jwt-denylist-pubsub")
	o := e.Options().(*backends.PubSubOptions)
	if err := o.Check(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, hb := range []time.Duration{0, time.Millisecond, time.Hour} {
		o.Heartbeat = hb
		if o.Check() == nil {
			t.Errorf("heartbeat %v accepted", hb)
		}
	}
}

// A revocation published by one pub/sub node carries its send time: the
// other node reports how long delivery took and, apart, how long applying
// it locally took.
func TestDenylistPubSubPropagation(t *testing.T) {
	leakCheck(t)
	env, _ := redisEnv(t, time.Minute)
	a := openNode(t, "jwt-denylist-pubsub", env)
	b := openNode(t, "jwt-denylist-pubsub", env)
	ctx := ctxT(t)
	const n = 5
	start := time.Now()
	for i := range n {
		c, err := a.Issue(ctx, "user-"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Revoke(ctx, c); err != nil {
			t.Fatal(err)
		}
		for b.Validate(ctx, c.Token) == nil {
			if time.Since(start) > 10*time.Second {
				t.Fatal("revocation never reached node b")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	elapsed := time.Since(start)
	p := b.(backends.PropagationReporter).Propagation()
	if p.Delivery.TotalCount() != n || p.Apply.TotalCount() != n {
		t.Fatalf("delivery %d, apply %d delays recorded, want %d each", p.Delivery.TotalCount(), p.Apply.TotalCount(), n)
	}
	t.Logf("delivery p50 %s max %s, apply p50 %s max %s", time.Duration(p.Delivery.ValueAtQuantile(50)),
		time.Duration(p.Delivery.Max()), time.Duration(p.Apply.ValueAtQuantile(50)), time.Duration(p.Apply.Max()))
	// Each was delivered after it was sent and before b refused the token.
	if p.Delivery.Min() <= 1 || time.Duration(p.Delivery.Max()) > elapsed {
		t.Errorf("delivery %d .. %d ns, want within (0, %s]", p.Delivery.Min(), p.Delivery.Max(), elapsed)
	}
	if time.Duration(p.Apply.Max()) > elapsed {
		t.Errorf("apply max %d ns, want ≤ %s", p.Apply.Max(), elapsed)
	}
}
