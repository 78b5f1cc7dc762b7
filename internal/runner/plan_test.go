package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/backendtest"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/testutil"
	"github.com/authbench/authbench/scenarios"
)

// The tests in this file check that what was measured survives whatever
// ends a plan early: a run that fails, a transient store failure, a signal.
// The scripted backend (backendtest) fails its logins as each test says.

// twoRuns plans noop then the scripted backend; one user, so that each
// try of a run logs in exactly once.
const twoRuns = `name: plan
backends: [noop, test-scripted]
duration: 100ms
warmup: 0s
repeat: 1
users: 1
load: {model: closed, clients: 1}
`

func runPlan(t *testing.T, ctx context.Context, yaml string, opt Options) (*Outcome, error) {
	t.Helper()
	s, plan := planOf(t, yaml, &opt)
	return Run(ctx, s, plan, opt)
}

// planOf parses and plans yaml, and gives opt a results folder of the
// test's own when it has none.
func planOf(t *testing.T, yaml string, opt *Options) (*scenarios.Scenario, []scenarios.Run) {
	t.Helper()
	s, err := scenarios.ParseBytes("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Out == "" {
		opt.Out = filepath.Join(t.TempDir(), "results")
	}
	return s, plan
}

// checkKept checks that a folder ended early was committed with the runs
// done before the failure: summary.json, their histograms and bench.txt.
func checkKept(t *testing.T, out *Outcome, state results.State, reason ...string) *results.Summary {
	t.Helper()
	if out == nil {
		t.Fatal("no outcome: what was measured is lost")
	}
	if strings.HasPrefix(filepath.Base(out.Dir), results.PartialPrefix) {
		t.Errorf("folder %s was not committed", out.Dir)
	}
	sum, err := results.ReadSummary(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.State != state || sum.Interrupted != (state == results.StateInterrupted) {
		t.Errorf("state %q (interrupted %v), want %q", sum.State, sum.Interrupted, state)
	}
	for _, r := range reason {
		if !strings.Contains(sum.Reason, r) {
			t.Errorf("state_reason %q does not say %q", sum.Reason, r)
		}
	}
	if len(sum.Runs) != 1 || sum.Runs[0].Backend != "noop" || sum.Runs[0].Ops[results.OpValidate].Count == 0 {
		t.Fatalf("runs %+v, want the measured noop run", sum.Runs)
	}
	if _, err := results.ReadHistogram(results.HistogramPath(out.Dir, sum.Runs[0].ID, results.OpValidate)); err != nil {
		t.Error(err)
	}
	if b, err := os.ReadFile(filepath.Join(out.Dir, results.BenchFile)); err != nil || !strings.Contains(string(b), "backend=noop") {
		t.Errorf("bench.txt: %v\n%s", err, b)
	}
	return sum
}

// TestFailedRunKeepsEarlierRuns: a login refused for good (an ACL refusal)
// in run 2 ends the plan without a second try, and run 1 is kept.
func TestFailedRunKeepsEarlierRuns(t *testing.T) {
	testutil.LeakCheck(t)
	var calls atomic.Int32
	backendtest.SetLogin(t, func(context.Context) error {
		calls.Add(1)
		return redisError("NOPERM User authbench has no permissions to run the 'hset' command")
	})
	out, err := runPlan(t, context.Background(), twoRuns, Options{})
	t.Logf("Run: %v", err)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("error %v, want ErrIncomplete with the reason", err)
	}
	checkKept(t, out, results.StateIncomplete, "run 0002", "test-scripted", "NOPERM")
	if n := calls.Load(); n != 1 {
		t.Errorf("a refusal was tried %d times, want once", n)
	}
}

// TestTransientSetupFailureRetried: a store time-out while logging users
// in is tried again, and the run then counts.
func TestTransientSetupFailureRetried(t *testing.T) {
	testutil.LeakCheck(t)
	var calls atomic.Int32
	backendtest.SetLogin(t, func(context.Context) error {
		if calls.Add(1) == 1 {
			return fmt.Errorf("hset: %w", context.DeadlineExceeded)
		}
		return nil
	})
	out, err := runPlan(t, context.Background(), twoRuns, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.State != results.StateComplete || len(out.Summary.Runs) != 2 {
		t.Fatalf("state %q with %d runs, want complete with 2", out.Summary.State, len(out.Summary.Runs))
	}
	if w := strings.Join(out.Summary.Warnings, "\n"); !strings.Contains(w, "tried again") {
		t.Errorf("no warning says the set-up was tried again: %q", w)
	}
}

// TestTransientSetupFailureGivesUp: a store that stays down ends the plan
// after setupTries tries.
func TestTransientSetupFailureGivesUp(t *testing.T) {
	testutil.LeakCheck(t)
	var calls atomic.Int32
	backendtest.SetLogin(t, func(context.Context) error {
		calls.Add(1)
		return fmt.Errorf("dial tcp 127.0.0.1:1: %w", syscall.ECONNREFUSED)
	})
	out, err := runPlan(t, context.Background(), twoRuns, Options{})
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("error %v, want ErrIncomplete", err)
	}
	checkKept(t, out, results.StateIncomplete, "run 0002")
	if n := calls.Load(); n != setupTries {
		t.Errorf("%d tries, want %d", n, setupTries)
	}
}

// TestInterruptDuringLogin: a signal while run 2 logs its users in keeps
// run 1 and says where the plan stopped. Meanwhile the folder, still
// partial, already holds run 1: a crash at that moment would keep it too.
func TestInterruptDuringLogin(t *testing.T) {
	testutil.LeakCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := filepath.Join(t.TempDir(), "results")
	var partial *results.Summary
	var once sync.Once
	backendtest.SetLogin(t, func(ctx context.Context) error {
		once.Do(func() {
			dirs, _ := filepath.Glob(filepath.Join(root, results.PartialPrefix+"*"))
			if len(dirs) == 1 {
				partial, _ = results.ReadSummary(dirs[0])
			}
			cancel() // the signal
		})
		<-ctx.Done()
		return ctx.Err()
	})
	out, err := runPlan(t, ctx, twoRuns, Options{Out: root})
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("error %v, want ErrInterrupted", err)
	}
	checkKept(t, out, results.StateInterrupted, "run 0002", "set-up")
	if partial == nil || len(partial.Runs) != 1 || partial.State != results.StateIncomplete || !strings.Contains(partial.Reason, "during run 0002") {
		t.Errorf("while run 2 was set up, the partial folder held %+v", partial)
	}
}

// TestInterruptDuringRedisStart: a signal while the private redis-server
// starts ends the run as interrupted, without the server's start-up log
// (which the connector's error carries) and without a warning.
func TestInterruptDuringRedisStart(t *testing.T) {
	testutil.LeakCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr strings.Builder
	const log = "12345:M 01 Jan 00:00:00.000 # Server initialized"
	connect := func(ctx context.Context, _ backends.RedisConfig) (redis.UniversalClient, func() error, error) {
		cancel()
		<-ctx.Done()
		return nil, nil, fmt.Errorf("%w: start private redis: %w; server output: %q", backends.ErrUnavailable, ctx.Err(), log)
	}
	out, err := runPlan(t, ctx, strings.Replace(twoRuns, "test-scripted", "session-redis", 1), Options{Redis: connect, Stderr: &stderr})
	if !errors.Is(err, ErrInterrupted) || out != nil {
		t.Fatalf("Run = %v, %v; want ErrInterrupted and nothing measured", out, err)
	}
	if strings.Contains(err.Error(), "Server initialized") || strings.Contains(stderr.String(), "Server initialized") {
		t.Errorf("the start-up log was reported: error %q, stderr %q", err, stderr.String())
	}
}

// TestTransient lists which set-up failures are tried again.
func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("hset: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{redisError("LOADING Redis is loading the dataset in memory"), true},
		{fmt.Errorf("login: %w", context.Canceled), false},
		{redisError("NOPERM no permissions"), false},
		{redisError("WRONGPASS invalid username-password pair"), false},
		{backends.ErrRejected, false},
		{errors.New("requests still in flight"), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestNoReportDependency: measuring does not link the report's plotting
// libraries, nor the report itself.
func TestNoReportDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gonum.org/") || strings.HasSuffix(dep, "/internal/report") || strings.Contains(dep, "/internal/report/") {
			t.Errorf("internal/runner depends on %s", dep)
		}
	}
}

// redisError is an error as go-redis returns it for a server's error reply.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

var _ redis.Error = redisError("")

// killAfterFirst kills the server as the first run's result line is
// written: after run 1 ends and before run 2 starts.
type killAfterFirst struct {
	f    *faultServer
	once sync.Once
	err  error
}

func (k *killAfterFirst) Write(b []byte) (int, error) {
	if strings.HasPrefix(string(b), "[1/") {
		k.once.Do(func() { k.err = k.f.srv.Kill() })
	}
	return len(b), nil
}

// TestStoreKilledBetweenRuns: the real store dies after run 1; run 2 cannot
// log its users in (connection refused, tried setupTries times), and the
// folder keeps run 1, marked incomplete with the reason.
func TestStoreKilledBetweenRuns(t *testing.T) {
	testutil.LeakCheck(t)
	f := newFaultServer(t)
	k := &killAfterFirst{f: f}
	out, err := runPlan(t, context.Background(), `name: killed
backends: [session-redis]
duration: 300ms
warmup: 0s
repeat: 2
users: 50
load: {model: closed, clients: 2}
redis: {timeout: 300ms}
`, Options{Redis: f.connector(), Stdout: k})
	t.Logf("Run: %v", err)
	if k.err != nil {
		t.Fatal(k.err)
	}
	if !errors.Is(err, ErrIncomplete) || out == nil {
		t.Fatalf("Run = %v, %v; want ErrIncomplete with the folder", out, err)
	}
	sum, err := results.ReadSummary(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.State != results.StateIncomplete || len(sum.Runs) != 1 || sum.Runs[0].Ops[results.OpValidate].Count == 0 || !strings.Contains(sum.Reason, "run 0002") {
		t.Errorf("state %q (%s), %d runs; want incomplete with the measured run 1", sum.State, sum.Reason, len(sum.Runs))
	}
	if w := strings.Join(sum.Warnings, "\n"); strings.Count(w, "tried again") != setupTries-1 {
		t.Errorf("warnings do not show %d tries again: %q", setupTries-1, w)
	}
}
