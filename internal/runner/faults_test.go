package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/report"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/stalltest"
	"github.com/authbench/authbench/internal/testutil"
	"github.com/authbench/authbench/scenarios"
)

// The tests in this file break a real, private redis-server under a run
// (SIGKILL, SIGSTOP/SIGCONT) or break the results folder, and check that
// the run ends on time, counts what happened and writes a folder that says
// so. They run one at a time: each owns its server and measures time.

func TestMain(m *testing.M) {
	// go-redis logs each failed dial by itself; the tests read the same
	// failures from the summary.
	redis.SetLogger(quietLog{})
	testutil.VerifyTestMain(m)
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

// faultServer is a private redis-server that a test breaks on purpose,
// with a connector that hands the runner a client for it (the way the CLI
// does, with the scenario's time-out) and a probe connection of the test's
// own.
type faultServer struct {
	srv   *redisproc.Server
	probe *redis.Client
}

func newFaultServer(t *testing.T) *faultServer {
	t.Helper()
	conn := redistest.Start(t, backends.RedisConfig{Timeout: 500 * time.Millisecond})
	return &faultServer{srv: conn.Server, probe: conn.Client.(*redis.Client)}
}

func (f *faultServer) connector() RedisConnector {
	return func(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
		c, err := redisproc.NewClient(f.srv.URL(), cfg)
		if err != nil {
			return nil, nil, err
		}
		if err := c.Ping(ctx).Err(); err != nil {
			c.Close()
			return nil, nil, err
		}
		return c, c.Close, nil
	}
}

// commandCalls returns how many times the server behind c has run cmd
// (INFO commandstats); 0 when it cannot tell.
func commandCalls(c redis.UniversalClient, cmd string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, _ := c.Info(ctx, "commandstats").Result()
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls="); ok {
			n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest+",", ',')], 10, 64)
			return n
		}
	}
	return 0
}

// waitMeasuring returns when the servers behind clients have run the
// first cmd of the plan's first measured run: with warmup 0, the start of
// its measured period, to within the 2 ms the servers are polled at. The
// attack catalogue and the step timings validate before that run, in
// namespaces of their own; the run's own nodes write their data-loss
// markers (authbench:<folder>:0001:epoch:{c}) when they open, before
// anyone logs in, so only commands counted after the markers appear are
// the run's. It fails the test if the run ends first, or after 30 s.
func waitMeasuring(t *testing.T, done <-chan runResult, cmd string, clients ...*redis.Client) time.Time {
	t.Helper()
	calls := func() (n int64) {
		for _, c := range clients {
			n += commandCalls(c, cmd)
		}
		return n
	}
	opened := func() bool {
		for _, c := range clients {
			if keys, _ := c.Keys(context.Background(), "authbench:*:0001*:epoch:*").Result(); len(keys) > 0 {
				return true
			}
		}
		return false
	}
	base := int64(-1) // commands before the run's nodes opened
	deadline := time.Now().Add(30 * time.Second)
	for {
		if base < 0 && opened() {
			base = calls()
		} else if base >= 0 && calls() > base {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the measured run sent no %s within 30s", cmd)
		}
		select {
		case r := <-done:
			t.Fatalf("the run ended before its first %s: %v", cmd, r.err)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// waitMeasuring returns when the server has run the first MGET (record
// and data-loss marker) of the measured run: its first validation.
func (f *faultServer) waitMeasuring(t *testing.T, done <-chan runResult) time.Time {
	t.Helper()
	return waitMeasuring(t, done, "mget", f.probe)
}

type runResult struct {
	out      *Outcome
	err      error
	finishAt time.Time // when Run returned: the measuring is over
	endAt    time.Time
}

// startRun parses yaml, plans it and runs it in the background.
func startRun(t *testing.T, yaml string, opt Options) (<-chan runResult, *scenarios.Scenario) {
	t.Helper()
	s, plan := planOf(t, yaml, &opt)
	done := make(chan runResult, 1)
	go func() {
		out, err := Run(context.Background(), s, plan, opt)
		end := time.Now()
		done <- runResult{out: out, err: err, finishAt: end, endAt: end}
	}()
	return done, s
}

// waitRun waits for the run to end. limit is about how long that takes on
// a quiet machine; past it the wait goes on, as the report's charts take
// many times longer on a busy machine, which says nothing about the
// runner. Only a run that has not ended when the test binary's deadline is
// near (a hang) fails here.
func waitRun(t *testing.T, done <-chan runResult, limit time.Duration) runResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
	}
	t.Logf("the run has not ended after %v: waiting until the test's deadline is near", limit)
	wait := time.Hour
	if d, ok := t.Deadline(); ok {
		wait = time.Until(d) - 30*time.Second // time left to clean up and report
	}
	select {
	case r := <-done:
		return r
	case <-time.After(wait):
		t.Fatalf("the run did not end within %v", limit+max(0, wait))
		return runResult{}
	}
}

// timelineString prints a timeline compactly for the test log.
func timelineString(tl []results.Second) string {
	var b strings.Builder
	for _, s := range tl {
		fmt.Fprintf(&b, "[t=%d n=%d err=%d p99=%v] ", s.T, s.Validations, s.Errors, time.Duration(s.P99NS).Round(time.Millisecond))
	}
	return b.String()
}

// readFolder reads summary.json and report.md of a committed run folder.
func readFolder(t *testing.T, dir string) (*results.Summary, string) {
	t.Helper()
	if strings.HasPrefix(filepath.Base(dir), results.PartialPrefix) {
		t.Fatalf("run folder %s is still partial", dir)
	}
	sum, err := results.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The CLI draws the report from the folder once the runner is done.
	if err := report.Render(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, report.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	return sum, string(md)
}

// faultAt sleeps until at after measuring began, applies fault, and returns
// when fault had been applied, counted from measuring.
func faultAt(t *testing.T, measuring time.Time, at time.Duration, fault func() error) time.Duration {
	t.Helper()
	time.Sleep(at - time.Since(measuring))
	if err := fault(); err != nil {
		t.Fatal(err)
	}
	return time.Since(measuring)
}

// TestRedisKilledMidRun SIGKILLs the store halfway through a session-redis
// run: the run must end on schedule, count the errors per second and in
// total, and write a complete folder that says it is degraded.
func TestRedisKilledMidRun(t *testing.T) {
	testutil.LeakCheck(t)
	const (
		duration = 3 * time.Second
		timeout  = 300 * time.Millisecond
		killAt   = 1500 * time.Millisecond
	)
	f := newFaultServer(t)
	done, _ := startRun(t, faultScenario("fault-kill", "session-redis", duration,
		"load: {model: closed, clients: 4}",
		"revocation: {rate: 20, replay: 0.05}",
		fmt.Sprintf("redis: {timeout: %s}", timeout)), Options{Redis: f.connector()})

	stalls := stalltest.Start(t)
	measuring := f.waitMeasuring(t, done)
	killed := faultAt(t, measuring, killAt, f.srv.Kill)

	r := waitRun(t, done, duration+30*time.Second)
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	// The measuring ends at the end of the duration, plus at most one
	// time-out for the requests in flight; the margin is scheduling noise
	// and the end-of-run store size query (which fails fast: connection
	// refused), plus what the machine's stalls during the run can add.
	ended := r.finishAt.Sub(measuring)
	stalls.Stop()
	t.Logf("longest stall during the run: %v", stalls.Max())
	if limit := duration + timeout + time.Second + 3*stalls.Max(); ended > limit {
		t.Errorf("measuring ended %v after it began, want within duration+timeout+margin+3×stall = %v", ended, limit)
	}

	sum, md := readFolder(t, r.out.Dir)
	if len(sum.Runs) != 1 {
		t.Fatalf("summary has %d runs, want 1", len(sum.Runs))
	}
	run := sum.Runs[0]
	var tlErrors int64
	firstErr := -1
	for _, s := range run.Timeline {
		tlErrors += s.Errors
		if s.Errors > 0 && firstErr < 0 {
			firstErr = s.T
		}
	}
	t.Logf("killed at %v; measuring ended after %v; Run returned after %v", killed.Round(time.Millisecond),
		ended.Round(time.Millisecond), r.endAt.Sub(measuring).Round(time.Millisecond))
	t.Logf("outcomes %+v; logout errors %d, login errors %d", run.Outcomes, run.Ops[results.OpLogout].Errors, run.Ops[results.OpLogin].Errors)
	t.Logf("timeline: %s", timelineString(run.Timeline))
	t.Logf("degraded=%v interrupted=%v warnings=%q", sum.Degraded, sum.Interrupted, sum.Warnings)

	switch {
	case run.Outcomes.Errors == 0:
		t.Error("outcomes.errors = 0 after the store was killed")
	case tlErrors != run.Outcomes.Errors:
		t.Errorf("timeline errors sum to %d, outcomes.errors = %d", tlErrors, run.Outcomes.Errors)
	case run.Outcomes.Accepted == 0:
		t.Error("nothing accepted before the kill")
	}
	// Errors begin in the second of the kill (or the next, on a loaded
	// machine), and every second after the kill has them.
	killSec := int(killed / time.Second)
	if firstErr < 0 || firstErr > killSec+1 {
		t.Errorf("first second with errors = %d, want ≤ %d (killed at %v)", firstErr, killSec+1, killed)
	}
	for _, s := range run.Timeline {
		if s.T > killSec && s.Errors == 0 {
			t.Errorf("second %d, after the kill, has no errors", s.T)
		}
	}
	if !sum.Degraded || sum.Interrupted {
		t.Errorf("degraded=%v interrupted=%v, want degraded and not interrupted", sum.Degraded, sum.Interrupted)
	}
	w := findWarning(sum.Warnings, "validation errors")
	if w == "" {
		t.Fatalf("no warning about the validation errors: %q", sum.Warnings)
	}
	if !strings.Contains(md, strconv.FormatInt(run.Outcomes.Errors, 10)+" validation errors") {
		t.Errorf("report.md does not carry the warning %q", w)
	}
}

func findWarning(ws []string, sub string) string {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return w
		}
	}
	return ""
}

// TestRedisPausedMidRun freezes the store for a second (SIGSTOP, then
// SIGCONT) under an open-model load: each request must give up at
// redis.timeout, the stall must show in the latency measured from the
// intended start, and throughput must come back after SIGCONT.
func TestRedisPausedMidRun(t *testing.T) {
	testutil.LeakCheck(t)
	const (
		duration = 4 * time.Second
		timeout  = 200 * time.Millisecond
		rate     = 1000
		pauseAt  = 1200 * time.Millisecond
		pauseFor = time.Second
	)
	f := newFaultServer(t)
	done, _ := startRun(t, faultScenario("fault-pause", "session-redis", duration,
		fmt.Sprintf("load: {model: open, rate: %d, clients: 32}", rate),
		fmt.Sprintf("redis: {timeout: %s}", timeout)), Options{Redis: f.connector()})

	stalls := stalltest.Start(t)
	measuring := f.waitMeasuring(t, done)
	paused := faultAt(t, measuring, pauseAt, f.srv.Pause)
	time.Sleep(pauseFor)
	if err := f.srv.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed := time.Since(measuring)

	r := waitRun(t, done, duration+30*time.Second)
	stalls.Stop()
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	sum, err := results.ReadSummary(r.out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	run := sum.Runs[0]
	val := run.Ops[results.OpValidate].LatencyNS
	svc := run.ServiceNS
	t.Logf("paused at %v, resumed at %v", paused.Round(time.Millisecond), resumed.Round(time.Millisecond))
	t.Logf("validate latency from intended start: p50 %v p99 %v p99.9 %v max %v",
		ns(val.P50), ns(val.P99), ns(val.P999), ns(val.Max))
	t.Logf("service latency (from actual start):  p50 %v p99 %v p99.9 %v max %v",
		ns(svc.P50), ns(svc.P99), ns(svc.P999), ns(svc.Max))
	t.Logf("outcomes %+v; open %+v; first error %q", run.Outcomes, run.Open, run.ErrorSamples)
	t.Logf("timeline: %s", timelineString(run.Timeline))

	// Each request gives up at the time-out, not later: the service time
	// tops out near redis.timeout (margin: scheduling, and three times the
	// longest stall measured during the run on a busy machine).
	t.Logf("longest stall during the run: %v", stalls.Max())
	if limit := timeout + 250*time.Millisecond + 3*stalls.Max(); svc.Max < int64(timeout*9/10) || svc.Max > int64(limit) {
		t.Errorf("service latency max = %v, want about redis.timeout %v (at most %v)", ns(svc.Max), timeout, limit)
	}
	// The stall is not hidden: requests due during the pause waited for
	// it, so the corrected tail is far above one time-out.
	if val.Max < int64(pauseFor/2) || val.P999 < int64(timeout) {
		t.Errorf("latency from intended start: max %v p99.9 %v; the %v stall is hidden", ns(val.Max), ns(val.P999), pauseFor)
	}
	if run.Outcomes.Errors == 0 || !sum.Degraded {
		t.Errorf("errors = %d degraded = %v during a %v pause with a %v time-out", run.Outcomes.Errors, sum.Degraded, pauseFor, timeout)
	}
	// The timeline shows the stall (errors, throughput down) in the seconds
	// of the pause, and the recovery after it.
	pauseSec := int(paused / time.Second)
	var stalled bool
	for _, s := range run.Timeline {
		if s.T >= pauseSec && s.T <= int(resumed/time.Second) && s.Errors > 0 {
			stalled = true
		}
	}
	if !stalled {
		t.Error("no second of the pause shows errors")
	}
	if len(run.Timeline) == 0 {
		t.Fatal("empty timeline")
	}
	// The last full second (a second after the end holds only the
	// requests that were in flight at the end).
	last := run.Timeline[min(len(run.Timeline), int(duration/time.Second))-1]
	if time.Duration(last.T)*time.Second < resumed+timeout {
		t.Fatalf("the timeline's last second %d begins before the resume (%v) plus one time-out", last.T, resumed)
	}
	// Recovered: throughput back and errors rare. Not none: on a busy
	// machine a request working off the backlog can itself overrun the
	// 200 ms time-out; a store that did not come back fails nearly all.
	if last.Errors*20 > last.Validations || float64(last.Validations) < 0.7*rate {
		t.Errorf("last second: %d validations, %d errors; want recovery to about %d/s with errors under 5%%", last.Validations, last.Errors, rate)
	}
}

func ns(v int64) time.Duration {
	d := time.Duration(v)
	if d > time.Millisecond {
		return d.Round(time.Millisecond / 10)
	}
	return d
}

// TestRedisUnreachableAtStart: a URL that was given but does not answer
// (nothing listening; a server that accepts and never replies) fails
// before anything is measured, and no run folder is made.
func TestRedisUnreachableAtStart(t *testing.T) {
	testutil.LeakCheck(t)
	closed := closedPort(t)
	frozen := newFaultServer(t)
	if err := frozen.srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { frozen.srv.Resume() })
	for _, tc := range []struct{ name, url string }{
		{"nothing listening", "redis://" + closed},
		{"server frozen", frozen.srv.URL()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "results")
			start := time.Now()
			done, _ := startRun(t, `name: fault-unreachable
backends: [noop, session-redis]
duration: 1s
warmup: 0s
repeat: 1
users: 10
redis: {url: "`+tc.url+`", timeout: 200ms}
`, Options{Out: out, Redis: redisproc.Connector})
			r := waitRun(t, done, 15*time.Second)
			took := time.Since(start)
			t.Logf("%s: error after %v: %v", tc.name, took.Round(time.Millisecond), r.err)
			if r.err == nil {
				t.Fatal("Run succeeded against an unreachable Redis")
			}
			if strings.Contains(r.err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", r.err)
			}
			if took > 3*time.Second {
				t.Errorf("took %v to give up, want about max(timeout, 1s)", took)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("results folder exists after a failed start (stat: %v)", err)
			}
		})
	}
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

// freeLoopbackPort finds a loopback port nobody listens on (now).
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// faultScenario is the scenario of a fault test: backend alone under 500
// users, measured once from the first request (no warm-up) for duration;
// extra holds the other settings (load, revocation, redis), a line each.
func faultScenario(name, backend string, duration time.Duration, extra ...string) string {
	return fmt.Sprintf("name: %s\nbackends: [%s]\nduration: %s\nwarmup: 0s\nrepeat: 1\nusers: 500\n%s\n",
		name, backend, duration, strings.Join(extra, "\n"))
}

const noopScenario = `name: fault-folder
backends: [noop]
duration: 300ms
warmup: 0s
repeat: 1
users: 10
load: {model: closed, clients: 1}
`

// TestResultsFolderUnwritable: a results folder that cannot be made fails
// with one line naming it, and leaves nothing behind. Tests run as root, so
// permissions would not stop them: the folder is put where a regular file
// stands, which fails for root too.
func TestResultsFolderUnwritable(t *testing.T) {
	testutil.LeakCheck(t)
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{file, filepath.Join(file, "results")} {
		t.Run(filepath.Base(out), func(t *testing.T) {
			done, _ := startRun(t, noopScenario, Options{Out: out})
			r := waitRun(t, done, 15*time.Second)
			t.Logf("--out %s: %v", out, r.err)
			if r.err == nil {
				t.Fatal("Run succeeded with an unwritable results folder")
			}
			if msg := r.err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, out) {
				t.Errorf("error %q: want one line naming %s", msg, out)
			}
			if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
				t.Errorf("the file in the way was changed: %v %v", st, err)
			}
		})
	}
}
