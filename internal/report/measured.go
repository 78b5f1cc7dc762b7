package report

import (
	"fmt"
	"strings"

	"github.com/authbench/authbench/internal/results"
)

// meas is what a backend's runs at one point counted, over its repeats
// (medians of per-run figures): store operations, results.CPU time, renewals.
type meas struct {
	// counted: the runs counted store operations (summaries from before
	// counting have none).
	counted bool
	// roundTrips and localLookups per validation; hitRatio of a
	// client-side cache (0 without one).
	roundTrips, localLookups, hitRatio float64
	// refreshTrips is the round trips of refreshes, summed over repeats.
	refreshTrips int64

	// cpuOK: process results.CPU was measured; storeOK: redis-server's too.
	cpuOK, storeOK  bool
	procUS, storeUS float64 // µs per validation
	// cpuVals is process + store results.CPU µs per validation of each repeat.
	cpuVals []float64

	logins, refreshes    int64 // per run
	loginP50, refreshP50 float64
}

// measured returns the counted figures of backend b at point pt.
func (v *view) measured(pt, b string) meas {
	var m meas
	var rt, ll, hr, proc, store, logins, refreshes, lp, rp []float64
	for _, r := range v.runs[pt][b] {
		if so := r.StoreOps; so != nil {
			m.counted = true
			rt = append(rt, so.RoundTripsPerValidate)
			ll = append(ll, so.LocalLookupsPerValidate)
			hr = append(hr, so.CacheHitRatio)
			m.refreshTrips += so.RefreshRoundTrips
		}
		if c := r.CPU; c != nil && c.Validations > 0 {
			m.cpuOK = true
			proc = append(proc, c.ProcessUSPerValidate)
			total := c.ProcessUSPerValidate
			if c.StoreMeasured {
				m.storeOK = true
				store = append(store, c.StoreUSPerValidate)
				total += c.StoreUSPerValidate
			}
			m.cpuVals = append(m.cpuVals, total)
		}
		logins = append(logins, float64(r.Ops[results.OpLogin].Count))
		refreshes = append(refreshes, float64(r.Ops[results.OpRefresh].Count))
		lp = append(lp, float64(r.Ops[results.OpLogin].LatencyNS.P50))
		rp = append(rp, float64(r.Ops[results.OpRefresh].LatencyNS.P50))
	}
	m.roundTrips, m.localLookups, m.hitRatio = median(rt), median(ll), median(hr)
	m.procUS, m.storeUS = median(proc), median(store)
	m.logins, m.refreshes = int64(median(logins)), int64(median(refreshes))
	m.loginP50, m.refreshP50 = median(lp), median(rp)
	return m
}

// cpuTotal is the results.CPU µs per validation of the process and the store.
func (m meas) cpuTotal() float64 { return m.procUS + m.storeUS }

// coresPer100k converts µs per validation into cores busy at 100,000
// validations a second: 100,000 × µs / 1,000,000.
func coresPer100k(us float64) float64 { return us / 10 }

// cpuText says what a validation cost in results.CPU.
func (m meas) cpuText() string {
	if !m.cpuOK {
		return "CPU not measured"
	}
	s := fmt.Sprintf("CPU %s µs per validation (authbench process)", sig3(m.procUS))
	if m.storeOK {
		s += fmt.Sprintf(" + %s µs (redis-server)", sig3(m.storeUS))
	}
	return s + fmt.Sprintf(" = %s cores per 100k validations/s", sig3(coresPer100k(m.cpuTotal())))
}

// tokenShape returns what an issued credential of b showed, from its
// first run that inspected one.
func (v *view) tokenShape(b string) *results.TokenShape {
	for _, pt := range v.points {
		for _, r := range v.runs[pt][b] {
			if r.Token != nil {
				return r.Token
			}
		}
	}
	return nil
}

// opErrors says how many requests of each operation failed, summed over
// the repeats of b at pt: "0", or "validate 3, logout 1".
func (v *view) opErrors(pt, b string) string {
	var parts []string
	for _, op := range results.Ops {
		var n int64
		for _, r := range v.runs[pt][b] {
			e := r.Ops[op].Errors
			if op == results.OpValidate {
				e = max(e, r.Outcomes.Errors)
			}
			n += e
		}
		if n > 0 {
			parts = append(parts, op+" "+fmtInt(n))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}
