package runner

import (
	"context"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/testutil"
)

// summary.json says how noisy the machine was (hiccups, load average,
// clients per processor), how many open-model requests started, and, for
// the pub/sub denylist, how revocations travelled between nodes.
func TestMachineAndPropagationFigures(t *testing.T) {
	testutil.LeakCheck(t)
	conn := redistest.Start(t, backends.RedisConfig{Timeout: time.Second})
	out, err := runPlan(t, context.Background(), `name: figures
backends: [noop, jwt-denylist-pubsub]
duration: 500ms
warmup: 0s
repeat: 1
users: 50
revocation: {rate: 100, replay: 0.1}
load: {model: open, rate: 1000, clients: 3}
cluster: {nodes: 2}
redis: {url: "`+conn.Server.URL()+`"}
`, Options{Redis: redisproc.Connector})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := results.ReadSummary(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" && (len(sum.Machine.LoadAvgStart) != 3 || len(sum.Machine.LoadAvgEnd) != 3) {
		t.Errorf("load averages %v .. %v, want three figures each", sum.Machine.LoadAvgStart, sum.Machine.LoadAvgEnd)
	}
	if len(sum.Runs) != 2 {
		t.Fatalf("%d runs, want 2; warnings %q, backends %+v", len(sum.Runs), sum.Warnings, sum.Backends)
	}
	for _, r := range sum.Runs {
		if r.HiccupsNS.P50 <= 0 || r.HiccupsNS.Max < r.HiccupsNS.P99 {
			t.Errorf("%s: hiccups %+v, want readings", r.Backend, r.HiccupsNS)
		}
		if want := float64(3+2) / float64(runtime.GOMAXPROCS(0)); r.ClientsPerCPU != want {
			t.Errorf("%s: clients_per_cpu %g, want %g", r.Backend, r.ClientsPerCPU, want)
		}
		if r.Open == nil || r.Open.Started == 0 || math.Abs(r.Open.AchievedRate*r.DurationS-float64(r.Open.Started)) > 0.5 {
			t.Errorf("%s: open %+v over %g s, want achieved_rate × duration_s = started", r.Backend, r.Open, r.DurationS)
		}
		p := r.Revocation.PropagationNS
		switch r.Backend {
		case "noop":
			if p != nil {
				t.Errorf("noop: propagation %+v, want none", p)
			}
		default:
			if p == nil || p.Delivery.P50 <= 0 || p.Apply.P50 <= 0 {
				t.Errorf("%s: propagation %+v, want delivery and apply delays", r.Backend, p)
			} else {
				t.Logf("%s: delivery p50 %s p99 %s, apply p50 %s", r.Backend, time.Duration(p.Delivery.P50), time.Duration(p.Delivery.P99), time.Duration(p.Apply.P50))
			}
		}
	}
}
