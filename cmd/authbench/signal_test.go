package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/stalltest"
	"github.com/authbench/authbench/internal/testutil"
)

// The tests in this file send real signals to a real authbench binary,
// built once by TestMain, and kill the private redis-server it starts.

// binary is the authbench built for these tests ("" when the build failed).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authbench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testutil.VerifyTestMain(mainRun(func() int {
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "authbench")
		build := exec.Command(goTool(), "build", "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building authbench: %v\n%s", err, out)
			return 1
		}
		binary = bin
		return m.Run()
	}),
		// signal.Notify (the in-process `run` tests) starts the runtime's
		// signal loop, which lives as long as the process.
		goleak.IgnoreTopFunction("os/signal.signal_recv"),
		goleak.IgnoreTopFunction("os/signal.loop"),
	)
}

type mainRun func() int

func (f mainRun) Run() int { return f() }

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// proc is a running authbench binary whose output the test reads as it comes.
type proc struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	status  int

	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	lines  chan string // stdout lines
}

func startBinary(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	redistest.NeedServer(t)
	p := &proc{cmd: exec.Command(binary, args...), exited: make(chan struct{}), lines: make(chan string, 100)}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "REDIS_URL=")
	outPipe, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	var reading sync.WaitGroup
	reading.Add(1)
	go func() {
		defer reading.Done()
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		reading.Wait()
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.status = ee.ExitCode()
		default:
			p.status = -1
		}
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) output() (string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String(), p.stderr.String()
}

// waitLine waits for a stdout line containing s.
func (p *proc) waitLine(t *testing.T, s string, limit time.Duration) {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-p.exited:
			out, errOut := p.output()
			t.Fatalf("authbench exited (%d) before printing %q\nstdout:\n%sstderr:\n%s", p.status, s, out, errOut)
		case <-deadline:
			t.Fatalf("no %q on stdout within %v", s, limit)
		}
	}
}

// wait waits for the process to exit and returns its status and when.
func (p *proc) wait(t *testing.T, limit time.Duration) (int, time.Time) {
	t.Helper()
	select {
	case <-p.exited:
		return p.status, time.Now()
	case <-time.After(limit):
		t.Fatalf("authbench still running %v later", limit)
		return 0, time.Time{}
	}
}

// redisChild finds the private redis-server the process started: a child
// of it named redis-server, and its working folder.
func redisChild(t *testing.T, parent int, limit time.Duration) (pid int, dir string) {
	t.Helper()
	testutil.Eventually(t, limit, func() error {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			var err error
			if pid, err = strconv.Atoi(e.Name()); err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...
			s := string(stat)
			close := strings.LastIndexByte(s, ')')
			if close < 0 || !strings.Contains(s[:close], "(redis-server") {
				continue
			}
			fields := strings.Fields(s[close+1:])
			if len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
				continue
			}
			// Its working folder is the one it was given: redis-server
			// rewrites its command line, but not its cwd.
			dir, err = os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
			if err != nil || !strings.Contains(dir, "authbench-redis-") {
				t.Fatalf("redis-server %d: working folder %q (%v), want authbench's temporary folder", pid, dir, err)
			}
			return nil
		}
		return fmt.Errorf("no redis-server child of %d", parent)
	})
	return pid, dir
}

// gone reports whether pid no longer runs (a zombie counts as gone: it is
// dead and only waits to be reaped).
func gone(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(stat)
	close := strings.LastIndexByte(s, ')')
	return close >= 0 && len(s) > close+2 && s[close+2] == 'Z'
}

// runFolders lists the entries of a results folder.
func runFolders(t *testing.T, out string) []string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

const sessionScenario = `name: fault
backends: [session-redis]
duration: %s
warmup: 0s
repeat: 1
users: 500
load: {model: closed, clients: 4}
revocation: {rate: 20, replay: 0.05}
redis: {timeout: 300ms}
`

func writeScenario(t *testing.T, dir, yaml string) string {
	t.Helper()
	p := filepath.Join(dir, "fault.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInterruptBinary sends SIGINT, SIGTERM, SIGHUP (the terminal closed)
// or SIGQUIT to authbench halfway through a session-redis run: it must exit
// 130 soon after, with a complete run folder marked interrupted, and its
// private redis-server stopped in order (process gone, working folder removed).
func TestInterruptBinary(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			const duration = 10 * time.Second
			scenario := writeScenario(t, dir, fmt.Sprintf(sessionScenario, duration))
			p := startBinary(t, dir, "run", "--quiet", "--out", "results", scenario)
			pid, rdir := redisChild(t, p.cmd.Process.Pid, 15*time.Second)
			time.Sleep(1500 * time.Millisecond) // well into the measured period
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			signalled := time.Now()
			status, exited := p.wait(t, 20*time.Second)
			stdout, stderr := p.output()
			t.Logf("%v after %v: exit %d %v later; redis-server %d (%s)\nstdout:\n%sstderr:\n%s", sig,
				signalled.Sub(p.started).Round(time.Millisecond), status, exited.Sub(signalled).Round(time.Millisecond), pid, rdir, stdout, stderr)
			if status != exitInterrupted {
				t.Errorf("exit status %d, want %d", status, exitInterrupted)
			}
			if took := exited.Sub(signalled); took > 5*time.Second {
				t.Errorf("exited %v after the signal, want within a few seconds", took)
			}
			if !gone(pid) {
				t.Errorf("redis-server %d still runs after authbench exited", pid)
			}
			if _, err := os.Stat(rdir); !os.IsNotExist(err) {
				t.Errorf("redis-server's folder %s is still there (stat: %v): it was not stopped in order", rdir, err)
			}
			sum, err := results.ReadSummary(filepath.Join(dir, "results", "latest"))
			if err != nil {
				t.Fatalf("no complete run folder: %v (results: %q)", err, runFolders(t, filepath.Join(dir, "results")))
			}
			if !sum.Interrupted || sum.State != results.StateInterrupted || len(sum.Runs) != 1 || !sum.Runs[0].Interrupted {
				t.Fatalf("interrupted=%v state=%q runs=%d, want an interrupted summary with the partial run", sum.Interrupted, sum.State, len(sum.Runs))
			}
			run := sum.Runs[0]
			t.Logf("summary: interrupted=%v duration_s=%.2f validations=%d errors=%d warnings=%q",
				sum.Interrupted, run.DurationS, run.Ops[results.OpValidate].Count, run.Outcomes.Errors, sum.Warnings)
			if run.DurationS <= 0.5 || run.DurationS >= duration.Seconds()-1 || run.Ops[results.OpValidate].Count == 0 {
				t.Errorf("duration_s=%.2f validations=%d: want the part measured before the signal", run.DurationS, run.Ops[results.OpValidate].Count)
			}
			if _, err := os.Stat(filepath.Join(dir, "results", "latest", "report.md")); err != nil {
				t.Errorf("report.md: %v", err)
			}
		})
	}
}

// TestSecondSignalExitsAtOnce: a second Ctrl-C while the first is still
// draining (a 2 s request in flight) exits at once, with 130, leaving only
// a .partial- folder.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	scenario := writeScenario(t, dir, `name: slow
backends: [sleep]
duration: 20s
warmup: 0s
repeat: 1
users: 10
load: {model: closed, clients: 2}
options:
  sleep: {delay: 3s}
`)
	p := startBinary(t, dir, "run", "--quiet", "--out", "results", scenario)
	p.waitLine(t, "slow: 1 runs", 10*time.Second)
	time.Sleep(time.Second) // the clients are inside their 3 s requests
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	second := time.Now()
	status, exited := p.wait(t, 10*time.Second)
	_, stderr := p.output()
	t.Logf("exit %d, %v after the second signal; stderr:\n%s", status, exited.Sub(second).Round(time.Millisecond), stderr)
	if status != exitInterrupted {
		t.Errorf("exit status %d, want %d", status, exitInterrupted)
	}
	if took := exited.Sub(second); took > time.Second {
		t.Errorf("exited %v after the second signal, want at once", took)
	}
	if !strings.Contains(stderr, "exiting at once") {
		t.Errorf("stderr does not say it exits at once")
	}
	names := runFolders(t, filepath.Join(dir, "results"))
	if len(names) != 1 || !strings.HasPrefix(names[0], ".partial-") {
		t.Errorf("results holds %q, want one .partial- folder and no latest", names)
	}
}

// TestRedisKilledBinary SIGKILLs the private redis-server of a running
// authbench: the run ends on schedule, the folder is complete and says
// degraded, and the exit status is 3.
func TestRedisKilledBinary(t *testing.T) {
	dir := t.TempDir()
	const duration = 3 * time.Second
	scenario := writeScenario(t, dir, fmt.Sprintf(sessionScenario, duration))
	p := startBinary(t, dir, "run", "--quiet", "--out", "results", scenario)
	stalls := stalltest.Start(t)
	pid, _ := redisChild(t, p.cmd.Process.Pid, 15*time.Second)
	found := time.Now()
	time.Sleep(1500 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The run's line comes when its measuring is over, before the report,
	// whose drawing takes many times longer on a busy machine.
	p.waitLine(t, "[1/1]", duration+30*time.Second)
	ran := time.Now()
	stalls.Stop()
	status, exited := p.wait(t, duration+30*time.Second)
	stdout, stderr := p.output()
	t.Logf("redis-server found %v after start, killed 1.5s later; run over %v and exit %d %v after the kill; longest stall %v\nstdout:\n%sstderr:\n%s",
		found.Sub(p.started).Round(time.Millisecond), ran.Sub(found.Add(1500*time.Millisecond)).Round(time.Millisecond), status,
		exited.Sub(found.Add(1500*time.Millisecond)).Round(time.Millisecond), stalls.Max(), stdout, stderr)
	if status != exitDegraded {
		t.Errorf("exit status %d, want %d (degraded)", status, exitDegraded)
	}
	// The measured period began after the server was found; it ends on
	// schedule plus one time-out (300 ms), a margin for the end of the run
	// and what the machine's stalls can add.
	if took, limit := ran.Sub(found), duration+300*time.Millisecond+2*time.Second+3*stalls.Max(); took > limit {
		t.Errorf("run over %v after the server started, want within %v (the %v duration, a time-out, a margin and 3 × the longest stall)", took, limit, duration)
	}
	if strings.Contains(stderr, "pool.go") {
		t.Errorf("go-redis log lines on stderr")
	}
	sum, err := results.ReadSummary(filepath.Join(dir, "results", "latest"))
	if err != nil {
		t.Fatal(err)
	}
	run := sum.Runs[0]
	t.Logf("summary: degraded=%v errors=%d timeline errors=%v warnings=%q", sum.Degraded, run.Outcomes.Errors, timelineErrors(run), sum.Warnings)
	if !sum.Degraded || run.Outcomes.Errors == 0 {
		t.Errorf("degraded=%v errors=%d, want a degraded run with errors", sum.Degraded, run.Outcomes.Errors)
	}
}

func timelineErrors(r results.Run) []int64 {
	var out []int64
	for _, s := range r.Timeline {
		out = append(out, s.Errors)
	}
	return out
}
