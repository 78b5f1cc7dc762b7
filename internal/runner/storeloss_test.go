package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/internal/testutil"
)

// TestStoreFlushedMidRun flushes Redis under a jwt-denylist-redis run with
// logouts and replays (the review's reproduction: before, 270 false
// accepts, exit 0, no warning). The run must show no false accept, count
// the refusals the loss caused apart from false rejects, and be marked
// store_lost with a warning.
func TestStoreFlushedMidRun(t *testing.T) {
	testutil.LeakCheck(t)
	const duration = 2 * time.Second
	f := newFaultServer(t)
	done, _ := startRun(t, faultScenario("fault-flush", "jwt-denylist-redis", duration,
		"load: {model: closed, clients: 4}",
		"revocation: {rate: 50, replay: 0.2}",
		"redis: {timeout: 300ms}"), Options{Redis: f.connector()})
	f.waitMeasuring(t, done)
	time.Sleep(500 * time.Millisecond) // some logouts before the loss
	if err := f.probe.FlushAll(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	r := waitRun(t, done, duration+30*time.Second)
	if r.err != nil {
		t.Fatal(r.err)
	}
	sum, md := readFolder(t, r.out.Dir)
	run := sum.Runs[0]
	t.Logf("outcomes %+v, store lost %v, warnings %q", run.Outcomes, run.StoreLost, sum.Warnings)
	if run.Outcomes.FalseAccepts != 0 || run.Revocation.ReplaysAccepted != 0 {
		t.Errorf("%d false accepts, %d replays accepted after the flush, want 0", run.Outcomes.FalseAccepts, run.Revocation.ReplaysAccepted)
	}
	if !run.StoreLost || run.Outcomes.StoreLossRejects == 0 || run.Outcomes.ForcedLogins == 0 {
		t.Errorf("store_lost %v, store_loss_rejects %d, forced_logins %d: want the loss marked and counted",
			run.StoreLost, run.Outcomes.StoreLossRejects, run.Outcomes.ForcedLogins)
	}
	if run.Outcomes.FalseRejects != 0 {
		t.Errorf("false_rejects %d: refusals caused by the loss must be counted apart", run.Outcomes.FalseRejects)
	}
	if !sum.Degraded {
		t.Error("degraded = false: a store that lost its data failed")
	}
	w := findWarning(sum.Warnings, "lost its data")
	if w == "" {
		t.Fatalf("no warning about the data loss: %q", sum.Warnings)
	}
	if !strings.Contains(md, "lost its data") {
		t.Error("report.md does not carry the data-loss warning")
	}
}
