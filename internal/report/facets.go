package report

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/authbench/authbench/internal/figure"
)

// Small multiples for the line charts (latency spectrum, sweeps,
// timeline). Past maxLines backends, lines of a dozen look-alike colours
// cross too often to follow, so a chart gets one panel per backend family
// (jwt, jwe, session, hybrid …) instead, all on the same axes, each with
// the other families' lines drawn faintly behind for context.

// maxLines is the most backends a line-chart panel draws in colour.
const maxLines = 8

// familyOrder is the order `authbench list` gives the families in.
var familyOrder = []string{"calibration", "jwt", "jwe", "session", "hybrid"}

// otherFamily holds the backends of a run whose family is not recorded.
const otherFamily = "other"

// facet is the backends of one panel of a line chart.
type facet struct {
	// family names the panel; "" when the chart is not split.
	family   string
	backends []string
}

// facets splits bs (in report order) by family when there are more than
// maxLines of them; otherwise it returns one facet of all.
func (v *view) facets(bs []string) []facet {
	if len(bs) <= maxLines {
		return []facet{{backends: bs}}
	}
	byFamily := map[string][]string{}
	var extra []string
	for _, b := range bs {
		fam := v.info[b].Family
		if fam == "" {
			fam = otherFamily
		}
		if byFamily[fam] == nil && !contains(familyOrder, fam) {
			extra = append(extra, fam)
		}
		byFamily[fam] = append(byFamily[fam], b)
	}
	sort.Strings(extra)
	var out []facet
	for _, fam := range append(append([]string{}, familyOrder...), extra...) {
		if len(byFamily[fam]) > 0 {
			out = append(out, facet{family: fam, backends: byFamily[fam]})
		}
	}
	return out
}

// split reports whether the facets are small multiples.
func split(fs []facet) bool { return len(fs) > 1 || fs[0].family != "" }

// facetFigure lays out a line chart of len(metrics) metrics: unsplit, the
// metrics side by side (or stacked when vertical); split, one row per
// family with a panel per metric, or, for a single metric, a grid of
// family panels. panels[i][m] is facet i's panel for metric m; titles
// name the metric and the family.
func facetFigure(name, title string, fs []facet, metrics []string, vertical bool) (*figure.Figure, [][]*plot.Plot) {
	panels := make([][]*plot.Plot, len(fs))
	var f *figure.Figure
	switch {
	case !split(fs) && vertical:
		f = figure.New(name, title, len(metrics), 1)
		for m := range metrics {
			panels[0] = append(panels[0], f.Plots[m][0])
		}
	case !split(fs):
		f = figure.New(name, title, 1, len(metrics))
		panels[0] = f.Plots[0]
	case len(metrics) == 1:
		// Two columns: panels wide enough to follow a curve.
		cols := 2
		rows := (len(fs) + cols - 1) / cols
		f = figure.New(name, title, rows, cols)
		f.Width, f.Height = 11*vg.Inch, vg.Length(rows)*3.2*vg.Inch+0.6*vg.Inch
		for i := range rows * cols {
			if i < len(fs) {
				panels[i] = []*plot.Plot{f.Plots[i/cols][i%cols]}
			} else {
				f.Plots[i/cols][i%cols] = nil // an empty cell
			}
		}
	default:
		f = figure.New(name, title, len(fs), len(metrics))
		f.Height = vg.Length(len(fs))*2.8*vg.Inch + 0.6*vg.Inch
		for i := range fs {
			panels[i] = f.Plots[i]
		}
	}
	for i, fc := range fs {
		for m, p := range panels[i] {
			switch {
			case fc.family != "" && metrics[m] != "":
				p.Title.Text = fc.family + ": " + metrics[m]
			case fc.family != "":
				p.Title.Text = fc.family
			default:
				p.Title.Text = metrics[m]
			}
		}
	}
	return f, panels
}

// contextStyle draws the other families' lines behind a family's panel.
var contextStyle = figure.Style{Color: color.RGBA{0xd0, 0xd0, 0xd0, 0xff}}

// drawLines draws one metric's lines: each facet's backends in their
// styles into its panel (panels[i] for fs[i]), over thin grey lines of
// every other backend when the chart is split, so that each family is seen
// against the rest; with nameEnds, split panels also name each line at its
// last point. It adds each backend to the legend once, in facet order, and
// puts every panel on the same axes.
func (v *view) drawLines(f *figure.Figure, panels []*plot.Plot, fs []facet, lines map[string]plotter.XYs, kind figure.Kind, nameEnds bool) {
	for i, fc := range fs {
		p := panels[i]
		if split(fs) {
			for _, b := range v.backends {
				if xys := lines[b]; len(xys) > 0 && !contains(fc.backends, b) {
					if l, err := plotter.NewLine(xys); err == nil {
						l.LineStyle = contextStyle.Line(vg.Points(0.8))
						p.Add(l)
					}
				}
			}
		}
		for _, b := range fc.backends {
			xys := lines[b]
			if len(xys) == 0 {
				continue
			}
			st := v.styleFor(b)
			if kind == figure.KindLinePoints {
				addLine(p, xys, st)
			} else if l, err := plotter.NewLine(xys); err == nil {
				l.LineStyle = st.Line(vg.Points(1.6))
				p.Add(l)
			}
			f.AddSeries(b, st, kind)
		}
		if split(fs) && nameEnds {
			// Each line named at its end: a panel holds few, and the
			// legend beside the figure is far from the lower panels.
			// (Not for curves that all end in one corner, as the
			// spectrum's do: the names would crowd there.)
			names := figure.NewPointLabels()
			names.Mark = vg.Points(3)
			for _, b := range fc.backends {
				if xys := lines[b]; len(xys) > 0 {
					end := xys[len(xys)-1]
					names.Add(end.X, end.Y, b)
				}
			}
			p.Add(names)
		}
	}
	shareAxes(panels)
}

// shareAxes gives every panel the union of their ranges, so that small
// multiples compare at a glance.
func shareAxes(panels []*plot.Plot) {
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range panels {
		xmin, xmax = math.Min(xmin, p.X.Min), math.Max(xmax, p.X.Max)
		ymin, ymax = math.Min(ymin, p.Y.Min), math.Max(ymax, p.Y.Max)
	}
	for _, p := range panels {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = xmin, xmax, ymin, ymax
	}
}

// column returns metric m's panel of every facet.
func column(panels [][]*plot.Plot, m int) []*plot.Plot {
	out := make([]*plot.Plot, len(panels))
	for i := range panels {
		out[i] = panels[i][m]
	}
	return out
}

// splitCaption says how a split chart is drawn.
func splitCaption(fs []facet) string {
	if !split(fs) {
		return ""
	}
	return " One panel per backend family, all on the same axes; the other families' lines are drawn in light grey behind each."
}
