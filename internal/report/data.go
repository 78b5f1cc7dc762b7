package report

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/authbench/authbench/internal/results"
)

// confidence is the level of every confidence interval in the report, as
// in benchstat.
const confidence = 0.95

// view is a Summary arranged for reading: backends in a fixed order with
// their colours, parameter points sorted, runs grouped by point and backend.
// Every chart, table and claim of one report reads the same view, so they
// agree on order, colours and the headline point.
type view struct {
	s *results.Summary
	// backends lists the backends that have runs, in the order of
	// Summary.Backends (backends found only in Runs follow in run order).
	backends []string
	info     map[string]results.BackendInfo
	// colorIndex is a backend's position in Summary.Backends: its colour.
	colorIndex map[string]int
	// points lists the parameter points in sweep order, numerically sorted,
	// then the extra points in run order.
	points []string
	// extra marks the extra points: outside the sweep's grid, run by some
	// backends only (scenario extra:).
	extra map[string]bool
	// headline is the point the single-point charts show: see headlinePoint.
	headline string
	runs     map[string]map[string][]*results.Run // point → backend → runs by repeat
	stats    map[string]map[string]*stat          // point → backend → figures
	// leftOut lists the runs the claims leave out as faulty (see Faults).
	leftOut []LeftOut
}

func newView(s *results.Summary) *view {
	v := &view{
		s:          s,
		info:       map[string]results.BackendInfo{},
		colorIndex: map[string]int{},
		runs:       map[string]map[string][]*results.Run{},
		extra:      map[string]bool{},
		stats:      map[string]map[string]*stat{},
	}
	for i, b := range s.Backends {
		v.info[b.Name] = b
		if _, dup := v.colorIndex[b.Name]; !dup {
			v.colorIndex[b.Name] = i
		}
	}
	hasRuns := map[string]bool{}
	pointValues := map[string][]string{}
	for i := range s.Runs {
		r := &s.Runs[i]
		if _, ok := v.colorIndex[r.Backend]; !ok {
			v.colorIndex[r.Backend] = len(v.colorIndex)
		}
		if _, ok := v.info[r.Backend]; !ok {
			var bi results.BackendInfo
			bi.Name, bi.StoreLookups = r.Backend, r.StoreLookupsPerValidate
			v.info[r.Backend] = bi
		}
		hasRuns[r.Backend] = true
		if v.runs[r.Point] == nil {
			v.runs[r.Point] = map[string][]*results.Run{}
			v.points = append(v.points, r.Point)
			pointValues[r.Point] = v.sweepValues(r)
			v.extra[r.Point] = len(r.Extra) > 0
		}
		v.runs[r.Point][r.Backend] = append(v.runs[r.Point][r.Backend], r)
	}
	for _, b := range s.Backends {
		if hasRuns[b.Name] && !contains(v.backends, b.Name) {
			v.backends = append(v.backends, b.Name)
		}
	}
	for i := range s.Runs {
		if b := s.Runs[i].Backend; !contains(v.backends, b) {
			v.backends = append(v.backends, b)
		}
	}
	sort.SliceStable(v.points, func(i, j int) bool {
		if xi, xj := v.extra[v.points[i]], v.extra[v.points[j]]; xi || xj {
			return !xi && xj // the grid first; extra points keep their order
		}
		a, b := pointValues[v.points[i]], pointValues[v.points[j]]
		for k := 0; k < len(a) && k < len(b); k++ {
			if c := compareValues(a[k], b[k]); c != 0 {
				return c < 0
			}
		}
		return len(a) < len(b)
	})
	if grid := v.gridPoints(); len(grid) > 0 {
		v.headline = headlinePoint(grid)
	} else if len(v.points) > 0 {
		v.headline = headlinePoint(v.points) // a shard of extra points only
	}
	for p, byBackend := range v.runs {
		v.stats[p] = map[string]*stat{}
		for b, runs := range byBackend {
			sort.SliceStable(runs, func(i, j int) bool { return runs[i].Repeat < runs[j].Repeat })
			v.stats[p][b] = newStat(runs)
		}
	}
	return v
}

// headlinePoint picks the point the single-point charts (spectrum,
// throughput, percentiles, revocation, trade-off, timeline, token size)
// show: the last point of the sorted sweep, where every swept parameter is
// at its largest value — the heaviest setting the scenario asks for. A run
// without a sweep has a single point, which is the headline. Extra points
// are never the headline: they run only some backends.
func headlinePoint(sorted []string) string { return sorted[len(sorted)-1] }

// gridPoints lists the points of the sweep's grid, sorted: every point
// but the extra ones.
func (v *view) gridPoints() []string {
	var out []string
	for _, pt := range v.points {
		if !v.extra[pt] {
			out = append(out, pt)
		}
	}
	return out
}

// headlineRule says in words what headlinePoint does, for the report.
const headlineRule = "the last point of the sweep, with every swept parameter at its largest value"

// sweepValues returns the swept values of a run, in sweep order.
func (v *view) sweepValues(r *results.Run) []string {
	out := make([]string, len(v.s.Sweep))
	for i, path := range v.s.Sweep {
		out[i] = r.Params[path]
	}
	return out
}

// pointLabel names a point for headings ("load.clients=8"; "the only point"
// without a sweep).
func pointLabel(p string) string {
	if p == "" {
		return "the only parameter point"
	}
	return p
}

// parseNumber reads a swept value as a number: plain numbers, and
// durations in seconds.
func parseNumber(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, true
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), true
	}
	return 0, false
}

func isDuration(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	_, err := time.ParseDuration(s)
	return err == nil
}

// compareValues orders swept values numerically when both are numbers or
// durations, else as strings.
func compareValues(a, b string) int {
	fa, oka := parseNumber(a)
	fb, okb := parseNumber(b)
	switch {
	case oka && okb:
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// stat is the figures of one backend at one point, over its repeats:
// medians for what is measured per run, sums for what is counted.
type stat struct {
	n int
	// thr is the validate throughput over repeats (median, CI) and thrVals
	// the values it came from, ascending.
	thr     benchmath.Summary
	thrVals []float64
	// p50Vals and p99Vals are the validate p50 and p99 per repeat (ns),
	// ascending.
	p50Vals, p99Vals []float64

	p50, p90, p99, p999, max, mean float64 // validate latency medians, ns
	logoutP50                      float64

	errors, falseAccepts, falseRejects, undecided, validations int64
	expectedValid, expectedRevoked                             int64
	refreshes                                                  int64

	revoked, replays, replaysAccepted, replayed, exposed int64
	exposedShare                                         float64 // median over repeats, 0..1
	expP50, expP99, expMax                               float64 // exposure medians, ms

	tokenBytes, lookups float64
	storeEntries        float64
	interrupted         bool
	errorSamples        []string
}

func newStat(runs []*results.Run) *stat {
	st := &stat{n: len(runs)}
	var p50, p90, p99, p999, mx, mean, lo, share, e50, e99, emax, tok, look, entries []float64
	for _, r := range runs {
		val := r.Ops[results.OpValidate]
		st.thrVals = append(st.thrVals, val.ThroughputPerS)
		p50 = append(p50, float64(val.LatencyNS.P50))
		p90 = append(p90, float64(val.LatencyNS.P90))
		p99 = append(p99, float64(val.LatencyNS.P99))
		p999 = append(p999, float64(val.LatencyNS.P999))
		mx = append(mx, float64(val.LatencyNS.Max))
		mean = append(mean, val.LatencyNS.Mean)
		lo = append(lo, float64(r.Ops[results.OpLogout].LatencyNS.P50))
		st.validations += val.Count
		st.refreshes += r.Ops[results.OpRefresh].Count
		o := r.Outcomes
		st.errors += o.Errors
		st.falseAccepts += o.FalseAccepts
		st.falseRejects += o.FalseRejects
		st.undecided += o.Undecided
		st.expectedValid += o.ExpectedValid
		st.expectedRevoked += o.ExpectedRevoked
		rv := r.Revocation
		st.revoked += rv.Revoked
		st.replays += rv.Replays
		st.replaysAccepted += rv.ReplaysAccepted
		st.replayed += rv.ReplayedCredentials
		st.exposed += rv.ExposedCredentials
		share = append(share, exposedShare(rv))
		e50 = append(e50, rv.ExposureMS.P50)
		e99 = append(e99, rv.ExposureMS.P99)
		emax = append(emax, rv.ExposureMS.Max)
		tok = append(tok, r.TokenBytes)
		look = append(look, r.StoreLookupsPerValidate)
		entries = append(entries, float64(r.Store.Entries))
		st.interrupted = st.interrupted || r.Interrupted
		for _, e := range r.ErrorSamples {
			if !contains(st.errorSamples, e) {
				st.errorSamples = append(st.errorSamples, e)
			}
		}
	}
	sort.Float64s(st.thrVals)
	st.p50Vals = append([]float64(nil), p50...)
	sort.Float64s(st.p50Vals)
	st.p99Vals = append([]float64(nil), p99...)
	sort.Float64s(st.p99Vals)
	st.thr = benchmath.AssumeNothing.Summary(benchmath.NewSample(st.thrVals, &benchmath.DefaultThresholds), confidence)
	st.p50, st.p90, st.p99, st.p999 = median(p50), median(p90), median(p99), median(p999)
	st.max, st.mean, st.logoutP50 = median(mx), median(mean), median(lo)
	st.exposedShare = median(share)
	st.expP50, st.expP99, st.expMax = median(e50), median(e99), median(emax)
	st.tokenBytes, st.lookups, st.storeEntries = median(tok), median(look), median(entries)
	return st
}

// exposedShare is the share of replayed revoked credentials accepted at
// least once after their revocation. The engine fills ExposedShare; it is
// recomputed from the counts when they are there, so the two cannot
// disagree in the report.
func exposedShare(rv results.Revocation) float64 {
	if rv.ReplayedCredentials > 0 {
		return float64(rv.ExposedCredentials) / float64(rv.ReplayedCredentials)
	}
	return rv.ExposedShare
}

// hasReplays reports whether revoked credentials were replayed at all, so
// that the exposure figures mean something.
func (st *stat) hasReplays() bool { return st.replays > 0 || st.replayed > 0 }

// spread is (max−min)/median of the throughput over repeats.
func (st *stat) spread() float64 {
	if len(st.thrVals) < 2 || st.thr.Center == 0 {
		return 0
	}
	return (st.thrVals[len(st.thrVals)-1] - st.thrVals[0]) / st.thr.Center
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fmtNS formats a duration in nanoseconds with three significant digits
// and the unit a reader expects ("812 ns", "48.2 µs", "1.23 ms").
func fmtNS(ns float64) string {
	switch a := math.Abs(ns); {
	case a == 0:
		return "0"
	case a < 1e3:
		return sig3(ns) + " ns"
	case a < 1e6:
		return sig3(ns/1e3) + " µs"
	case a < 1e9:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// fmtMS formats a duration in milliseconds.
func fmtMS(ms float64) string { return fmtNS(ms * 1e6) }

// sig3 prints v with three significant digits, never in exponent form.
func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// fmtCount formats a rate or count with a k/M/G suffix ("98.8k").
func fmtCount(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return sig3(v/1e9) + "G"
	case a >= 1e6:
		return sig3(v/1e6) + "M"
	case a >= 1e3:
		return sig3(v/1e3) + "k"
	case a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return sig3(v)
}

// fmtInt formats an integer count with thousands separators.
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtPct formats a share (0..1) as a percentage.
func fmtPct(share float64) string {
	p := share * 100
	if p != 0 && math.Abs(p) < 0.1 {
		return strconv.FormatFloat(p, 'f', 3, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// fmtRatio formats a ratio as "16×" or "1.3×".
func fmtRatio(r float64) string {
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return "∞×"
	}
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + "×"
}

// fmtCI formats a median with its confidence interval as benchstat does:
// "98.8k ± 3%", or "98.8k ± ∞" when the sample is too small for one.
func fmtCI(s benchmath.Summary) string {
	return fmtCount(s.Center) + " ± " + s.PctRangeString()
}
