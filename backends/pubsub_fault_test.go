package backends_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/load"
)

// watched is a real node with a record of what it answered, so the test
// can hold the engine's counts against the node's own and find every
// credential revoked during the fault. It changes no answer.
type watched struct {
	backends.Strategy
	faultAt *atomic.Int64 // unix ns of the fault, 0 before it

	accepted, rejected, errs atomic.Int64
	// The out-of-sync gap as the node's answers show it: its first and
	// last error after the fault (unix ns). A rejection inside the gap is
	// no sign of recovery: a token already on the local list is refused
	// even out of sync.
	firstErr, lastErr atomic.Int64

	mu      sync.Mutex
	revoked []revocation
}

type revocation struct {
	c  backends.Credential
	at time.Time
}

func (w *watched) Validate(ctx context.Context, token string) error {
	err := w.Strategy.Validate(ctx, token)
	now := time.Now().UnixNano()
	switch {
	case err == nil:
		w.accepted.Add(1)
	case backends.IsRejection(err):
		w.rejected.Add(1)
	default:
		w.errs.Add(1)
	}
	if f := w.faultAt.Load(); f != 0 && now > f && err != nil && !backends.IsRejection(err) {
		w.firstErr.CompareAndSwap(0, now)
		for last := w.lastErr.Load(); last < now && !w.lastErr.CompareAndSwap(last, now); last = w.lastErr.Load() {
		}
	}
	return err
}

func (w *watched) Revoke(ctx context.Context, c backends.Credential) error {
	err := w.Strategy.Revoke(ctx, c)
	if err == nil {
		w.mu.Lock()
		w.revoked = append(w.revoked, revocation{c, time.Now()})
		w.mu.Unlock()
	}
	return err
}

// TestPubSubSubscriptionLostUnderLoad kills the subscriptions of two
// jwt-denylist-pubsub nodes (CLIENT KILL TYPE pubsub) in the middle of an
// engine run with logouts and replays. The nodes must resubscribe and
// reload, every revocation made around the fault must be in force on both
// nodes afterwards, and the engine's outcome counts must match what the
// nodes answered: errors while out of sync (the backend fails closed),
// accepts and rejections otherwise.
func TestPubSubSubscriptionLostUnderLoad(t *testing.T) {
	leakCheck(t)
	env, conn := redisEnv(t, time.Minute)
	env.Token.Leeway = 0
	var faultAt atomic.Int64
	nodes := []*watched{
		{Strategy: openNode(t, "jwt-denylist-pubsub", env), faultAt: &faultAt},
		{Strategy: openNode(t, "jwt-denylist-pubsub", env), faultAt: &faultAt},
	}
	const duration = 3 * time.Second
	eng, err := load.New(load.Config{
		Model: load.Closed, Clients: 4, Duration: duration, Users: 300, Seed: 6,
		RevocationRate: 200, Replay: 0.2, Routing: load.Random, Grace: 2 * time.Second,
	}, []backends.Strategy{nodes[0], nodes[1]})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	channel := env.Namespace + "deny-events"

	type outcome struct {
		res *load.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := eng.Run(ctx)
		done <- outcome{res, err}
	}()
	for eng.Completed() == 0 {
		time.Sleep(time.Millisecond)
	}
	measuring := time.Now()
	time.Sleep(time.Second)

	faultAt.Store(time.Now().UnixNano())
	killed, err := conn.Client.ClientKillByFilter(ctx, "TYPE", "pubsub").Result()
	if err != nil {
		t.Fatal(err)
	}
	kill := time.Unix(0, faultAt.Load())
	if killed != 2 {
		t.Fatalf("CLIENT KILL TYPE pubsub killed %d connections, want the 2 subscribers", killed)
	}
	// Both nodes subscribe again.
	var resubscribed time.Duration
	for {
		n, err := conn.Client.PubSubNumSub(ctx, channel).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n[channel] == 2 {
			resubscribed = time.Since(kill)
			break
		}
		if time.Since(kill) > 2*time.Second {
			t.Fatalf("%d subscribers 2s after the kill, want 2", n[channel])
		}
		time.Sleep(time.Millisecond)
	}

	var o outcome
	select {
	case o = <-done:
	case <-time.After(duration + 10*time.Second):
		t.Fatal("the run did not end")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	res := o.res

	// The engine counts exactly what the nodes answered.
	var acc, rej, errs int64
	for _, n := range nodes {
		acc += n.accepted.Load()
		rej += n.rejected.Load()
		errs += n.errs.Load()
	}
	oc := res.Outcomes
	if oc.Accepted != acc || oc.Rejected != rej || oc.Errors != errs {
		t.Errorf("engine counted accepted/rejected/errors %d/%d/%d; the nodes answered %d/%d/%d",
			oc.Accepted, oc.Rejected, oc.Errors, acc, rej, errs)
	}
	var tlErr, tlFA int64
	for _, s := range res.Timeline {
		tlErr += s.Errors
		tlFA += s.FalseAccepts
	}
	if tlErr != oc.Errors || tlFA != oc.FalseAccepts {
		t.Errorf("timeline errors/false accepts %d/%d, outcomes %d/%d", tlErr, tlFA, oc.Errors, oc.FalseAccepts)
	}

	// Detection and recovery, as the nodes saw them.
	for i, n := range nodes {
		first, last := n.firstErr.Load(), n.lastErr.Load()
		if first == 0 {
			t.Logf("node %d: no validation fell in its out-of-sync gap", i)
			continue
		}
		t.Logf("node %d: failed closed from %v to %v after the kill",
			i, time.Duration(first-faultAt.Load()).Round(time.Microsecond), time.Duration(last-faultAt.Load()).Round(time.Microsecond))
		if time.Duration(last-faultAt.Load()) > 2*time.Second {
			t.Errorf("node %d still out of sync %v after the kill", i, time.Duration(last-faultAt.Load()))
		}
	}

	// Every revocation, and above all those made while the subscriptions
	// were down or being rebuilt, is in force on both nodes now.
	var all []revocation
	for _, n := range nodes {
		all = append(all, n.revoked...)
	}
	var during int
	for _, r := range all {
		if r.at.After(kill.Add(-50*time.Millisecond)) && r.at.Before(kill.Add(resubscribed+100*time.Millisecond)) {
			during++
		}
		for i, n := range nodes {
			err := n.Strategy.Validate(ctx, r.c.Token)
			if !errors.Is(err, backends.ErrRevoked) {
				t.Errorf("node %d: token revoked %v after the kill: Validate = %v, want revoked",
					i, r.at.Sub(kill).Round(time.Millisecond), err)
			}
		}
	}
	t.Logf("kill %v into the run; both resubscribed %v after it", kill.Sub(measuring).Round(time.Millisecond), resubscribed)
	t.Logf("%d revocations in all, %d of them within the fault window; all in force on both nodes", len(all), during)
	t.Logf("outcomes %+v; replays %d accepted %d", oc, res.Revocation.Replays, res.Revocation.ReplaysAccepted)
	t.Logf("error samples %q", res.ErrorSamples)
	for i, s := range res.Timeline {
		t.Logf("second %d: %d validations, %d errors, %d false accepts, %d revocations", i, s.Validations, s.Errors, s.FalseAccepts, s.Revocations)
	}
}
