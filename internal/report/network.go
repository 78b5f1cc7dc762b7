package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/authbench/authbench/internal/figure"
)

// The charts of a sweep over redis.latency (scenarios/network.yaml): what
// a store's round trip costs each backend, and what it does to the
// exposure of pushed or cached revocations.

// latencyPath is the swept field these charts read.
const latencyPath = "redis.latency"

// NetworkP99Budget is the validate p99 against which the round-trip chart
// says where each stateful backend stops meeting it: 1 ms, a common
// budget for the authentication step of a request.
const NetworkP99Budget = time.Millisecond

// maxNetworkRows bounds the rows (values of the other swept fields) of a
// network chart, so it stays readable.
const maxNetworkRows = 4

// latencyGroup is the points of one value of the other swept fields, in
// order of increasing injected round trip.
type latencyGroup struct {
	label  string    // "load.clients=16", or "" without other fields
	points []string  // point keys
	rtt    []float64 // injected round trip of each point, ms
}

// latencyGroups splits the points by the values of every swept field but
// redis.latency. ok is false when redis.latency is not swept over at least
// two values.
func (v *view) latencyGroups() ([]latencyGroup, bool) {
	k := slices.Index(v.s.Sweep, latencyPath)
	if k < 0 {
		return nil, false
	}
	byLabel := map[string]*latencyGroup{}
	var order []string
	for _, pt := range v.gridPoints() {
		vals := v.pointValues(pt)
		if len(vals) <= k {
			continue
		}
		d, err := time.ParseDuration(vals[k])
		if err != nil {
			continue
		}
		var others []string
		for j, p := range v.s.Sweep {
			if j != k {
				others = append(others, p+"="+vals[j])
			}
		}
		label := strings.Join(others, ", ")
		g := byLabel[label]
		if g == nil {
			g = &latencyGroup{label: label}
			byLabel[label] = g
			order = append(order, label)
		}
		g.points = append(g.points, pt)
		g.rtt = append(g.rtt, float64(d)/float64(time.Millisecond))
	}
	var out []latencyGroup
	for _, label := range order {
		g := byLabel[label]
		if len(g.points) < 2 {
			continue
		}
		// Points come sorted by sweep order; sort by round trip to be sure.
		idx := make([]int, len(g.points))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmpFloat(g.rtt[a], g.rtt[b]) })
		sorted := latencyGroup{label: g.label}
		for _, i := range idx {
			sorted.points = append(sorted.points, g.points[i])
			sorted.rtt = append(sorted.rtt, g.rtt[i])
		}
		out = append(out, sorted)
	}
	if len(out) > maxNetworkRows {
		out = out[:maxNetworkRows]
	}
	return out, len(out) > 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// networkFigures draws the round-trip and exposure charts when the run
// swept redis.latency.
func (v *view) networkFigures() ([]*figure.Figure, []Skip) {
	groups, ok := v.latencyGroups()
	if !ok {
		return nil, nil // not a network run: nothing to say
	}
	var figs []*figure.Figure
	var skips []Skip
	figs = append(figs, v.rttFigure(groups))
	if f, why := v.exposureRTTFigure(groups); f != nil {
		figs = append(figs, f)
	} else {
		skips = append(skips, Skip{Chart: "exposure against round trip", Reason: why})
	}
	return figs, skips
}

// rttAxis sets a plot's x axis to the injected round trip, ticked at the
// measured values, on a square-root scale: the usual sweep (0, 0.2, 0.5,
// 1, 2 ms) then lands evenly enough to read, and 0 stays on the axis,
// which a log scale cannot do.
func rttAxis(p *plot.Plot, rtt []float64) {
	p.X.Label.Text = "injected store round trip (ms, square-root scale)"
	p.X.Scale = sqrtScale{}
	var ticks plot.ConstantTicks
	for _, x := range rtt {
		ticks = append(ticks, plot.Tick{Value: x, Label: trimMS(x)})
	}
	p.X.Tick.Marker = ticks
	p.Add(plotter.NewGrid())
}

// sqrtScale is a plot.Normalizer spacing values by their square root.
type sqrtScale struct{}

func (sqrtScale) Normalize(min, max, x float64) float64 {
	lo, hi := math.Sqrt(math.Max(min, 0)), math.Sqrt(math.Max(max, 0))
	if hi == lo {
		return 0.5
	}
	return (math.Sqrt(math.Max(x, 0)) - lo) / (hi - lo)
}

func trimMS(x float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".")
}

// rttFigure draws validate p50, p99 and throughput against the injected
// round trip, one row per value of the other swept fields, with the p99
// budget, and says in its caption where each stateful backend crosses it.
func (v *view) rttFigure(groups []latencyGroup) *figure.Figure {
	f := figure.New("network-rtt", "Validation against the store's round trip", len(groups), 3)
	f.Width, f.Height = 13*vg.Inch, vg.Length(1+3.2*float64(len(groups)))*vg.Inch
	budget := float64(NetworkP99Budget)
	var crossings []string
	for r, g := range groups {
		p50, p99, thr := f.Plots[r][0], f.Plots[r][1], f.Plots[r][2]
		suffix := ""
		if g.label != "" {
			suffix = " (" + g.label + ")"
		}
		p50.Title.Text = "p50" + suffix
		p99.Title.Text = "p99" + suffix
		thr.Title.Text = "throughput" + suffix
		for _, p := range []*plot.Plot{p50, p99, thr} {
			rttAxis(p, g.rtt)
		}
		p50.Y.Label.Text = "p50 (log scale)"
		p99.Y.Label.Text = "p99 (log scale)"
		figure.UseLogDurations(&p50.Y)
		figure.UseLogDurations(&p99.Y)
		var all []float64
		for _, pt := range g.points {
			for _, st := range v.stats[pt] {
				all = append(all, st.thr.Center)
			}
		}
		figure.CountAxis(&thr.Y, "validations per second", all)
		if line, err := plotter.NewLine(plotter.XYs{{X: g.rtt[0], Y: budget}, {X: g.rtt[len(g.rtt)-1], Y: budget}}); err == nil {
			line.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			line.LineStyle.Width = vg.Points(1)
			p99.Add(line)
		}
		for _, b := range v.backends {
			var l50, l99, lthr plotter.XYs
			var xs, ys []float64
			for i, pt := range g.points {
				st, ok := v.stats[pt][b]
				if !ok {
					continue
				}
				lthr = append(lthr, plotter.XY{X: g.rtt[i], Y: st.thr.Center})
				if st.p50 > 0 {
					l50 = append(l50, plotter.XY{X: g.rtt[i], Y: st.p50})
				}
				if st.p99 > 0 {
					l99 = append(l99, plotter.XY{X: g.rtt[i], Y: st.p99})
				}
				xs, ys = append(xs, g.rtt[i]), append(ys, st.p99)
			}
			if len(lthr) == 0 {
				continue
			}
			sty := v.styleFor(b)
			addLine(p50, l50, sty)
			addLine(p99, l99, sty)
			addLine(thr, lthr, sty)
			if r == 0 {
				f.AddSeries(b, sty, figure.KindLinePoints)
			}
			if v.info[b].Stateful {
				crossings = append(crossings, b+suffix+": "+budgetCrossing(xs, ys, budget))
			}
		}
	}
	f.Caption = fmt.Sprintf("Median over repeats. The round trip is the one injected by the proxy "+
		"(redis.latency); the 0 ms point is a direct loopback connection (its own round trip, "+
		"tens of µs, comes on top of every point, and the proxy adds about 15 µs more to the others). "+
		"Dashed: a p99 budget of %s. Where each stateful backend's p99 exceeds it: %s.",
		fmtDurNS(budget), strings.Join(crossings, "; "))
	return f
}

// budgetCrossing says at which round trip the p99 values ys (ns, at
// round trips xs in ms, ascending) first exceed budget: between the last
// point under it and the first over it, interpolated linearly.
func budgetCrossing(xs, ys []float64, budget float64) string {
	for i, y := range ys {
		if y <= budget {
			continue
		}
		if i == 0 {
			return fmt.Sprintf("over the budget already at %s ms", trimMS(xs[0]))
		}
		x := xs[i-1] + (budget-ys[i-1])*(xs[i]-xs[i-1])/(y-ys[i-1])
		return fmt.Sprintf("from about %s ms (between the points at %s and %s ms)",
			trimMS(math.Round(x*100)/100), trimMS(xs[i-1]), trimMS(xs[i]))
	}
	if len(xs) == 0 {
		return "not measured"
	}
	return fmt.Sprintf("within the budget up to %s ms, the largest round trip measured", trimMS(xs[len(xs)-1]))
}

func fmtDurNS(ns float64) string { return time.Duration(ns).String() }

// exposureRTTFigure draws exposure p99 against the round trip for the
// stateful backends whose revoked credentials were replayed, except those
// that left most replayed credentials usable (jwt-refresh's access
// tokens): their exposure is the token's lifetime cut short by the run,
// which no network changes, and would flatten every other line.
func (v *view) exposureRTTFigure(groups []latencyGroup) (*figure.Figure, string) {
	var backends, lifetime []string
	for _, b := range v.backends {
		if !v.info[b].Stateful {
			continue
		}
		replayed, mostly := false, false
		for _, g := range groups {
			for _, pt := range g.points {
				if st, ok := v.stats[pt][b]; ok && st.hasReplays() {
					replayed = true
					mostly = mostly || st.exposedShare >= 0.5
				}
			}
		}
		switch {
		case replayed && mostly:
			lifetime = append(lifetime, b)
		case replayed:
			backends = append(backends, b)
		}
	}
	if len(backends) == 0 {
		return nil, "no stateful backend had revoked credentials replayed (revocation.rate and revocation.replay)"
	}
	f := figure.New("network-exposure", "Revocation exposure against the store's round trip", 1, len(groups))
	f.Width = vg.Length(3+3.5*float64(len(groups))) * vg.Inch
	for c, g := range groups {
		p := f.Plots[0][c]
		p.Title.Text = "exposure p99"
		if g.label != "" {
			p.Title.Text += " (" + g.label + ")"
		}
		rttAxis(p, g.rtt)
		p.Y.Label.Text = "exposure p99 (ms)"
		for _, b := range backends {
			var xy plotter.XYs
			for i, pt := range g.points {
				if st, ok := v.stats[pt][b]; ok && st.hasReplays() {
					xy = append(xy, plotter.XY{X: g.rtt[i], Y: st.expP99})
				}
			}
			sty := v.styleFor(b)
			addLine(p, xy, sty)
			if c == 0 {
				f.AddSeries(b, sty, figure.KindLinePoints)
			}
		}
	}
	f.Caption = "Median over repeats of the p99 time from a logout to the last acceptance of the revoked " +
		"credential. A backend that asks the store on every validation stays at 0; one that learns of " +
		"logouts by a push (pub/sub) or an invalidation (client-side caching) is exposed for at least " +
		"the time the message takes to arrive, one way across the network."
	if len(lifetime) > 0 {
		f.Caption += " Left out, because most of their replayed credentials stayed usable until the token " +
			"expired or the run ended, whatever the network: " + strings.Join(lifetime, ", ") + "."
	}
	return f, ""
}
