package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
)

func machineRun(backend, model string, p99, p999, stallMax int64, perCPU float64) results.Run {
	return results.Run{
		ID: backend, Backend: backend, Model: model, Repeat: 1, DurationS: 1,
		Ops: map[string]results.Op{results.OpValidate: {
			Count: 1000, ThroughputPerS: 1000,
			LatencyNS: results.Latency{P50: p99 / 10, P90: p99 / 2, P99: p99, P999: p999, Max: p999},
		}},
		HiccupsNS:     results.Latency{P50: 60_000, P99: stallMax / 50, P999: stallMax / 2, Max: stallMax},
		ClientsPerCPU: perCPU,
	}
}

// A tail no longer than the stalls the machine itself showed is marked; a
// tail far above them is the backend's and is not; crowded closed-model
// runs are warned about, open-model ones are not.
func TestMachineWarnings(t *testing.T) {
	s := &results.Summary{Scenario: "t", Runs: []results.Run{
		machineRun("noisy", "closed", 1_000_000, 20_000_000, 50_000_000, 0.5),
		// Within the worst stall (50 ms), but not within the machine's
		// own p99 (1 ms): only its p99.9 is the machine's.
		machineRun("tail", "closed", 10_000_000, 20_000_000, 50_000_000, 0.5),
		machineRun("slow", "closed", 20_000_000, 90_000_000, 100_000, 0.5),
		machineRun("crowded", "closed", 1_000, 2_000, 0, 8),
		machineRun("open", "open", 1_000, 2_000, 0, 8),
	}}
	got := strings.Join(newView(s).machineWarnings(), "\n")
	t.Log(got)
	if !strings.Contains(got, "noisy: validate p99 1.00 ms and p99.9 20.0 ms within the machine's own stalls (p99 1.00 ms, p99.9 25.0 ms)") {
		t.Errorf("noisy's tails (within the machine's stalls at p99 and p99.9) not marked:\n%s", got)
	}
	if !strings.Contains(got, "tail: validate p99.9 20.0 ms within") {
		t.Errorf("tail's p99.9 (within the machine's p99.9 stall) not marked:\n%s", got)
	}
	if strings.Contains(got, "tail: validate p99 ") {
		t.Errorf("tail's p99 (10 ms, above the machine's 1 ms p99 stall) marked as the machine's:\n%s", got)
	}
	if n := strings.Count(got, "Machine noise"); n != 1 {
		t.Errorf("%d machine-noise lines for one point, want one listing its backends:\n%s", n, got)
	}
	if strings.Contains(got, "slow:") {
		t.Errorf("slow's tails (20 ms, 90 ms against 100 µs of stalls) marked as the machine's:\n%s", got)
	}
	if !strings.Contains(got, "(up to 8.0 per CPU) for crowded:") {
		t.Errorf("closed model with 8 clients per CPU not warned about:\n%s", got)
	}
	if w := strings.Join(newView(s).warnings(), "\n"); !strings.Contains(w, "Machine noise: noisy:") {
		t.Errorf("report warnings lack the machine-noise line:\n%s", w)
	}
}

// The latency-spectrum caption speaks of the open model's correction only
// for open-model runs.
func TestLatencyOriginFollowsModel(t *testing.T) {
	for _, tt := range []struct {
		models []string
		want   string
	}{
		{[]string{"closed"}, "actual start of each request (closed model"},
		{[]string{"open"}, "intended start of each request (open model"},
		{[]string{"open", "closed"}, "closed-model runs from its actual start"},
	} {
		s := &results.Summary{Scenario: "t"}
		for i, m := range tt.models {
			s.Runs = append(s.Runs, machineRun(fmt.Sprint("b", i), m, 1000, 2000, 0, 0.5))
		}
		v := newView(s)
		if got := v.latencyOrigin(v.headline); !strings.Contains(got, tt.want) {
			t.Errorf("models %v: caption %q, want it to say %q", tt.models, got, tt.want)
		}
	}
}
