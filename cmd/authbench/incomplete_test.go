package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/backendtest"
	"github.com/authbench/authbench/internal/report"
	"github.com/authbench/authbench/internal/results"
)

// The tests in this file run `authbench run` in-process on plans that end
// early, and check the exit status and that what was measured is kept.

const refusedPlan = `name: refused
backends: [noop, test-scripted]
duration: 200ms
warmup: 0s
repeat: 1
users: 10
load: {model: closed, clients: 1}
`

// TestRunIncomplete: a run that fails after another was measured exits 4,
// and the folder holds the measured run, its report, and the reason.
func TestRunIncomplete(t *testing.T) {
	// The store refuses every login of the second run for good (an ACL
	// without the permissions it needs).
	backendtest.SetLogin(t, func(context.Context) error {
		return errors.New("NOPERM User authbench has no permissions to run the 'hset' command")
	})
	dir := t.TempDir()
	scenario := writeScenario(t, dir, refusedPlan)
	var stdout, stderr bytes.Buffer
	code := authbench([]string{"run", "--quiet", "--out", filepath.Join(dir, "results"), scenario}, &stdout, &stderr)
	t.Logf("exit %d\nstdout:\n%sstderr:\n%s", code, stdout.String(), stderr.String())
	if code != exitIncomplete {
		t.Errorf("exit status %d, want %d", code, exitIncomplete)
	}
	latest := filepath.Join(dir, "results", "latest")
	sum, err := results.ReadSummary(latest)
	if err != nil {
		t.Fatal(err)
	}
	if sum.State != results.StateIncomplete || len(sum.Runs) != 1 || !strings.Contains(sum.Reason, "test-scripted") {
		t.Errorf("state %q (%s) with %d runs, want incomplete with the noop run", sum.State, sum.Reason, len(sum.Runs))
	}
	if !strings.Contains(stderr.String(), "NOPERM") || !strings.Contains(stdout.String(), "incomplete: the 1 runs done are in") {
		t.Error("the output does not say what failed and where the runs done are")
	}
	md, err := os.ReadFile(filepath.Join(latest, report.ReportFile))
	if err != nil || !bytes.Contains(md, []byte("**incomplete** (run 0002 (test-scripted #1) failed")) {
		t.Errorf("report.md does not say the run is incomplete: %v", err)
	}
}

// TestSignalDuringRedisStart: a signal while the private redis-server
// starts exits 130 without reporting the server's start-up log.
func TestSignalDuringRedisStart(t *testing.T) {
	old := redisConnector
	t.Cleanup(func() { redisConnector = old })
	redisConnector = func(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			return nil, nil, err
		}
		<-ctx.Done()
		return nil, nil, fmt.Errorf("%w: start private redis: %w; server output: %q", backends.ErrUnavailable, ctx.Err(), "1:M # Server initialized")
	}
	dir := t.TempDir()
	scenario := writeScenario(t, dir, strings.Replace(refusedPlan, "test-scripted", "session-redis", 1))
	var stdout, stderr bytes.Buffer
	code := authbench([]string{"run", "--quiet", "--out", filepath.Join(dir, "results"), scenario}, &stdout, &stderr)
	t.Logf("exit %d\nstdout:\n%sstderr:\n%s", code, stdout.String(), stderr.String())
	if code != exitInterrupted {
		t.Errorf("exit status %d, want %d", code, exitInterrupted)
	}
	if strings.Contains(stdout.String()+stderr.String(), "Server initialized") {
		t.Error("the server's start-up log was printed")
	}
}

// TestReportFailureKeepsRun: when drawing the report fails (here a real
// "no space left on device": report.md is a link to /dev/full), the run
// exits 1 and says so, but the measurements are committed: `authbench
// report` can draw it again later.
func TestReportFailureKeepsRun(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	old := renderReport
	t.Cleanup(func() { renderReport = old })
	renderReport = func(dir string) error {
		if err := os.Symlink("/dev/full", filepath.Join(dir, report.ReportFile)); err != nil {
			return err
		}
		return report.Render(dir)
	}
	dir := t.TempDir()
	scenario := writeScenario(t, dir, strings.Replace(refusedPlan, ", test-scripted", "", 1))
	var stdout, stderr bytes.Buffer
	code := authbench([]string{"run", "--quiet", "--out", filepath.Join(dir, "results"), scenario}, &stdout, &stderr)
	t.Logf("exit %d\nstdout:\n%sstderr:\n%s", code, stdout.String(), stderr.String())
	if code != exitFailure || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("exit status %d, want %d with the reason", code, exitFailure)
	}
	latest := filepath.Join(dir, "results", "latest")
	sum, err := results.ReadSummary(latest)
	if err != nil || sum.State != results.StateComplete || len(sum.Runs) != 1 {
		t.Fatalf("the measurements were not kept: %v %+v", err, sum)
	}
	target, _ := filepath.EvalSymlinks(latest)
	if !strings.Contains(stderr.String(), target) {
		t.Errorf("stderr does not name the run folder %s", target)
	}
	if n := strings.Count(stderr.String(), target); n > 1 {
		t.Errorf("stderr repeats the run folder's path %d times: %s", n, stderr.String())
	}
	if !strings.Contains(stderr.String(), "write report.md: no space left on device") {
		t.Errorf("stderr does not say which file could not be written: %s", stderr.String())
	}
}
