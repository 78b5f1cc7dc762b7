package runner

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/stalltest"
	"github.com/authbench/authbench/internal/testutil"
)

// The tests in this file break the network between the run and Redis (the
// latency proxy cuts every connection) or one master of a Redis Cluster,
// and check what every fault test checks: errors counted, no false
// accept, the run complete and on time.

// connectCapture is a connector that connects as the CLI does
// (redisproc.Connect, proxy and cluster included) to url, and keeps the
// connection so the test can break it.
type connectCapture struct {
	url string
	mu  sync.Mutex
	c   *redisproc.Conn
}

func (cc *connectCapture) connector() RedisConnector {
	return func(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
		cfg.URL = cc.url
		c, err := redisproc.Connect(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		cc.mu.Lock()
		cc.c = c
		cc.mu.Unlock()
		return c.Client, c.Close, nil
	}
}

func (cc *connectCapture) conn() *redisproc.Conn {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.c
}

// checkFaultRun checks the common promises of a run that met a fault.
// With wantErrors false, a run without errors passes too (a backend that
// recovers before any validation notices).
// The end of measuring may come later by three times the longest stall
// that stalls measured during the run (a busy machine).
func checkFaultRun(t *testing.T, r runResult, stalls *stalltest.Meter, measuring time.Time, duration, timeout time.Duration, wantErrors bool) results.Run {
	t.Helper()
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	stalls.Stop()
	if ended, limit := r.finishAt.Sub(measuring), duration+timeout+2*time.Second+3*stalls.Max(); ended > limit {
		t.Errorf("measuring ended %v after it began, want within %v (longest stall %v)", ended, limit, stalls.Max())
	}
	sum, err := results.ReadSummary(r.out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Runs) != 1 {
		t.Fatalf("summary has %d runs, want 1", len(sum.Runs))
	}
	run := sum.Runs[0]
	t.Logf("outcomes %+v", run.Outcomes)
	t.Logf("timeline: %s", timelineString(run.Timeline))
	if wantErrors && run.Outcomes.Errors == 0 {
		t.Error("outcomes.errors = 0 after the fault")
	}
	if run.Outcomes.FalseAccepts != 0 {
		t.Errorf("%d false accepts: a broken store let a revoked credential through", run.Outcomes.FalseAccepts)
	}
	if run.Outcomes.Accepted == 0 {
		t.Error("nothing accepted")
	}
	if sum.Degraded != (run.Outcomes.Errors > 0) || sum.Interrupted {
		t.Errorf("degraded=%v interrupted=%v with %d errors, want degraded exactly when there are errors, and not interrupted", sum.Degraded, sum.Interrupted, run.Outcomes.Errors)
	}
	return run
}

// TestNetworkCutMidRun cuts the network between the run and Redis for a
// second (the proxy resets every connection, old and new, like
// toxiproxy's reset_peer) and then restores it: the errors fall inside
// the cut, and validations succeed again after it.
func TestNetworkCutMidRun(t *testing.T) {
	testutil.LeakCheck(t)
	const (
		duration = 3 * time.Second
		timeout  = 300 * time.Millisecond
		cutAt    = 800 * time.Millisecond
		cutFor   = time.Second
	)
	f := newFaultServer(t)
	cc := &connectCapture{url: f.srv.URL()}
	done, _ := startRun(t, faultScenario("fault-cut", "session-redis", duration,
		"load: {model: closed, clients: 4}",
		"revocation: {rate: 20, replay: 0.05}",
		fmt.Sprintf("redis: {timeout: %s, latency: 200us}", timeout)), Options{Redis: cc.connector()})

	stalls := stalltest.Start(t)
	measuring := f.waitMeasuring(t, done)
	nw := cc.conn().Network
	if nw == nil {
		t.Fatal("redis.latency set, but the run's connection has no proxy")
	}
	cut := faultAt(t, measuring, cutAt, func() error { nw.Cut(); return nil })
	time.Sleep(cutFor)
	nw.Restore()
	restored := time.Since(measuring)
	t.Logf("cut from %v to %v", cut.Round(time.Millisecond), restored.Round(time.Millisecond))

	run := checkFaultRun(t, waitRun(t, done, duration+30*time.Second), stalls, measuring, duration, timeout, true)
	last := run.Timeline[len(run.Timeline)-1]
	if int(restored/time.Second) < last.T && last.Validations <= last.Errors {
		t.Errorf("second %d, after the network came back: %d validations, %d errors: no recovery", last.T, last.Validations, last.Errors)
	}
}

// TestClusterMasterKilledMidRun kills one of the three masters of a
// private cluster under a run of every Redis backend that works on a
// cluster: the keys of the dead master's slots fail, the rest go on.
func TestClusterMasterKilledMidRun(t *testing.T) {
	const (
		duration = 2 * time.Second
		timeout  = 300 * time.Millisecond
		killAt   = 700 * time.Millisecond
	)
	// The command each backend sends only once the measured period has
	// begun (warmup 0): a validation's look-up, or a logout's PUBLISH.
	measured := map[string]string{
		"session-redis":       "mget", // the record and its data-loss marker
		"jwt-denylist-redis":  "mget", // the entry and its data-loss marker
		"jwt-denylist-pubsub": "publish",
	}
	for _, backend := range []string{"session-redis", "jwt-denylist-redis", "jwt-denylist-pubsub"} {
		t.Run(backend, func(t *testing.T) {
			testutil.LeakCheck(t)
			cluster, err := redisproc.StartCluster(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer cluster.Stop()
			cc := &connectCapture{url: cluster.URL()}
			done, _ := startRun(t, faultScenario("fault-cluster", backend, duration,
				"load: {model: closed, clients: 4}",
				"revocation: {rate: 50, replay: 0.1}",
				fmt.Sprintf("redis: {timeout: %s, mode: cluster}", timeout)), Options{Redis: cc.connector()})

			stalls := stalltest.Start(t)
			cmd := measured[backend]
			measuring := waitMeasuring(t, done, cmd, masters(t, cluster)...)
			time.Sleep(killAt)
			// Keys of session-redis and jwt-denylist-redis are spread over
			// every master; jwt-denylist-pubsub validates locally and
			// depends on the master its subscriber is connected to.
			victim := cluster.Nodes[0]
			if backend == "jwt-denylist-pubsub" {
				victim = subscribedNode(t, cluster)
			}
			if err := victim.Kill(); err != nil {
				t.Fatal(err)
			}
			// A jwt-denylist-pubsub node validates locally: it errs only
			// while it cannot resubscribe, and go-redis may resubscribe
			// through a live master before any validation notices.
			checkFaultRun(t, waitRun(t, done, duration+30*time.Second), stalls, measuring, duration, timeout, backend != "jwt-denylist-pubsub")
		})
	}
}

// masters returns a client of each of the cluster's masters, closed at
// the end of the test.
func masters(t *testing.T, c *redisproc.Cluster) []*redis.Client {
	var out []*redis.Client
	for _, s := range c.Nodes {
		cl := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: c.Password(), MaxRetries: -1})
		t.Cleanup(func() { cl.Close() })
		out = append(out, cl)
	}
	return out
}

// subscribedNode is the master on which some client holds a subscription.
func subscribedNode(t *testing.T, c *redisproc.Cluster) *redisproc.Server {
	t.Helper()
	for _, s := range c.Nodes {
		cl := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: c.Password()})
		chans, err := cl.PubSubChannels(context.Background(), "*").Result()
		cl.Close()
		if err == nil && len(chans) > 0 {
			return s
		}
	}
	t.Fatal("no master has a subscriber")
	return nil
}
