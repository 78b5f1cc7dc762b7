package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/authbench/authbench/internal/results"
)

// Which strategy fits: the scenario's require: block checked against the
// headline point, backend by backend, as k6 checks thresholds. A figure
// the run did not measure (no replayed revoked credentials, no results.CPU time)
// cannot show that a requirement is met, so it counts as a miss.

// Fit is one backend checked against the requirements.
type Fit struct {
	Backend string
	// Misses lists the requirements not met, with the measured figure.
	Misses []string
	// CostUS is the results.CPU µs per validation (process and store), or, when
	// results.CPU was not measured, the validate p50 in µs; CostCPU says which.
	CostUS  float64
	CostCPU bool
	// ExposureMS is the exposure p99 of revoked credentials (-1: none replayed).
	ExposureMS float64
}

// Meets reports whether the backend met every requirement.
func (f Fit) Meets() bool { return len(f.Misses) == 0 }

// Fits checks every backend of the headline point against s.Require (no
// requirement when nil). ok is false when a backend named in
// results.Require.Backends misses, or, without names, when none meets them all;
// why says so in one line.
func Fits(s *results.Summary) (fits []Fit, ok bool, why string) {
	v := newView(s)
	r := s.Require
	if r == nil {
		r = &results.Require{}
	}
	cpu := true
	for _, b := range v.headlineBackends() {
		cpu = cpu && v.measured(v.headline, b).cpuOK
	}
	for _, b := range v.headlineBackends() {
		if v.info[b].Family == "calibration" {
			continue
		}
		st, m := v.st(b), v.measured(v.headline, b)
		f := Fit{Backend: b, ExposureMS: -1, CostCPU: cpu}
		if cpu {
			f.CostUS = m.cpuTotal()
		} else {
			f.CostUS = st.p50 / 1e3
		}
		exposure, cutOff := st.expP99, false
		if st.hasReplays() {
			// A token that outlives the run can only show an exposure as
			// long as the run: for a backend that exposed revoked tokens
			// for most of it, the true window is up to the token's TTL.
			if ttl, ok := v.ttlOf(v.headline); ok && st.exposedShare > 0 {
				if run := v.pointRun(v.headline); run != nil && ttl > run.DurationS*1000 && st.expP99 >= 0.5*run.DurationS*1000 {
					exposure, cutOff = ttl, true
				}
			}
			f.ExposureMS = exposure
		}
		miss := func(format string, args ...any) { f.Misses = append(f.Misses, fmt.Sprintf(format, args...)) }
		if r.ValidateP99NS > 0 && st.p99 > float64(r.ValidateP99NS) {
			miss("validate p99 %s > %s", fmtNS(st.p99), fmtNS(float64(r.ValidateP99NS)))
		}
		if r.Throughput > 0 && st.thr.Center < r.Throughput {
			miss("throughput %s/s < %s/s", fmtCount(st.thr.Center), fmtCount(r.Throughput))
		}
		if r.ExposureP99MS != nil {
			switch {
			case !st.hasReplays():
				miss("exposure not measured (no revoked credential replayed)")
			case cutOff && exposure > *r.ExposureP99MS:
				miss("exposure p99 up to %s (token.ttl; the %s measured were cut off by the run) > %s", fmtMS(exposure), fmtMS(st.expP99), fmtMS(*r.ExposureP99MS))
			case exposure > *r.ExposureP99MS:
				miss("exposure p99 %s > %s", fmtMS(exposure), fmtMS(*r.ExposureP99MS))
			}
		}
		if r.FalseAccepts != nil && st.falseAccepts > *r.FalseAccepts {
			miss("%s false accepts > %s", fmtInt(st.falseAccepts), fmtInt(*r.FalseAccepts))
		}
		if r.ErrorShare != nil {
			share := 0.0
			if st.validations > 0 {
				share = float64(st.errors) / float64(st.validations)
			}
			if share > *r.ErrorShare {
				miss("error share %s > %s", fmtPct(share), fmtPct(*r.ErrorShare))
			}
		}
		if r.StoreRoundTrips != nil {
			switch {
			case !m.counted:
				miss("store round trips not counted")
			case m.roundTrips > *r.StoreRoundTrips:
				miss("%s store round trips per validation > %s", fmtPer(m.roundTrips), fmtPer(*r.StoreRoundTrips))
			}
		}
		if r.TokenBytes > 0 && st.tokenBytes > float64(r.TokenBytes) {
			miss("token %s bytes > %d", trimFloat(st.tokenBytes), r.TokenBytes)
		}
		if r.CPUMicros > 0 {
			switch {
			case !m.cpuOK:
				miss("CPU not measured")
			case m.cpuTotal() > r.CPUMicros:
				miss("CPU %s µs per validation > %s µs", sig3(m.cpuTotal()), sig3(r.CPUMicros))
			}
		}
		fits = append(fits, f)
	}
	var meets []string
	for _, f := range fits {
		if f.Meets() {
			meets = append(meets, f.Backend)
		}
	}
	if len(r.Backends) > 0 {
		var missed []string
		for _, b := range r.Backends {
			i := slices.IndexFunc(fits, func(f Fit) bool { return f.Backend == b })
			switch {
			case i < 0:
				missed = append(missed, b+" (did not run)")
			case !fits[i].Meets():
				missed = append(missed, b+" ("+strings.Join(fits[i].Misses, ", ")+")")
			}
		}
		if len(missed) > 0 {
			return fits, false, "required backends miss a requirement: " + strings.Join(missed, "; ")
		}
		return fits, true, ""
	}
	if requires(r) && len(meets) == 0 {
		return fits, false, "no backend meets every requirement"
	}
	return fits, true, ""
}

// requires reports whether r sets any limit.
func requires(r *results.Require) bool {
	return r.ValidateP99NS > 0 || r.Throughput > 0 || r.ExposureP99MS != nil || r.FalseAccepts != nil ||
		r.ErrorShare != nil || r.StoreRoundTrips != nil || r.TokenBytes > 0 || r.CPUMicros > 0 || len(r.Backends) > 0
}

// paretoFront returns the backends no other backend beats on both cost and
// exposure (lower or equal on both, lower on one), cheapest first.
// Backends without an exposure figure are left out.
func paretoFront(fits []Fit) []Fit {
	var out []Fit
	for _, f := range fits {
		if f.ExposureMS < 0 {
			continue
		}
		dominated := false
		for _, g := range fits {
			if g.ExposureMS < 0 || g.Backend == f.Backend {
				continue
			}
			if g.CostUS <= f.CostUS && g.ExposureMS <= f.ExposureMS && (g.CostUS < f.CostUS || g.ExposureMS < f.ExposureMS) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CostUS < out[j].CostUS })
	return out
}

// fitSentence names, in one sentence computed from the data, the cheapest
// backend that meets every requirement.
func fitSentence(fits []Fit, r *results.Require) string {
	unit := "validate p50"
	if len(fits) > 0 && fits[0].CostCPU {
		unit = "CPU per validation"
	}
	var meets []Fit
	for _, f := range fits {
		if f.Meets() {
			meets = append(meets, f)
		}
	}
	if len(meets) == 0 {
		if len(fits) == 0 {
			return "No backend ran."
		}
		closest := slices.MinFunc(fits, func(a, b Fit) int { return len(a.Misses) - len(b.Misses) })
		return fmt.Sprintf("No backend meets every requirement; the closest, %s, misses: %s.", closest.Backend, strings.Join(closest.Misses, ", "))
	}
	best := slices.MinFunc(meets, func(a, b Fit) int {
		switch {
		case a.CostUS < b.CostUS:
			return -1
		case a.CostUS > b.CostUS:
			return 1
		}
		return strings.Compare(a.Backend, b.Backend)
	})
	what := "every requirement"
	if r == nil || !requires(r) {
		what = "the (empty) requirements"
	}
	return fmt.Sprintf("The cheapest backend meeting %s is %s, at %s µs %s (%d of %d backends meet them).", what, best.Backend, sig3(best.CostUS), unit, len(meets), len(fits))
}

// ttlOf returns token.ttl at point pt, in ms.
func (v *view) ttlOf(pt string) (float64, bool) {
	r := v.pointRun(pt)
	if r == nil {
		return 0, false
	}
	t, ok := r.Params["token.ttl"]
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, false
	}
	return float64(d.Milliseconds()), true
}
