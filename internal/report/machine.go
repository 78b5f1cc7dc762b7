package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/authbench/authbench/internal/results"
)

// machineWarnings says where the machine, not the backend, may have made
// the figures: latency tails no longer than the stalls the hiccup meter
// measured during the same runs (a goroutine sleeping 1 ms at a time and
// recording how late it woke, as jHiccup does), and closed-model runs with
// more clients than processors, whose tails include waits for a processor.
func (v *view) machineWarnings() []string {
	var out []string
	type key struct{ point, backend string }
	groups := map[key][]*results.Run{}
	var crowded []string
	crowdedMax := 0.0
	for i := range v.s.Runs {
		r := &v.s.Runs[i]
		k := key{r.Point, r.Backend}
		groups[k] = append(groups[k], r)
		if r.Model == "closed" && r.ClientsPerCPU > 1 {
			if !slices.Contains(crowded, r.Backend) {
				crowded = append(crowded, r.Backend)
			}
			crowdedMax = max(crowdedMax, r.ClientsPerCPU)
		}
	}
	for _, pt := range v.points {
		var noisy []string
		for _, b := range v.backends {
			runs := groups[key{pt, b}]
			if len(runs) == 0 {
				continue
			}
			var p99, p999, stall99, stall999 []float64
			for _, r := range runs {
				h := r.HiccupsNS
				if h.Max <= 0 {
					continue // no meter in this run (an older summary)
				}
				lat := r.Ops[results.OpValidate].LatencyNS
				p99 = append(p99, float64(lat.P99))
				p999 = append(p999, float64(lat.P999))
				stall99 = append(stall99, float64(h.P99))
				if h.P999 <= 0 { // a summary that recorded only p99 and max
					h.P999 = h.Max
				}
				stall999 = append(stall999, float64(h.P999))
			}
			if len(p99) == 0 {
				continue
			}
			// A tail is the machine's when the machine itself stalled as
			// long at the same percentile: a backend's p99 against the
			// meter's p99, not against its worst stall, which a single
			// hiccup makes long enough to cover every tail.
			s99, s999 := median(stall99), median(stall999)
			var within []string
			if x := median(p99); x > 0 && x <= s99 {
				within = append(within, "p99 "+fmtNS(x))
			}
			if x := median(p999); x > 0 && x <= s999 {
				within = append(within, "p99.9 "+fmtNS(x))
			}
			if len(within) > 0 {
				noisy = append(noisy, fmt.Sprintf("%s: validate %s within the machine's own stalls (p99 %s, p99.9 %s)",
					b, strings.Join(within, " and "), fmtNS(s99), fmtNS(s999)))
			}
		}
		if len(noisy) == 0 {
			continue
		}
		where := "Machine noise: "
		if pt != "" {
			where = "Machine noise at " + pt + ": "
		}
		out = append(out, where+strings.Join(noisy, "; ")+
			". Stalls are how late the hiccup meter woke during the same runs, at the same percentile, median over repeats: these tails may be the machine, not the backend.")
	}
	if len(crowded) > 0 {
		out = append(out, fmt.Sprintf("Closed model with more clients (plus nodes) than processors (up to %.1f per CPU) for %s: latency tails include waits for a processor, not only the backend's own time; compare tails at one client per CPU, or use the open model.",
			crowdedMax, strings.Join(crowded, ", ")))
	}
	return out
}
