package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
)

// networkSummary is a latency sweep at two client counts: session-redis
// pays the round trip on every validation, jwt-denylist-pubsub only in its
// exposure, jwt-hs256 nothing.
func networkSummary() *results.Summary {
	s := &results.Summary{
		Scenario: "network",
		Sweep:    []string{"redis.latency", "load.clients"},
		Backends: []results.BackendInfo{
			{Info: backends.Info{Name: "jwt-hs256", Family: "jwt"}},
			{Info: backends.Info{Name: "session-redis", Family: "session", Stateful: true, StoreLookups: 1}},
			{Info: backends.Info{Name: "jwt-denylist-pubsub", Family: "hybrid", Stateful: true}},
		},
	}
	id := 0
	for _, clients := range []int{1, 16} {
		for _, lat := range []string{"0s", "200µs", "500µs", "1ms", "2ms"} {
			d, _ := time.ParseDuration(lat)
			for _, b := range s.Backends {
				p50 := 10 * time.Microsecond
				exp := 0.0
				switch b.Name {
				case "session-redis":
					p50 += d + 40*time.Microsecond
				case "jwt-denylist-pubsub":
					exp = 1 + float64(d)/float64(time.Millisecond)/2
				}
				id++
				s.Runs = append(s.Runs, results.Run{
					ID: fmt.Sprintf("%04d", id), Backend: b.Name, Repeat: 1,
					Params: map[string]string{"redis.latency": lat, "load.clients": fmt.Sprint(clients)},
					Point:  fmt.Sprintf("redis.latency=%s load.clients=%d", lat, clients),
					Ops: map[string]results.Op{results.OpValidate: {Count: 1000, ThroughputPerS: 1e9 / float64(p50),
						LatencyNS: results.Latency{P50: int64(p50), P90: int64(p50), P99: int64(p50) * 2, P999: int64(p50) * 3, Max: int64(p50) * 4}}},
					Revocation: results.Revocation{Revoked: 10, Replays: 50, ExposureMS: results.Exposure{P50: exp, P99: exp, Max: exp}},
				})
			}
		}
	}
	return s
}

func TestNetworkFigures(t *testing.T) {
	v := newView(networkSummary())
	groups, ok := v.latencyGroups()
	if !ok || len(groups) != 2 {
		t.Fatalf("latency groups = %+v, want one per client count", groups)
	}
	if got := fmt.Sprint(groups[0].rtt); got != "[0 0.2 0.5 1 2]" {
		t.Errorf("round trips = %s, want [0 0.2 0.5 1 2] ms", got)
	}
	figs, skips := v.networkFigures()
	if len(figs) != 2 || figs[0].Name != "network-rtt" || figs[1].Name != "network-exposure" {
		t.Fatalf("figures %v, skips %v", figs, skips)
	}
	// session-redis p99 = 2·(50 µs + RTT): over 1 ms from RTT 0.45 ms,
	// between the 0.2 and 0.5 ms points.
	if c := figs[0].Caption; !strings.Contains(c, "session-redis (load.clients=1): from about 0.45 ms (between the points at 0.2 and 0.5 ms)") {
		t.Errorf("caption does not place session-redis's budget crossing: %s", c)
	}
	if c := figs[0].Caption; !strings.Contains(c, "jwt-denylist-pubsub (load.clients=16): within the budget up to 2 ms") {
		t.Errorf("caption does not say jwt-denylist-pubsub stays within budget: %s", c)
	}
	if c := figs[0].Caption; strings.Contains(c, "jwt-hs256 (") {
		t.Errorf("stateless jwt-hs256 given a budget crossing: %s", c)
	}
	for _, f := range figs {
		if err := f.Save(t.TempDir()); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestNoNetworkFiguresWithoutLatencySweep(t *testing.T) {
	s := networkSummary()
	s.Sweep = []string{"load.clients"}
	if figs, _ := newView(s).networkFigures(); len(figs) != 0 {
		t.Errorf("%d network figures for a run that did not sweep redis.latency", len(figs))
	}
}

func TestBudgetCrossing(t *testing.T) {
	ms := float64(time.Millisecond)
	tests := []struct {
		xs, ys []float64
		want   string
	}{
		{[]float64{0, 1, 2}, []float64{0.5 * ms, 0.9 * ms, 1.1 * ms}, "from about 1.5 ms (between the points at 1 and 2 ms)"},
		{[]float64{0, 1}, []float64{2 * ms, 3 * ms}, "over the budget already at 0 ms"},
		{[]float64{0, 1}, []float64{0.1 * ms, ms}, "within the budget up to 1 ms, the largest round trip measured"},
	}
	for _, tt := range tests {
		if got := budgetCrossing(tt.xs, tt.ys, ms); got != tt.want {
			t.Errorf("budgetCrossing(%v, %v) = %q, want %q", tt.xs, tt.ys, got, tt.want)
		}
	}
}
