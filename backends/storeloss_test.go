package backends_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/testutil"
)

// Store data loss: Redis flushed, or restarted without persistence. Every
// Redis backend must then fail closed (no revoked credential accepted, on
// any node, ever), say that the refusals of live credentials come from
// the loss (ErrStoreDataLoss, StoreLoss) and let users log in again.

// faults are the two ways a store loses its data in these tests.
var faults = []struct {
	name string
	do   func(t *testing.T, conn *redisproc.Conn)
}{
	{"flushall", func(t *testing.T, conn *redisproc.Conn) {
		if err := conn.Client.FlushAll(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	}},
	{"restart", func(t *testing.T, conn *redisproc.Conn) {
		if err := conn.Server.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
	}},
}

// neverAccepted validates token on every node until d has passed (or until
// done reports true for every node) and fails the test on any accept.
// Errors are allowed: a store coming back fails closed with errors.
func neverAccepted(t *testing.T, nodes []backends.Strategy, token, what string, d time.Duration, done func(error) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	settled := make([]bool, len(nodes))
	for time.Now().Before(deadline) {
		all := true
		for i, n := range nodes {
			err := n.Validate(context.Background(), token)
			if err == nil {
				t.Fatalf("%s: node %d accepted it after the store lost its data", what, i)
			}
			if done != nil && done(err) {
				settled[i] = true
			}
			all = all && settled[i]
		}
		if done != nil && all {
			return
		}
		time.Sleep(time.Millisecond)
	}
	if done != nil {
		t.Fatalf("%s: nodes never settled on the expected answer within %v", what, d)
	}
}

// eventually validates token on every node until each has answered as
// want says at least once, within d. Other answers are allowed meanwhile.
func eventually(t *testing.T, nodes []backends.Strategy, token, what string, d time.Duration, want func(error) bool) {
	t.Helper()
	settled := make([]bool, len(nodes))
	testutil.Eventually(t, d, func() error {
		var last error
		for i, n := range nodes {
			if !settled[i] {
				err := n.Validate(context.Background(), token)
				if settled[i] = want(err); !settled[i] {
					last = fmt.Errorf("%s: node %d answered %v", what, i, err)
				}
			}
		}
		return last
	})
}

func isLoss(err error) bool {
	return errors.Is(err, backends.ErrStoreDataLoss) && backends.IsRejection(err)
}

func wantLost(t *testing.T, nodes ...backends.Strategy) {
	t.Helper()
	for i, n := range nodes {
		lr, ok := n.(backends.LossReporter)
		if !ok {
			t.Fatalf("node %d (%T) does not implement LossReporter", i, n)
		}
		if lost, refused := lr.StoreLoss(); !lost || refused == 0 {
			t.Errorf("node %d: StoreLoss = %v, %d; want true and at least one refusal", i, lost, refused)
		}
	}
}

// freshLogin checks that a login after the loss works on every node.
func freshLogin(t *testing.T, nodes []backends.Strategy) {
	t.Helper()
	time.Sleep(5 * time.Millisecond) // past the millisecond of the cutoff
	c, err := nodes[0].Issue(ctxT(t), "carol")
	if err != nil {
		t.Fatalf("login after the loss: %v", err)
	}
	for i, n := range nodes {
		if err := n.Validate(ctxT(t), c.Token); err != nil {
			t.Fatalf("node %d: login after the loss refused: %v", i, err)
		}
	}
}

// lossSetup opens two nodes a and b of backend name on a private server and
// logs in alice (to be revoked) and bob (left live) on a.
func lossSetup(t *testing.T, name string) (env *backends.Env, conn *redisproc.Conn, a, b backends.Strategy, revoked, live backends.Credential) {
	t.Helper()
	leakCheck(t)
	env, conn = redisEnv(t, time.Minute)
	a = openNode(t, name, env)
	b = openNode(t, name, env)
	ctx := ctxT(t)
	var err error
	if revoked, err = a.Issue(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if live, err = a.Issue(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	return env, conn, a, b, revoked, live
}

func TestDenylistsFailClosedOnDataLoss(t *testing.T) {
	for _, name := range []string{"jwt-denylist-redis", "jwt-denylist-pubsub"} {
		for _, f := range faults {
			t.Run(name+"/"+f.name, func(t *testing.T) {
				env, conn, a, b, revoked, live := lossSetup(t, name)
				nodes := []backends.Strategy{a, b}
				ctx := ctxT(t)
				if err := a.Revoke(ctx, revoked); err != nil {
					t.Fatal(err)
				}
				// Both nodes know the revocation before the fault.
				eventually(t, nodes, revoked.Token, "revoked token before the fault", 2*time.Second,
					func(err error) bool { return errors.Is(err, backends.ErrRevoked) })

				f.do(t, conn)

				check := nodes
				if name == "jwt-denylist-pubsub" {
					if f.name == "flushall" {
						// No reconnect: A and B keep their lists, and the
						// loss shows at the next logout, on A.
						extra, _ := a.Issue(ctx, "dave")
						if err := a.Revoke(ctx, extra); err != nil {
							t.Fatal(err)
						}
						check = []backends.Strategy{a}
					}
					// A node opened after the loss reloads a set without the
					// revocation: the marker must still refuse the token.
					late := openNode(t, name, env)
					nodes = append(nodes, late)
					check = append(check, late)
				}
				neverAccepted(t, nodes, revoked.Token, "revoked token", 3*time.Second,
					func(err error) bool { return backends.IsRejection(err) })
				// The live token predates the loss: refused as lost by every
				// node that has noticed the loss (accepting it before then is
				// right: it was never revoked).
				eventually(t, check, live.Token, "token issued before the loss", 3*time.Second, isLoss)
				wantLost(t, check[0])
				freshLogin(t, nodes)
			})
		}
	}
}

func TestSessionsReportDataLoss(t *testing.T) {
	for _, name := range sessionBackends {
		for _, f := range faults {
			t.Run(name+"/"+f.name, func(t *testing.T) {
				_, conn, a, b, revoked, live := lossSetup(t, name)
				nodes := []backends.Strategy{a, b}
				ctx := ctxT(t)
				wantAccept(t, b, live.Token, "live session (cached on B)")
				if err := a.Revoke(ctx, revoked); err != nil {
					t.Fatal(err)
				}

				f.do(t, conn)

				neverAccepted(t, nodes, revoked.Token, "revoked session", 3*time.Second,
					func(err error) bool { return backends.IsRejection(err) })
				// The live session's record is gone: refused, and the reason
				// is the loss, not an unexplained unknown session.
				eventually(t, nodes, live.Token, "session issued before the loss", 3*time.Second, isLoss)
				wantLost(t, a)
				freshLogin(t, nodes)
				// A logout after the loss reaches every node, caches included.
				c := mustIssue(t, a, "erin")
				wantAccept(t, b, c.Token, "new session on B")
				if err := a.Revoke(ctx, c); err != nil {
					t.Fatal(err)
				}
				if name == "session-redis" {
					neverAccepted(t, nodes, c.Token, "session revoked after the loss", 0, nil)
				}
				// A cached node may serve the session until the invalidation
				// arrives (its designed exposure), but no longer.
				eventually(t, nodes, c.Token, "session revoked after the loss", 3*time.Second,
					func(err error) bool { return errors.Is(err, backends.ErrUnknownSession) })
			})
		}
	}
}

func TestRefreshReportsDataLoss(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			leakCheck(t)
			env, conn := redisEnv(t, time.Minute)
			s := openNode(t, "jwt-refresh", env)
			r := s.(backends.Refresher)
			ctx := ctxT(t)
			out := mustIssue(t, s, "alice")
			if err := s.Revoke(ctx, out); err != nil {
				t.Fatal(err)
			}
			live := mustIssue(t, s, "bob")

			f.do(t, conn)

			// The logged-out family must not come back to life, and the
			// live one is refused as lost: both users log in again.
			testutil.Eventually(t, 3*time.Second, func() error {
				_, err := r.Refresh(ctx, out)
				if err == nil {
					t.Fatal("refresh of a logged-out family accepted after the store lost its data")
				}
				if !backends.IsRejection(err) {
					return fmt.Errorf("refresh after the loss: %w", err)
				}
				return nil
			})
			if _, err := r.Refresh(ctx, live); !isLoss(err) {
				t.Fatalf("refresh of a family lost with the store: %v, want ErrStoreDataLoss", err)
			}
			wantLost(t, s)
			time.Sleep(5 * time.Millisecond)
			c := mustIssue(t, s, "carol")
			if _, err := r.Refresh(ctx, c); err != nil {
				t.Fatalf("refresh of a family created after the loss: %v", err)
			}
		})
	}
}
