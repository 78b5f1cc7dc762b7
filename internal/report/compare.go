package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/authbench/authbench/internal/figure"
	"github.com/authbench/authbench/internal/results"
)

// Compared metrics.
const (
	MetricThroughput = "throughput"
	MetricP99        = "p99"
)

// Delta is one backend at one parameter point, one metric, in two runs.
type Delta struct {
	Metric  string
	Backend string
	Point   string
	// A and B summarise the metric over each run's repeats (median with
	// its confidence interval); N is the number of repeats (0: absent).
	A, B   benchmath.Summary
	NA, NB int
	// Change is B/A − 1 (NaN when a side is missing or A is 0).
	Change float64
	// PRaw is the Mann-Whitney U p-value of this test alone; P is PRaw
	// Holm–Bonferroni adjusted over every test of the comparison (see
	// holm). Significant is P < alpha, and only meaningful when Note is
	// empty.
	PRaw, P     float64
	Significant bool
	// Note explains why there is no verdict: too few repeats, or the
	// backend/point exists in one run only.
	Note string
}

// Comparison is the result of Compare.
type Comparison struct {
	// NameA and NameB label the runs in the output (folder names).
	NameA, NameB string
	// Settings lists what differs in how A and B were run (empty: the
	// same scenario, machine and authbench version).
	Settings []Setting
	Deltas   []Delta
	// Tests is the number of significance tests the p-values are
	// adjusted over: two metrics per backend and point present in both.
	Tests int
	// Alpha is the family-wise error rate the verdicts keep to.
	Alpha    float64
	backends []string
	colors   map[string]int
}

// Compare compares two runs backend by backend and point by point: median
// validate throughput and p99 over repeats, the change from A to B, and
// whether it is significant (Mann-Whitney U, as benchstat does; with too
// few repeats it says so instead of guessing). It first lists the
// settings in which the runs differ.
//
// One comparison makes many tests (two metrics × backends × points); at
// alpha 0.05 each, about one in twenty would come out "significant" with
// nothing changed. So the p-values are Holm–Bonferroni adjusted over all
// the tests of the comparison, keeping the chance of any false verdict in
// the whole table under alpha. (benchstat leaves this correction to its
// user; its documentation warns of the same multiple-testing error.)
func Compare(a, b *results.Summary) *Comparison {
	va, vb := newView(a), newView(b)
	c := &Comparison{NameA: "A", NameB: "B", colors: map[string]int{}, Settings: SettingsDiff(a, b), Alpha: benchmath.DefaultThresholds.CompareAlpha}
	for _, bk := range append(append([]string{}, va.backends...), vb.backends...) {
		if !contains(c.backends, bk) {
			c.colors[bk] = len(c.backends)
			c.backends = append(c.backends, bk)
		}
	}
	points := append([]string{}, va.points...)
	for _, p := range vb.points {
		if !contains(points, p) {
			points = append(points, p)
		}
	}
	for _, metric := range []string{MetricThroughput, MetricP99} {
		for _, bk := range c.backends {
			for _, pt := range points {
				sa, okA := va.stats[pt][bk]
				sb, okB := vb.stats[pt][bk]
				if !okA && !okB {
					continue
				}
				c.Deltas = append(c.Deltas, newDelta(metric, bk, pt, sa, sb))
			}
		}
	}
	c.adjust()
	return c
}

// adjust replaces each tested delta's p-value by its Holm–Bonferroni
// adjusted value over every test of the comparison, and decides
// significance on it. Tests that cannot reject for too few repeats count
// too: leaving them out because of their outcome would bias the rest.
func (c *Comparison) adjust() {
	var idx []int
	var ps []float64
	for i, d := range c.Deltas {
		if d.NA > 0 && d.NB > 0 && !math.IsNaN(d.PRaw) {
			idx = append(idx, i)
			ps = append(ps, d.PRaw)
		}
	}
	c.Tests = len(idx)
	for k, p := range holm(ps) {
		d := &c.Deltas[idx[k]]
		d.P = p
		d.Significant = p < c.Alpha
	}
}

// holm returns the Holm–Bonferroni adjusted p-values of ps, in their
// order: sorted ascending, the i-th smallest (from 0) is multiplied by
// m−i, then made non-decreasing and capped at 1. Rejecting where the
// adjusted value is below alpha keeps the family-wise error rate at alpha.
func holm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return ps[order[i]] < ps[order[j]] })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = math.Max(running, math.Min(1, float64(m-rank)*ps[i]))
		out[i] = running
	}
	return out
}

func metricValues(metric string, st *stat) []float64 {
	if st == nil {
		return nil
	}
	if metric == MetricThroughput {
		return st.thrVals
	}
	return st.p99Vals
}

func newDelta(metric, backend, point string, sa, sb *stat) Delta {
	d := Delta{Metric: metric, Backend: backend, Point: point, Change: math.NaN(), P: math.NaN(), PRaw: math.NaN()}
	xa, xb := metricValues(metric, sa), metricValues(metric, sb)
	summ := func(xs []float64) benchmath.Summary {
		return benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), confidence)
	}
	if len(xa) > 0 {
		d.A, d.NA = summ(xa), len(xa)
	}
	if len(xb) > 0 {
		d.B, d.NB = summ(xb), len(xb)
	}
	switch {
	case d.NA == 0:
		d.Note = "only in B"
		return d
	case d.NB == 0:
		d.Note = "only in A"
		return d
	}
	if d.A.Center != 0 {
		d.Change = d.B.Center/d.A.Center - 1
	}
	cmp := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(xa, &benchmath.DefaultThresholds),
		benchmath.NewSample(xb, &benchmath.DefaultThresholds))
	// Compare adjusts P for the number of tests and decides significance.
	d.PRaw, d.P = cmp.P, cmp.P
	if len(cmp.Warnings) > 0 {
		d.Note = cmp.Warnings[0].Error()
	}
	return d
}

// Verdict is the significance column: "+12.3% (p=0.002 n=6)", "~ (p=0.4
// n=6)" when the difference is not significant, or the note.
func (d Delta) Verdict() string {
	if d.NA == 0 || d.NB == 0 {
		return d.Note
	}
	stats := fmt.Sprintf("p=%.3f n=%s", d.P, nString(d.NA, d.NB))
	if d.Note != "" {
		return "? (" + stats + ", too few repeats)"
	}
	if !d.Significant {
		return "~ (" + stats + ")"
	}
	better := (d.Metric == MetricThroughput) == (d.Change > 0)
	word := "worse"
	if better {
		word = "better"
	}
	return fmt.Sprintf("%s (%s)", word, stats)
}

func nString(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return strconv.Itoa(a) + "+" + strconv.Itoa(b)
}

func fmtChange(c float64) string {
	if math.IsNaN(c) {
		return "–"
	}
	return fmt.Sprintf("%+.1f%%", c*100)
}

func (d Delta) value(s benchmath.Summary, n int) string {
	if n == 0 {
		return "–"
	}
	if d.Metric == MetricThroughput {
		return fmtCI(s)
	}
	return fmtNS(s.Center) + " ± " + s.PctRangeString()
}

func metricTitle(metric string) string {
	if metric == MetricThroughput {
		return "validate throughput (validations/s, higher is better)"
	}
	return "validate latency p99 (lower is better)"
}

// Formats accepted by Write.
var CompareFormats = []string{"text", "markdown", "csv"}

// Write writes the comparison as text (aligned columns), markdown or csv.
func (c *Comparison) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return c.writeText(w)
	case "markdown":
		return c.writeMarkdown(w)
	case "csv":
		return c.writeCSV(w)
	}
	return fmt.Errorf("unknown format %q (want text, markdown or csv)", format)
}

func (c *Comparison) sections() [][]Delta {
	var out [][]Delta
	for _, m := range []string{MetricThroughput, MetricP99} {
		var sec []Delta
		for _, d := range c.Deltas {
			if d.Metric == m {
				sec = append(sec, d)
			}
		}
		if len(sec) > 0 {
			out = append(out, sec)
		}
	}
	return out
}

// SettingsLine says in one line how the settings of A and B differ, for
// outputs that have no room for the table (csv goes to a program; the
// command says it on stderr).
func (c *Comparison) SettingsLine() string {
	if len(c.Settings) == 0 {
		return ""
	}
	var parts []string
	for _, st := range c.Settings {
		parts = append(parts, fmt.Sprintf("%s %s vs %s", st.Name, st.A, st.B))
	}
	return fmt.Sprintf("A and B were run with different settings (%d): %s", len(c.Settings), strings.Join(parts, "; "))
}

// settingsIntro heads the settings table.
const settingsIntro = "Settings that differ between A and B: a change below may come from them as much as from the code."

// sameSettings says that nothing recorded differs.
const sameSettings = "Settings: the same in A and B (the scenario as run, machine, Go, GOMAXPROCS, authbench version)."

// holmNote says what the p-values are adjusted for.
func (c *Comparison) holmNote() string {
	if c.Tests == 0 {
		return ""
	}
	return fmt.Sprintf("p-values Holm-adjusted over %d comparisons (both metrics, every backend and point measured in both runs): the chance of any false \"better\" or \"worse\" in this comparison stays under %.0f%%, where unadjusted about one test in %.0f would come out significant with nothing changed.",
		c.Tests, c.Alpha*100, 1/c.Alpha)
}

func (c *Comparison) writeText(w io.Writer) error {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", c.NameA, c.NameB)
	if len(c.Settings) == 0 {
		fmt.Fprintln(w, sameSettings)
	} else {
		fmt.Fprintln(w, settingsIntro)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "setting\tA\tB")
		for _, st := range c.Settings {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Name, st.A, st.B)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, sec := range c.sections() {
		fmt.Fprintf(w, "\n%s\n", metricTitle(sec[0].Metric))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "backend\tpoint\tA\tB\tchange\tsignificance")
		for _, d := range sec {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Backend, pointOrDash(d.Point),
				d.value(d.A, d.NA), d.value(d.B, d.NB), fmtChange(d.Change), d.Verdict())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, n := range notes(sec) {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	if n := c.holmNote(); n != "" {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	return nil
}

// notes lists the distinct statistical caveats of a section once, as
// benchstat's footnotes do, instead of on every row.
func notes(sec []Delta) []string {
	var out []string
	add := func(n string) {
		if n != "" && !contains(out, n) {
			out = append(out, n)
		}
	}
	for _, d := range sec {
		if d.NA > 0 && d.NB > 0 {
			add(d.Note)
		}
		for _, w := range append(d.A.Warnings, d.B.Warnings...) {
			add("± ∞: " + w.Error())
		}
	}
	return out
}

func pointOrDash(p string) string {
	if p == "" {
		return "-"
	}
	return p
}

func (c *Comparison) writeMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "# authbench compare\n\n- A: `%s`\n- B: `%s`\n\n", c.NameA, c.NameB)
	if len(c.Settings) == 0 {
		fmt.Fprintln(w, sameSettings)
	} else {
		fmt.Fprintf(w, "%s\n\n| setting | A | B |\n|---|---|---|\n", settingsIntro)
		for _, st := range c.Settings {
			fmt.Fprintf(w, "| %s | %s | %s |\n", cell(st.Name), cell(st.A), cell(st.B))
		}
	}
	for _, sec := range c.sections() {
		fmt.Fprintf(w, "\n## %s\n\n", metricTitle(sec[0].Metric))
		fmt.Fprintln(w, "| backend | point | A | B | change | significance |")
		fmt.Fprintln(w, "|---|---|--:|--:|--:|---|")
		for _, d := range sec {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", cell(d.Backend), cell(pointOrDash(d.Point)),
				d.value(d.A, d.NA), d.value(d.B, d.NB), fmtChange(d.Change), cell(d.Verdict()))
		}
		for _, n := range notes(sec) {
			fmt.Fprintf(w, "\nNote: %s.\n", n)
		}
	}
	if n := c.holmNote(); n != "" {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	return nil
}

func (c *Comparison) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"metric", "unit", "backend", "point",
		"a_median", "a_lo", "a_hi", "a_n", "b_median", "b_lo", "b_hi", "b_n",
		"change_pct", "p", "significant", "note", "p_unadjusted"})
	num := func(f float64) string {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return ""
		}
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	for _, d := range c.Deltas {
		unit := "ns"
		if d.Metric == MetricThroughput {
			unit = "validations/s"
		}
		side := func(s benchmath.Summary, n int) []string {
			if n == 0 {
				return []string{"", "", "", "0"}
			}
			return []string{num(s.Center), num(s.Lo), num(s.Hi), strconv.Itoa(n)}
		}
		row := []string{d.Metric, unit, d.Backend, d.Point}
		row = append(row, side(d.A, d.NA)...)
		row = append(row, side(d.B, d.NB)...)
		sig := ""
		if d.NA > 0 && d.NB > 0 && d.Note == "" {
			sig = strconv.FormatBool(d.Significant)
		}
		row = append(row, num(d.Change*100), num(d.P), sig, d.Note, num(d.PRaw))
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// Figure draws the change from A to B side by side: throughput change on
// the left, p99 change on the right, one bar per backend grouped by point.
// Bars whose change is not significant (or cannot be tested) are drawn
// white, hatched in the backend's colour. nil when no backend is in both runs.
func (c *Comparison) Figure() *figure.Figure {
	f := figure.New("compare", fmt.Sprintf("Change from A (%s) to B (%s)", c.NameA, c.NameB), 1, 2)
	// Only backends and points present in both runs get a slot.
	var points, shown []string
	for _, d := range c.Deltas {
		if math.IsNaN(d.Change) {
			continue
		}
		if !contains(points, d.Point) {
			points = append(points, d.Point)
		}
		if !contains(shown, d.Backend) {
			shown = append(shown, d.Backend)
		}
	}
	if len(points) == 0 {
		return nil
	}
	labels := make([]string, len(points))
	for i, p := range points {
		labels[i] = pointOrDash(p)
		if p == "" {
			labels[i] = "all"
		}
	}
	pale := false
	for col, metric := range []string{MetricThroughput, MetricP99} {
		p := f.Plots[0][col]
		p.Y.Label.Text = "change in " + map[string]string{MetricThroughput: "throughput (%), higher is better", MetricP99: "p99 (%), lower is better"}[metric]
		p.Add(&plotter.Grid{Horizontal: plotter.NewGrid().Horizontal})
		w := 0.8 / float64(len(shown))
		for i, bk := range shown {
			sty := figure.StyleFor(c.colors[bk])
			for _, d := range c.Deltas {
				if d.Metric != metric || d.Backend != bk || math.IsNaN(d.Change) {
					continue
				}
				g := indexOf(points, d.Point)
				faint := !d.Significant || d.Note != ""
				pale = pale || faint
				x := float64(g) + (float64(i)-float64(len(shown)-1)/2)*w
				p.Add(&figure.Bars{Xs: []float64{x}, Ys: []float64{d.Change * 100}, Width: w * 0.9, Style: sty, Pale: faint, ZeroStub: true})
				f.AddSeries(bk, sty, figure.KindBar)
			}
		}
		figure.NominalX(p, labels, (f.Width/2-vg.Inch)/vg.Length(len(labels)))
		p.Y.Tick.Marker = pctTicks{}
		// Keep zero in view, with room on both sides.
		span := math.Max(p.Y.Max-p.Y.Min, 2)
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, -1)-0.05*span, math.Max(p.Y.Max, 1)+0.05*span
	}
	f.Caption = "Change of the median from A to B per backend and point."
	if pale {
		f.Caption += " Hatched white figure.Bars: the difference is not significant, or there are too few repeats to tell."
	}
	return f
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// pctTicks labels a linear axis of percentages with a sign.
type pctTicks struct{}

func (pctTicks) Ticks(min, max float64) []plot.Tick {
	// Label every multiple of a 1-2-5 step giving about six labels.
	step := math.Pow(10, math.Floor(math.Log10((max-min)/6)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (max-min)/(step*m) <= 7 {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: "x"})
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmt.Sprintf("%+g%%", math.Round(ticks[i].Value*1e6)/1e6)
			if math.Abs(ticks[i].Value) < step/1e6 {
				ticks[i].Label = "0%"
			}
		}
	}
	return ticks
}
