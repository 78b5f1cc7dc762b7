package report

import (
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/authbench/authbench/internal/figure"
	"github.com/authbench/authbench/internal/results"
)

// Skip records a chart that was not drawn and why.
type Skip struct {
	Chart  string
	Reason string
}

// Charts builds every chart the run's data supports, in report order, and
// lists those it could not draw. dir is the run folder, read for the
// histogram logs of the latency spectrum.
func Charts(dir string, s *results.Summary) ([]*figure.Figure, []Skip) {
	return newView(s).figures(dir)
}

func (v *view) figures(dir string) ([]*figure.Figure, []Skip) {
	var figs []*figure.Figure
	var skips []Skip
	add := func(name string, f *figure.Figure, reason string) {
		if f == nil {
			skips = append(skips, Skip{Chart: name, Reason: reason})
			return
		}
		figs = append(figs, f)
	}
	if len(v.points) == 0 {
		return nil, []Skip{{Chart: "all charts", Reason: "the run has no measured runs"}}
	}
	hists, err := v.loadHistograms(dir)
	if err != nil {
		add("latency spectrum", nil, err.Error())
	} else {
		f, why := v.spectrumFigure(hists)
		add("latency spectrum", f, why)
	}
	f, why := v.throughputFigure()
	add("throughput", f, why)
	f, why = v.percentilesFigure()
	add("percentiles", f, why)
	sweeps, sweepSkips := v.sweepFigures()
	figs = append(figs, sweeps...)
	skips = append(skips, sweepSkips...)
	network, networkSkips := v.networkFigures()
	figs = append(figs, network...)
	skips = append(skips, networkSkips...)
	f, why = v.revocationFigure()
	add("revocation exposure", f, why)
	f, why = v.tradeoffFigure()
	add("trade-off", f, why)
	f, why = v.tradeoffCPUFigure()
	add("CPU trade-off", f, why)
	f, why = v.timelineFigure()
	add("timeline", f, why)
	f, why = v.tokenFigure()
	add("token size", f, why)
	return figs, skips
}

// headlineBackends lists the backends measured at the headline point.
func (v *view) headlineBackends() []string {
	var out []string
	for _, b := range v.backends {
		if _, ok := v.stats[v.headline][b]; ok {
			out = append(out, b)
		}
	}
	return out
}

func (v *view) at(point string) string {
	if point == "" {
		return ""
	}
	return " at " + point
}

// loadHistograms reads and merges, per backend, the validate histograms of
// every repeat at the headline point. A backend whose logs are missing is
// left out (the caller notes it); no logs at all is an error.
func (v *view) loadHistograms(dir string) (map[string]*hdrhistogram.Histogram, error) {
	out := map[string]*hdrhistogram.Histogram{}
	var missing []string
	for _, b := range v.headlineBackends() {
		var merged *hdrhistogram.Histogram
		for _, r := range v.runs[v.headline][b] {
			h, err := results.ReadHistogram(results.HistogramPath(dir, r.ID, results.OpValidate))
			if errors.Is(err, fs.ErrNotExist) {
				missing = append(missing, r.ID)
				continue
			}
			if err != nil {
				return nil, err
			}
			if merged == nil {
				merged = h
			} else if dropped := merged.Merge(h); dropped > 0 {
				return nil, fmt.Errorf("merging histograms of %s: %d values out of range", b, dropped)
			}
		}
		if merged != nil && merged.TotalCount() > 0 {
			out[b] = merged
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no validate histogram logs in %s", results.HDRDir+"/")
	}
	return out, nil
}

// spectrumTicks are the percentiles marked on the spectrum's x axis, at
// x = 1/(1−p).
var spectrumTicks = []struct {
	x     float64
	label string
}{{2, "50%"}, {10, "90%"}, {100, "99%"}, {1e3, "99.9%"}, {1e4, "99.99%"}, {1e5, "99.999%"}}

// spectrumFigure draws validate latency against percentile on a log
// 1/(1−p) axis, the way HdrHistogram plots do: each decade to the right is
// one more nine.
func (v *view) spectrumFigure(hists map[string]*hdrhistogram.Histogram) (*figure.Figure, string) {
	var notes []string
	lines := map[string]plotter.XYs{}
	var drawn []string
	maxX := 2.0
	clamped := false
	for _, b := range v.headlineBackends() {
		h, ok := hists[b]
		if !ok {
			notes = append(notes, b+": no histogram log, not drawn.")
			continue
		}
		// The tail is only known as far as the sample reaches: beyond
		// 1/(1−p) = count there is less than one request per point.
		limit := math.Min(1e5, float64(h.TotalCount()))
		if limit < 2 {
			notes = append(notes, b+": too few validations for a spectrum.")
			continue
		}
		var xys plotter.XYs
		for x := 2.0; x <= limit*1.0001; x *= math.Pow(10, 1.0/24) {
			q := 100 * (1 - 1/x)
			y := float64(h.ValueAtQuantile(q))
			if y <= 0 {
				y, clamped = 1, true
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		maxX = math.Max(maxX, xys[len(xys)-1].X)
		lines[b] = xys
		drawn = append(drawn, b)
	}
	if len(drawn) == 0 {
		return nil, "no backend at the headline point has a validate histogram log"
	}
	fs := v.facets(drawn)
	f, panels := facetFigure("latency-spectrum", "Validate latency by percentile"+v.at(v.headline), fs, []string{""}, false)
	f.Notes = notes
	var ticks plot.ConstantTicks
	for _, t := range spectrumTicks {
		ticks = append(ticks, plot.Tick{Value: t.x, Label: t.label})
	}
	ps := column(panels, 0)
	for _, p := range ps {
		p.X.Label.Text = "percentile (log scale of 1/(1−p))"
		p.Y.Label.Text = "validate latency (log scale)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = ticks
		figure.UseLogDurations(&p.Y)
		p.Add(plotter.NewGrid())
	}
	v.drawLines(f, ps, fs, lines, figure.KindLine, false)
	for _, p := range ps {
		p.X.Min, p.X.Max = 2, maxX
	}
	tidyLabels(f, fs)
	if clamped {
		f.Note("Latencies recorded as 0 are drawn at 1 ns (a log axis has no zero).")
	}
	f.Caption = fmt.Sprintf("Validate latency at every percentile from the merged histogram logs of all repeats%s; each step right adds a nine. %s%s", v.at(v.headline), v.latencyOrigin(v.headline), splitCaption(fs))
	return f, ""
}

// tidyLabels keeps, in small multiples, the x axis label of the lowest
// panel of each column and the y axis label of the first column only:
// the axes are shared, and repeated labels would crowd the panels.
func tidyLabels(f *figure.Figure, fs []facet) {
	if !split(fs) {
		return
	}
	for r, row := range f.Plots {
		for c, p := range row {
			if p == nil {
				continue
			}
			if r+1 < len(f.Plots) && f.Plots[r+1][c] != nil {
				p.X.Label.Text = ""
			}
			if c > 0 && f.Plots[r][0] != nil && f.Plots[r][0].Y.Label.Text == p.Y.Label.Text {
				p.Y.Label.Text = ""
			}
		}
	}
}

// latencyOrigin says where the latencies of the runs at point are measured
// from: the intended start only in the open model.
func (v *view) latencyOrigin(point string) string {
	var open, closed bool
	for i := range v.s.Runs {
		if r := &v.s.Runs[i]; r.Point == point {
			open = open || r.Model == "open"
			closed = closed || r.Model != "open"
		}
	}
	switch {
	case open && closed:
		return "Open-model runs are measured from the intended start of each request (coordinated omission corrected), closed-model runs from its actual start."
	case open:
		return "Measured from the intended start of each request (open model: coordinated omission corrected)."
	default:
		return "Measured from the actual start of each request (closed model: each client sends its next request when the last one returns)."
	}
}

// throughputFigure draws the median validate throughput per backend at
// the headline point, with whiskers over the repeats.
func (v *view) throughputFigure() (*figure.Figure, string) {
	bs := v.headlineBackends()
	n := v.stats[v.headline][bs[0]].n
	f := figure.New("throughput", "Validate throughput per backend"+v.at(v.headline), 1, 1)
	p := f.Plots[0][0]
	p.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})
	useCI := true
	var all []float64
	for _, b := range bs {
		st := v.stats[v.headline][b]
		if math.IsInf(st.thr.Lo, 0) || math.IsInf(st.thr.Hi, 0) {
			useCI = false
		}
		all = append(all, st.thrVals...)
	}
	logY := figure.CountAxis(&p.Y, "validations per second", all)
	labels := figure.NewPointLabels()
	for i, b := range bs {
		st := v.stats[v.headline][b]
		lo, hi := st.thrVals[0], st.thrVals[len(st.thrVals)-1]
		if useCI {
			lo, hi = st.thr.Lo, st.thr.Hi
		}
		sty := v.styleFor(b)
		p.Add(&figure.Bars{Xs: []float64{float64(i)}, Ys: []float64{st.thr.Center}, Lo: []float64{lo}, Hi: []float64{hi}, Width: 0.7, Style: sty, LogBase: logY})
		labels.Add(float64(i), hi, figure.CountTick(st.thr.Center)+"/s")
		f.AddSeries(b, sty, figure.KindBar)
	}
	p.Add(&figure.BarLabels{PointLabels: labels})
	if logY {
		p.Y.Max *= 2
	} else {
		p.Y.Max *= 1.1
	}
	figure.NominalX(p, bs, (f.Width-2*vg.Inch)/vg.Length(len(bs)))
	if useCI {
		f.Caption = fmt.Sprintf("Bars: median validate throughput over the repeats%s; whiskers: its %.0f%% confidence interval.", v.at(v.headline), confidence*100)
	} else {
		f.Caption = fmt.Sprintf("Bars: median validate throughput over %d repeats%s; whiskers: lowest and highest repeat (too few repeats for a confidence interval).", n, v.at(v.headline))
	}
	return f, ""
}

var percentileNames = []string{"p50", "p99", "p99.9"}

// percentilesFigure draws grouped bars of p50, p99 and p99.9 per backend
// on a log axis, as tails can be decades above the median.
func (v *view) percentilesFigure() (*figure.Figure, string) {
	bs := v.headlineBackends()
	f := figure.New("percentiles", "Validate latency percentiles per backend"+v.at(v.headline), 1, 1)
	p := f.Plots[0][0]
	p.Y.Label.Text = "validate latency (log scale)"
	figure.UseLogDurations(&p.Y)
	p.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})
	w := 0.8 / float64(len(bs))
	dropped := false
	for i, b := range bs {
		st := v.stats[v.headline][b]
		vals := []float64{st.p50, st.p99, st.p999}
		var xs []float64
		for g := range vals {
			xs = append(xs, float64(g)+(float64(i)-float64(len(bs)-1)/2)*w)
			if vals[g] <= 0 {
				dropped = true
			}
		}
		sty := v.styleFor(b)
		p.Add(&figure.Bars{Xs: xs, Ys: vals, Width: w * 0.9, Style: sty, LogBase: true})
		f.AddSeries(b, sty, figure.KindBar)
	}
	figure.NominalX(p, percentileNames, vg.Inch)
	if dropped {
		f.Note("Percentiles of 0 ns are not drawn (a log axis has no zero).")
	}
	f.Caption = fmt.Sprintf("Median over repeats of each run's validate p50, p99 and p99.9%s.", v.at(v.headline))
	return f, ""
}

// sweepFigures draws, for each swept parameter with at least two values,
// throughput and p99 against it, the other swept parameters held at their
// headline values.
func (v *view) sweepFigures() ([]*figure.Figure, []Skip) {
	if len(v.s.Sweep) == 0 {
		return nil, []Skip{{Chart: "sweeps", Reason: "the scenario sweeps no parameter"}}
	}
	var figs []*figure.Figure
	var skips []Skip
	headVals := v.pointValues(v.headline)
	for k, path := range v.s.Sweep {
		// The points along this axis: every other coordinate at its
		// headline value.
		var along []string
		for _, pt := range v.gridPoints() {
			vals := v.pointValues(pt)
			same := true
			for j := range vals {
				if j != k && vals[j] != headVals[j] {
					same = false
				}
			}
			if same {
				along = append(along, pt)
			}
		}
		if len(along) < 2 {
			skips = append(skips, Skip{Chart: "sweep over " + path, Reason: "fewer than two values were measured"})
			continue
		}
		figs = append(figs, v.sweepFigure(k, path, along))
	}
	return figs, skips
}

func (v *view) pointValues(pt string) []string {
	for _, runs := range v.runs[pt] {
		return v.sweepValues(runs[0])
	}
	return nil
}

func (v *view) sweepFigure(k int, path string, along []string) *figure.Figure {
	var drawn []string
	for _, b := range v.backends {
		for _, pt := range along {
			if _, ok := v.stats[pt][b]; ok {
				drawn = append(drawn, b)
				break
			}
		}
	}
	fs := v.facets(drawn)
	f, panels := facetFigure("sweep-"+strings.ReplaceAll(path, ".", "-"), "Throughput and p99 against "+path, fs,
		[]string{"validate throughput", "validate latency p99"}, false)
	thrs, lats := column(panels, 0), column(panels, 1)

	// Numeric values go on a numeric axis (log when they span a decade,
	// as concurrency sweeps do); anything else on evenly spaced names.
	xs := make([]float64, len(along))
	labels := make([]string, len(along))
	numeric, durations := true, true
	for i, pt := range along {
		labels[i] = v.pointValues(pt)[k]
		x, ok := parseNumber(labels[i])
		numeric = numeric && ok
		durations = durations && isDuration(labels[i])
		xs[i] = x
	}
	xlabel := path
	logX := false
	if numeric {
		if durations {
			xlabel += " (s)"
		}
		min, max := xs[0], xs[len(xs)-1]
		logX = min > 0 && max/min >= 8
	} else {
		for i := range xs {
			xs[i] = float64(i)
		}
	}
	var all []float64
	for _, pt := range along {
		for _, st := range v.stats[pt] {
			all = append(all, st.thr.Center)
		}
	}
	for _, p := range append(append([]*plot.Plot{}, thrs...), lats...) {
		p.X.Label.Text = xlabel
		p.Add(plotter.NewGrid())
		if !numeric {
			figure.NominalX(p, labels, vg.Inch)
			continue
		}
		if logX {
			p.X.Scale = plot.LogScale{}
		}
		var ticks plot.ConstantTicks
		for i, x := range xs {
			ticks = append(ticks, plot.Tick{Value: x, Label: labels[i]})
		}
		p.X.Tick.Marker = ticks
	}
	for _, p := range thrs {
		figure.CountAxis(&p.Y, "validations/s", all)
	}
	for _, p := range lats {
		p.Y.Label.Text = "p99 (log scale)"
		figure.UseLogDurations(&p.Y)
	}
	dropped := false
	thrLines, latLines := map[string]plotter.XYs{}, map[string]plotter.XYs{}
	for _, b := range drawn {
		var txy, lxy plotter.XYs
		for i, pt := range along {
			st, ok := v.stats[pt][b]
			if !ok {
				continue
			}
			txy = append(txy, plotter.XY{X: xs[i], Y: st.thr.Center})
			if st.p99 > 0 {
				lxy = append(lxy, plotter.XY{X: xs[i], Y: st.p99})
			} else {
				dropped = true
			}
		}
		thrLines[b], latLines[b] = txy, lxy
	}
	v.drawLines(f, thrs, fs, thrLines, figure.KindLinePoints, true)
	v.drawLines(f, lats, fs, latLines, figure.KindLinePoints, true)
	tidyLabels(f, fs)
	if dropped {
		f.Note("p99 values of 0 ns are not drawn (a log axis has no zero).")
	}
	others := ""
	if len(v.s.Sweep) > 1 {
		var fixed []string
		hv := v.pointValues(v.headline)
		for j, p := range v.s.Sweep {
			if j != k {
				fixed = append(fixed, p+"="+hv[j])
			}
		}
		others = " with " + strings.Join(fixed, ", ")
	}
	f.Caption = fmt.Sprintf("Median over repeats against %s%s.%s", path, others, splitCaption(fs))
	return f
}

func addLine(p *plot.Plot, xys plotter.XYs, st figure.Style) {
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return
	}
	l.LineStyle = st.Line(vg.Points(1.6))
	s.Color, s.Shape = st.Color, st.Glyph
	s.Radius = vg.Points(2.5)
	p.Add(l, s)
}

// revocationBackends lists the headline backends whose revoked credentials
// were replayed, the only ones with exposure figures.
func (v *view) revocationBackends() []string {
	var out []string
	for _, b := range v.headlineBackends() {
		if v.stats[v.headline][b].hasReplays() {
			out = append(out, b)
		}
	}
	return out
}

// revocationFigure draws, per backend, the share of revoked credentials
// accepted after revocation (top) and the exposure window p50/p99/max
// (bottom). The panels are stacked, each the full width, so that a run of
// many backends keeps its names and value labels apart.
func (v *view) revocationFigure() (*figure.Figure, string) {
	bs := v.revocationBackends()
	if len(bs) == 0 {
		return nil, "no revoked credential was replayed (revocation.rate or revocation.replay is 0)"
	}
	f := figure.New("revocation", "Revocation: replayed revoked credentials"+v.at(v.headline), 2, 1)
	f.Height = 8.5 * vg.Inch
	share, exp := f.Plots[0][0], f.Plots[1][0]
	share.Y.Label.Text = "accepted after revocation (% of replayed)"
	share.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})

	stats := []string{"p50", "p99", "max"}
	values := map[string][]float64{}
	minPos, max := math.Inf(1), 0.0
	zero := false
	for _, b := range bs {
		st := v.stats[v.headline][b]
		vals := []float64{st.expP50 * 1e6, st.expP99 * 1e6, st.expMax * 1e6} // ms → ns
		values[b] = vals
		for _, x := range vals {
			if x > 0 {
				minPos = math.Min(minPos, x)
			} else {
				zero = true
			}
			max = math.Max(max, x)
		}
	}
	// A log axis when the windows span decades (milliseconds to minutes),
	// with zeros in a band of their own; otherwise linear, which shows
	// zero windows as they are (a flat stub on the axis).
	logY := max > 0 && max/minPos >= 100
	var band figure.ZeroBand
	if logY {
		figure.UseLogDurations(&exp.Y)
		exp.Y.Label.Text = "exposure window (log scale)"
		exp.Y.Min = minPos / 3
		if zero {
			band = figure.NewZeroBand(minPos, max)
			figure.UseZeroBand(exp, &exp.Y, band, true)
		}
	} else {
		exp.Y.Label.Text = "exposure window"
		exp.Y.Tick.Marker = durLinearTicks{}
		exp.Y.Min = 0
	}
	exp.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})
	w := 0.8 / float64(len(bs))
	shareLabels := figure.NewPointLabels()
	var zeroNames []string
	for i, b := range bs {
		st := v.stats[v.headline][b]
		sty := v.styleFor(b)
		share.Add(&figure.Bars{Xs: []float64{float64(i)}, Ys: []float64{st.exposedShare * 100}, Width: 0.7, Style: sty, ZeroStub: true})
		shareLabels.Add(float64(i), st.exposedShare*100, shortPct(st.exposedShare))
		var xs, ys []float64
		for g := range stats {
			xs = append(xs, float64(g)+(float64(i)-float64(len(bs)-1)/2)*w)
			y := values[b][g]
			if y == 0 && logY {
				y = band.At
			}
			ys = append(ys, y)
		}
		if values[b][2] == 0 {
			zeroNames = append(zeroNames, b)
		}
		exp.Add(&figure.Bars{Xs: xs, Ys: ys, Width: w * 0.9, Style: sty, LogBase: logY, ZeroStub: true})
		f.AddSeries(b, sty, figure.KindBar)
	}
	share.Add(&figure.BarLabels{PointLabels: shareLabels})
	figure.NominalX(share, bs, (f.Width-2.5*vg.Inch)/vg.Length(len(bs)))
	share.Y.Min, share.Y.Max = 0, 112
	share.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0%"}, {Value: 25}, {Value: 50, Label: "50%"}, {Value: 75}, {Value: 100, Label: "100%"}}
	figure.NominalX(exp, stats, vg.Inch)
	if max == 0 {
		exp.Y.Max = 1e6 // an empty frame of 1 ms rather than a degenerate axis
	}
	cut, isCut := v.exposureCutOff()
	if isCut {
		line := figure.NewPointLabels()
		line.Line(cut.loadNS, cut.label())
		exp.Add(line)
		top := cut.loadNS * 1.15
		if logY {
			top = cut.loadNS * 3
		}
		exp.Y.Max = math.Max(exp.Y.Max, top)
	}
	if len(zeroNames) > 0 {
		where := "drawn as a flat stub on the 0 line"
		if logY {
			where = fmt.Sprintf("drawn in the shaded band marked %q", figure.ZeroLabel)
		}
		f.Note("%s never accepted a revoked credential: exposure window 0, %s.", strings.Join(zeroNames, ", "), where)
	}
	f.Caption = fmt.Sprintf("Top: share of the revoked credentials replayed by the attacker that were accepted at least once after their revocation. Bottom: time from revocation to the last accepted replay, over replayed credentials (0 when never accepted). Medians over repeats%s.", v.at(v.headline))
	if isCut {
		f.Caption += " " + cut.caption()
	}
	return f, ""
}

// shortPct labels a bar with a share: whole percents, one decimal below 10%.
func shortPct(share float64) string {
	p := share * 100
	if p > 0 && p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// durLinearTicks labels a linear duration axis (values in ns).
type durLinearTicks struct{}

func (durLinearTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			if ticks[i].Value == 0 {
				ticks[i].Label = "0"
			} else {
				ticks[i].Label = figure.DurTick(ticks[i].Value)
			}
		}
	}
	return ticks
}

// tradeoffFigure places each backend by validate p99 (cost) and exposure
// p99 (what a stolen, revoked credential is worth): the note's argument in
// one picture. A zero exposure cannot sit on a log axis, so it is drawn in
// a band of its own under every non-zero value (see zeroBand).
func (v *view) tradeoffFigure() (*figure.Figure, string) {
	f, _, why := v.exposureScatter(costAxis{
		name:  "tradeoff",
		title: "Cost against revocability",
		label: "validate latency p99 (log scale): cheaper to the left",
		cost: func(b string) (float64, bool) {
			st := v.stats[v.headline][b]
			return st.p99, st.p99 > 0
		},
		missing: "validate p99 of 0",
		none:    "no backend with replays has a validate p99",
		caption: "validate p99 (median over repeats) against exposure-window p99",
	})
	return f, why
}

// tradeoffCPUFigure is the trade-off in machines rather than latency:
// the CPU a validation costs, in authbench's process (validator and load
// generator) plus redis-server's, against exposure p99. Latency on an
// oversubscribed machine mixes the backend with queueing; CPU time per
// validation is what a capacity plan multiplies.
func (v *view) tradeoffCPUFigure() (*figure.Figure, string) {
	measured := false
	for _, b := range v.revocationBackends() {
		measured = measured || v.measured(v.headline, b).cpuOK
	}
	if !measured {
		return nil, "the runs did not record CPU time (summaries from before it was measured)"
	}
	f, _, why := v.exposureScatter(costAxis{
		name:    "tradeoff-cpu",
		title:   "CPU cost against revocability",
		label:   "CPU time per validation (log scale): cheaper to the left",
		cost:    v.cpuCost,
		part:    v.cpuOwnPart,
		missing: "CPU time not measured",
		none:    "no backend with replays has a measured CPU time",
		caption: "CPU time per validation (median over repeats: authbench's own CPU, validator and load generator together, plus redis-server's for the backends that use it) against exposure-window p99; 10 µs of CPU per validation is one core busy per 100k validations/s. " +
			"Where a thin line runs left from a point, the point is the total and the line's left end authbench's share: the rest is redis-server's",
	})
	return f, why
}

// cpuCost is a backend's CPU time per validation at the headline point,
// authbench's and redis-server's, in ns (for the duration ticks).
func (v *view) cpuCost(b string) (float64, bool) {
	m := v.measured(v.headline, b)
	return m.cpuTotal() * 1e3, m.cpuOK && m.cpuTotal() > 0
}

// cpuOwnPart is authbench's share of cpuCost, for backends whose store's
// CPU was measured too.
func (v *view) cpuOwnPart(b string) (float64, bool) {
	m := v.measured(v.headline, b)
	return m.procUS * 1e3, m.storeOK && m.storeUS > 0 && m.procUS > 0
}

// costAxis is the x axis of an exposure scatter: what a validation costs.
type costAxis struct {
	name, title, label string
	// cost is a backend's cost in ns (false: not measured, not drawn).
	cost func(backend string) (float64, bool)
	// part, when set, is the share of the cost that is the backend's own
	// process (false: not split), drawn as a line left of the point.
	part    func(backend string) (float64, bool)
	missing string // why a backend without a cost is not drawn
	none    string // why there is no chart when no backend has a cost
	caption string // what the chart plots, for the caption
}

// exposureScatter draws one point per backend with replays: cost on the
// x axis, exposure p99 on the y axis, labelled by name without overlaps.
func (v *view) exposureScatter(ax costAxis) (*figure.Figure, *figure.PointLabels, string) {
	bs := v.revocationBackends()
	if len(bs) == 0 {
		return nil, nil, "no revoked credential was replayed, so there is no exposure to set against cost"
	}
	f := figure.New(ax.name, ax.title+v.at(v.headline), 1, 1)
	f.Height = 5.5 * vg.Inch
	p := f.Plots[0][0]
	p.X.Label.Text = ax.label
	p.Y.Label.Text = "exposure p99 (log scale)"
	figure.UseLogDurations(&p.X)
	figure.UseLogDurations(&p.Y)
	p.Add(plotter.NewGrid())
	cut, isCut := v.exposureCutOff()
	minPos, maxExp := math.Inf(1), 0.0
	for _, b := range bs {
		if _, ok := ax.cost(b); ok && v.stats[v.headline][b].expP99 > 0 {
			e := v.stats[v.headline][b].expP99 * 1e6
			minPos, maxExp = math.Min(minPos, e), math.Max(maxExp, e)
		}
	}
	if math.IsInf(minPos, 0) {
		minPos, maxExp = 1e6, 1e6 // no backend was ever exposed: a band under 1 ms
	}
	if isCut {
		maxExp = math.Max(maxExp, cut.loadNS)
	}
	// The axis reaches 3× the largest exposure (room for labels).
	band := figure.NewZeroBand(minPos, 3*maxExp)
	for _, b := range bs {
		if _, ok := ax.cost(b); ok && v.stats[v.headline][b].expP99 <= 0 {
			// The band goes under the points: plotters draw in order.
			figure.UseZeroBand(p, &p.Y, band, true)
			break
		}
	}
	labels := figure.NewPointLabels()
	labels.OnDrop = func(b string) {
		note := "Labels without room, named by the legend only: "
		for i, n := range f.Notes {
			if strings.HasPrefix(n, note) {
				if !strings.Contains(n, b) {
					f.Notes[i] = strings.TrimSuffix(n, ".") + ", " + b + "."
				}
				return
			}
		}
		f.Note("%s%s.", note, b)
	}
	var zeros, missing []string
	for _, b := range bs {
		st := v.stats[v.headline][b]
		x, ok := ax.cost(b)
		if !ok {
			missing = append(missing, b)
			continue
		}
		y := st.expP99 * 1e6
		if y <= 0 {
			y = band.At
			zeros = append(zeros, b)
		}
		sty := v.styleFor(b)
		if ax.part != nil {
			if own, ok := ax.part(b); ok && own < x {
				seg, err := plotter.NewLine(plotter.XYs{{X: own, Y: y}, {X: x, Y: y}})
				if err == nil {
					seg.LineStyle = draw.LineStyle{Color: sty.Color, Width: vg.Points(1.2)}
					p.Add(seg)
				}
			}
		}
		sc, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
		if err != nil {
			continue
		}
		sc.Color, sc.Shape, sc.Radius = sty.Color, sty.Glyph, vg.Points(5)
		p.Add(sc)
		labels.Add(x, y, b)
		f.AddSeries(b, sty, figure.KindPoint)
	}
	if len(f.Series) == 0 {
		return nil, nil, ax.none
	}
	if isCut {
		labels.Line(cut.loadNS, cut.label())
	}
	p.Add(labels)
	// Room for the labels right of the rightmost point.
	p.X.Max *= 4
	p.X.Min /= 2
	if isCut {
		p.Y.Max = math.Max(p.Y.Max, cut.loadNS)
	}
	p.Y.Max *= 3
	if len(zeros) > 0 {
		p.Y.Min = band.Bottom
		f.Note("%s never accepted a revoked credential (exposure 0): drawn in the shaded band at the bottom, marked %q, below every non-zero exposure.", strings.Join(zeros, ", "), figure.ZeroLabel)
	}
	if len(missing) > 0 {
		f.Note("%s: %s, not drawn.", strings.Join(missing, ", "), ax.missing)
	}
	f.Caption = fmt.Sprintf("One point per backend%s: %s. Cheaper to the left, safer (shorter exposure) lower down: fast and revocable is the lower left.", v.at(v.headline), ax.caption)
	if isCut {
		f.Caption += " " + cut.caption()
	}
	return f, labels, ""
}

// cutOff is the end of the run on an exposure axis, when tokens outlive
// the run (the claims say the same in words: see cutOffByRun).
type cutOff struct {
	// loadNS is how long the load of a run lasted (warm-up and measured
	// period: revocations start with the warm-up), ns.
	loadNS float64
	ttl    time.Duration
}

// exposureCutOff reports whether, at the headline point, the token
// lifetime (token.ttl) is longer than the load of the runs: a revoked
// token stays valid past the end of the run, so its exposure window can
// only end with the run. The windows then measure the run's length, not
// the token's lifetime.
func (v *view) exposureCutOff() (cutOff, bool) {
	var loads, durs []float64
	var ttl time.Duration
	for _, b := range v.headlineBackends() {
		for _, r := range v.runs[v.headline][b] {
			if d, err := time.ParseDuration(r.Params["token.ttl"]); err == nil && d > ttl {
				ttl = d
			}
			durs = append(durs, r.DurationS)
			if r.CPU != nil && r.CPU.WallS > 0 {
				loads = append(loads, r.CPU.WallS)
			}
		}
	}
	load := median(loads)
	if load == 0 {
		// Summaries without the load's wall time: the measured period and
		// the scenario's warm-up.
		load = median(durs) + v.configWarmup().Seconds()
	}
	if ttl <= 0 || load <= 0 || ttl.Seconds() <= load {
		return cutOff{}, false
	}
	return cutOff{loadNS: load * 1e9, ttl: ttl}, true
}

// configWarmup is the scenario's warm-up as recorded in summary.json (0
// when not recorded).
func (v *view) configWarmup() time.Duration {
	if w, ok := v.s.Config["Warmup"].(float64); ok && w > 0 {
		return time.Duration(w)
	}
	return 0
}

// label names the line drawn at the end of the run.
func (c cutOff) label() string {
	return fmt.Sprintf("end of run (%s incl. warm-up): exposure cut off here; token TTL %s", fmtNS(c.loadNS), shortDur(c.ttl))
}

// caption says what the line means, for the chart's caption.
func (c cutOff) caption() string {
	return fmt.Sprintf("Tokens live %s, longer than the runs (%s with warm-up): a revoked token that stays valid until it expires can be replayed until the run ends, so its window stops at the dashed red line. Those windows measure the run's length, not the token's lifetime; sweep token.ttl below the run length to see expiry (scenarios/revocation.yaml).",
		shortDur(c.ttl), fmtNS(c.loadNS))
}

// shortDur writes a duration without trailing zero units: "15m", "1h30m".
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// timelineFigure draws per-second throughput and p99 of each backend over
// its first repeat at the headline point, with logouts per second below
// when there were any.
func (v *view) timelineFigure() (*figure.Figure, string) {
	runs := map[string]*results.Run{}
	revs := false
	longest := 0
	for _, b := range v.headlineBackends() {
		r := v.runs[v.headline][b][0]
		if len(r.Timeline) == 0 {
			continue
		}
		runs[b] = r
		longest = max(longest, len(r.Timeline))
		for _, s := range r.Timeline {
			revs = revs || s.Revocations > 0
		}
	}
	if len(runs) == 0 {
		return nil, "the runs hold no per-second timeline"
	}
	if longest < 2 {
		// One point per backend on an axis from −1 to 1 s would read as
		// a time series and show nothing.
		return nil, "the measured periods lasted under two seconds: one per-second point per run, no timeline"
	}
	var drawn []string
	for _, b := range v.headlineBackends() {
		if _, ok := runs[b]; ok {
			drawn = append(drawn, b)
		}
	}
	dropped := false
	thrLines, latLines, revLines := map[string]plotter.XYs{}, map[string]plotter.XYs{}, map[string]plotter.XYs{}
	for _, b := range drawn {
		var txy, lxy, rxy plotter.XYs
		for _, s := range runs[b].Timeline {
			x := float64(s.T)
			txy = append(txy, plotter.XY{X: x, Y: s.ThroughputPerS})
			if s.P99NS > 0 {
				lxy = append(lxy, plotter.XY{X: x, Y: float64(s.P99NS)})
			} else {
				dropped = true
			}
			rxy = append(rxy, plotter.XY{X: x, Y: float64(s.Revocations)})
		}
		thrLines[b], latLines[b], revLines[b] = txy, lxy, rxy
	}
	// The revoker follows the scenario, so every backend usually gets the
	// same logouts; identical lines would hide each other, so one grey
	// line in a panel of its own stands for all of them then. Otherwise
	// logouts are one more metric, per family when the chart is split.
	sameRevs := revs && sameSeries(revLines)
	fs := v.facets(drawn)
	metrics := []string{"validate throughput per second", "validate latency p99 per second", "revocations (logouts) per second"}
	if split(fs) {
		// Side by side in small multiples: short names.
		metrics = []string{"validations/s", "validate p99", "logouts/s"}
	}
	if !revs || (sameRevs && split(fs)) {
		metrics = metrics[:2]
	}
	f, panels := facetFigure("timeline", "Timeline of the first repeat"+v.at(v.headline), fs, metrics, true)
	switch {
	case !split(fs):
		f.Height = vg.Length(len(metrics)) * 2.4 * vg.Inch
	case len(metrics) == 3:
		f.Width = 12 * vg.Inch
	}
	thrs, lats := column(panels, 0), column(panels, 1)
	var revs1 *plot.Plot // the one panel of identical logouts
	var revPanels []*plot.Plot
	switch {
	case sameRevs && split(fs):
		// A row of its own under the families, beside an empty cell.
		revs1 = figure.NewPlot()
		row := make([]*plot.Plot, len(metrics))
		row[0] = revs1
		f.Plots = append(f.Plots, row)
		f.Height += 2.8 * vg.Inch
		revPanels = []*plot.Plot{revs1}
	case sameRevs:
		revs1 = panels[0][2]
		revPanels = []*plot.Plot{revs1}
	case revs:
		revPanels = column(panels, 2)
	}
	for _, p := range revPanels {
		p.Y.Label.Text = "logouts/s"
		p.Y.Tick.Marker = figure.CountTicks{}
	}
	var all []float64
	for _, r := range runs {
		for _, s := range r.Timeline {
			all = append(all, s.ThroughputPerS)
		}
	}
	for _, p := range thrs {
		figure.CountAxis(&p.Y, "validations/s", all)
	}
	for _, p := range lats {
		p.Y.Label.Text = "p99 (log scale)"
		figure.UseLogDurations(&p.Y)
	}
	for _, row := range f.Plots {
		for _, p := range row {
			if p != nil {
				p.Add(plotter.NewGrid())
				p.X.Label.Text = "seconds since the start of the measured period"
			}
		}
	}
	v.drawLines(f, thrs, fs, thrLines, figure.KindLinePoints, true)
	v.drawLines(f, lats, fs, latLines, figure.KindLinePoints, true)
	switch {
	case revs1 != nil:
		revs1.Title.Text = "revocations (logouts) per second (the same for every backend)"
		addLine(revs1, revLines[drawn[0]], figure.Style{Color: color.RGBA{0x5a, 0x5a, 0x5a, 0xff}, Glyph: draw.CircleGlyph{}})
		revs1.Y.Min = 0
	case revs:
		v.drawLines(f, revPanels, fs, revLines, figure.KindLinePoints, true)
		for _, p := range revPanels {
			p.Y.Min = 0
		}
	}
	// Only the lowest panels name the shared x axis.
	if !split(fs) {
		for _, p := range panels[0][:len(panels[0])-1] {
			p.X.Label.Text = ""
		}
	}
	tidyLabels(f, fs)
	if dropped {
		f.Note("Seconds without a measured p99 (no validation finished) are not drawn on the p99 panel.")
	}
	f.Caption = "Per-second figures of each backend's first repeat" + v.at(v.headline) + "." + splitCaption(fs)
	return f, ""
}

func sameSeries(m map[string]plotter.XYs) bool {
	var first plotter.XYs
	for _, k := range sortedKeys(m) {
		xy := m[k]
		if first == nil {
			first = xy
			continue
		}
		if len(xy) != len(first) {
			return false
		}
		for i := range xy {
			if xy[i] != first[i] {
				return false
			}
		}
	}
	return true
}

// tokenFigure draws the bytes a client sends per request for each backend.
func (v *view) tokenFigure() (*figure.Figure, string) {
	bs := v.headlineBackends()
	any := false
	for _, b := range bs {
		any = any || v.stats[v.headline][b].tokenBytes > 0
	}
	if !any {
		return nil, "no run recorded a token size"
	}
	f := figure.New("token-size", "Credential size per backend", 1, 1)
	p := f.Plots[0][0]
	p.Y.Label.Text = "bytes on the wire per request"
	p.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})
	labels := figure.NewPointLabels()
	max := 0.0
	for i, b := range bs {
		st := v.stats[v.headline][b]
		sty := v.styleFor(b)
		p.Add(&figure.Bars{Xs: []float64{float64(i)}, Ys: []float64{st.tokenBytes}, Width: 0.7, Style: sty})
		labels.Add(float64(i), st.tokenBytes, fmt.Sprintf("%.0f", st.tokenBytes))
		max = math.Max(max, st.tokenBytes)
		f.AddSeries(b, sty, figure.KindBar)
	}
	p.Add(&figure.BarLabels{PointLabels: labels})
	figure.NominalX(p, bs, (f.Width-2*vg.Inch)/vg.Length(len(bs)))
	p.Y.Min, p.Y.Max = 0, max*1.15
	f.Caption = "Median size of the credential a client presents with each request (the token, or the session ID)."
	return f, ""
}

// sortedKeys returns the keys of m in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// styleFor gives a backend the style of its position in Summary.Backends,
// the same in every chart of a run.
func (v *view) styleFor(backend string) figure.Style {
	return figure.StyleFor(v.colorIndex[backend])
}

// colorFor is the backend's colour, for marks that carry no other cue.
func (v *view) colorFor(backend string) color.Color {
	return v.styleFor(backend).Color
}
