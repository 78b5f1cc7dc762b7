package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one chart file: one or more panels (gonum plots laid out in
// rows) under a common title, with one legend entry per backend drawn to
// the right of the panels, where it can never cover data.
type Figure struct {
	// Name is the file name without extension ("throughput").
	Name string
	// Title is drawn above the panels and used as the heading in report.md.
	Title string
	// Caption says what the chart shows and how to read it.
	Caption string
	// Notes record what the chart could not show as is (values clamped on
	// a log axis, points dropped); report.md prints them under the chart.
	Notes []string
	// Plots holds the panels, row by row; every row has the same length.
	Plots [][]*plot.Plot
	// Series lists the backends drawn, in legend order.
	Series []string

	legend        plot.Legend
	Width, Height vg.Length
}

// pngDPI makes the PNG sharp enough to read on a high-density screen while
// keeping a chart at a few hundred kilobytes.
const pngDPI = 144

func newFigure(name, title string, rows, cols int) *Figure {
	f := &Figure{
		Name:   name,
		Title:  title,
		legend: plot.NewLegend(),
		Width:  9 * vg.Inch,
		Height: 4.8 * vg.Inch,
	}
	f.legend.Top, f.legend.Left = true, true
	f.legend.TextStyle.Font.Size = vg.Points(10)
	f.legend.Padding = vg.Points(4)
	f.legend.ThumbnailWidth = vg.Points(14)
	f.Plots = make([][]*plot.Plot, rows)
	for i := range f.Plots {
		f.Plots[i] = make([]*plot.Plot, cols)
		for j := range f.Plots[i] {
			f.Plots[i][j] = newPlot()
		}
	}
	return f
}

// newPlot returns a panel with the fonts every chart uses.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = vg.Points(4)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	return p
}

// addSeries registers a backend in the figure's legend once, whatever the
// number of panels it appears in.
func (f *Figure) addSeries(backend string, c color.Color) {
	if contains(f.Series, backend) {
		return
	}
	f.Series = append(f.Series, backend)
	f.legend.Add(backend, swatch{c})
}

func (f *Figure) note(format string, args ...any) {
	f.Notes = append(f.Notes, fmt.Sprintf(format, args...))
}

// Draw draws the figure onto c.
func (f *Figure) Draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	pad := vg.Points(8)
	c = draw.Crop(c, pad, -pad, pad, -pad)
	if f.Title != "" {
		sty := titleStyle()
		c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y}, f.Title)
		c = draw.Crop(c, 0, 0, 0, -(sty.Rectangle(f.Title).Size().Y + pad))
	}
	if len(f.Series) > 0 {
		leg := f.legend
		lw := leg.Rectangle(c).Size().X + 2*pad
		leg.Draw(draw.Crop(c, c.Max.X-c.Min.X-lw+pad, 0, 0, -pad))
		c = draw.Crop(c, 0, -lw, 0, 0)
	}
	tiles := draw.Tiles{
		Rows: len(f.Plots), Cols: len(f.Plots[0]),
		PadX: vg.Points(16), PadY: vg.Points(12),
	}
	canvases := plot.Align(f.Plots, tiles, c)
	for i := range f.Plots {
		for j, p := range f.Plots[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
}

func titleStyle() text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 13),
		XAlign:  draw.XCenter,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
}

// Save writes DIR/<name>.png and DIR/<name>.svg.
func (f *Figure) Save(dir string) error {
	var errs []error
	for _, ext := range []string{".png", ".svg"} {
		errs = append(errs, f.saveAs(filepath.Join(dir, f.Name+ext)))
	}
	return errors.Join(errs...)
}

func (f *Figure) saveAs(path string) (err error) {
	var c vg.CanvasWriterTo
	switch filepath.Ext(path) {
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(pngDPI))}
	case ".svg":
		c = vgsvg.New(f.Width, f.Height)
	default:
		return fmt.Errorf("%s: unsupported chart format", path)
	}
	if err := f.drawSafely(draw.New(c)); err != nil {
		return fmt.Errorf("draw %s: %w", path, err)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = c.WriteTo(out)
	return err
}

// drawSafely turns a panic inside gonum/plot (it panics on impossible
// axes, such as a log axis over zero) into an error: one bad chart must
// not take the whole report down.
func (f *Figure) drawSafely(c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f.Draw(c)
	return nil
}

// palette is Tableau 10: distinct hues that stay apart for readers with
// the common colour-vision deficiencies, in an order where neighbours differ.
var palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, // blue
	{0xf2, 0x8e, 0x2b, 0xff}, // orange
	{0xe1, 0x57, 0x59, 0xff}, // red
	{0x76, 0xb7, 0xb2, 0xff}, // teal
	{0x59, 0xa1, 0x4f, 0xff}, // green
	{0xed, 0xc9, 0x48, 0xff}, // yellow
	{0xb0, 0x7a, 0xa1, 0xff}, // purple
	{0xff, 0x9d, 0xa7, 0xff}, // pink
	{0x9c, 0x75, 0x5f, 0xff}, // brown
	{0xba, 0xb0, 0xac, 0xff}, // grey
}

// colorFor gives a backend the colour of its position in Summary.Backends,
// the same in every chart of a run.
func (v *view) colorFor(backend string) color.Color {
	return palette[v.colorIndex[backend]%len(palette)]
}

// swatch is a legend thumbnail: a filled square in the series colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	side := c.Max.Y - c.Min.Y
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y}, Max: vg.Point{X: c.Min.X + side*1.6, Y: c.Max.Y}}
	c.SetColor(s.c)
	c.Fill(r.Path())
}

// logTicks labels a log axis: powers of ten over wide ranges, 1-2-5 steps
// over narrow ones (where powers of ten alone could leave no label at all).
type logTicks struct{ format func(float64) string }

func (t logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > 0) || max < min {
		return nil
	}
	wide := math.Log10(max/min) >= 2
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			val := base * float64(m)
			if val < min*(1-1e-9) || val > max*(1+1e-9) {
				continue
			}
			labelled := m == 1 || (!wide && (m == 2 || m == 5))
			tk := plot.Tick{Value: val}
			if labelled {
				tk.Label = t.format(val)
			}
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// countTicks labels a linear axis with k/M suffixes.
type countTicks struct{ suffix string }

func (t countTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = countTick(ticks[i].Value) + t.suffix
		}
	}
	return ticks
}

// countTick labels a count with a k/M suffix and no trailing zeros ("2.5M").
func countTick(v float64) string {
	unit, name := 1.0, ""
	switch a := math.Abs(v); {
	case a >= 1e9:
		unit, name = 1e9, "G"
	case a >= 1e6:
		unit, name = 1e6, "M"
	case a >= 1e3:
		unit, name = 1e3, "k"
	}
	return strconv.FormatFloat(v/unit, 'g', 3, 64) + name
}

// countAxis sets up an axis of rates or counts: logarithmic when the
// values span more than a factor of 20 (the smallest bars would otherwise
// be invisible next to the largest), linear from zero otherwise. It
// returns whether the axis is logarithmic.
func countAxis(a *plot.Axis, label string, values []float64) bool {
	min, max := math.Inf(1), 0.0
	for _, v := range values {
		if v > 0 {
			min = math.Min(min, v)
		}
		max = math.Max(max, v)
	}
	if max > 0 && max/min >= 20 {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = logTicks{format: countTick}
		a.Label.Text = label + " (log scale)"
		return true
	}
	a.Tick.Marker = countTicks{}
	a.Label.Text = label
	a.Min = 0
	return false
}

// durTick labels a duration in nanoseconds: "1 µs", "20 ms".
func durTick(ns float64) string {
	unit, name := 1.0, "ns"
	switch a := math.Abs(ns); {
	case a >= 1e9:
		unit, name = 1e9, "s"
	case a >= 1e6:
		unit, name = 1e6, "ms"
	case a >= 1e3:
		unit, name = 1e3, "µs"
	}
	return strconv.FormatFloat(ns/unit, 'g', 3, 64) + " " + name
}

// useLogDurations puts a duration axis (values in ns) on a log scale.
func useLogDurations(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{format: durTick}
}

// nominalX labels the x positions 0..n-1 with names, slanted when they
// would not fit side by side.
func nominalX(p *plot.Plot, names []string, widthPerName vg.Length) {
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	longest := vg.Length(0)
	for _, n := range names {
		if w := p.X.Tick.Label.Rectangle(n).Size().X; w > longest {
			longest = w
		}
	}
	if longest > widthPerName*0.9 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
}

// bars draws one series of vertical bars at data positions xs, optionally
// with whiskers. Unlike plotter.BarChart, bars rise from the bottom of the
// axis, so they also work on a log axis, and their width is in data units,
// so groups of bars line up with nominal ticks.
type bars struct {
	xs, ys  []float64
	lo, hi  []float64 // whiskers; nil for none, NaN for none at a bar
	width   float64   // in data units
	color   color.Color
	logBase bool // the y axis is logarithmic: values <= 0 are not drawn
}

func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	bottom := 0.0
	if b.logBase || p.Y.Min > 0 {
		bottom = p.Y.Min
	}
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	for i, x := range b.xs {
		y := b.ys[i]
		if math.IsNaN(y) || (b.logBase && y <= 0) {
			continue
		}
		top := math.Min(math.Max(y, p.Y.Min), p.Y.Max)
		r := vg.Rectangle{
			Min: vg.Point{X: trX(x - b.width/2), Y: trY(bottom)},
			Max: vg.Point{X: trX(x + b.width/2), Y: trY(top)},
		}
		c.SetColor(b.color)
		c.Fill(r.Path())
		c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(0.4)}, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
		if b.lo == nil || math.IsNaN(b.lo[i]) || math.IsNaN(b.hi[i]) {
			continue
		}
		lo, hi := b.lo[i], b.hi[i]
		if b.logBase && lo <= 0 {
			lo = p.Y.Min
		}
		lo, hi = math.Max(lo, p.Y.Min), math.Min(hi, p.Y.Max)
		xm, cap := trX(x), (r.Max.X-r.Min.X)/4
		c.StrokeLine2(line, xm, trY(lo), xm, trY(hi))
		c.StrokeLine2(line, xm-cap, trY(lo), xm+cap, trY(lo))
		c.StrokeLine2(line, xm-cap, trY(hi), xm+cap, trY(hi))
	}
}

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	if !b.logBase {
		ymin = 0
	}
	for i, x := range b.xs {
		xmin, xmax = math.Min(xmin, x-b.width/2), math.Max(xmax, x+b.width/2)
		for _, y := range []float64{b.ys[i], at(b.lo, i), at(b.hi, i)} {
			if math.IsNaN(y) || (b.logBase && y <= 0) {
				continue
			}
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if b.logBase && !math.IsInf(ymin, 0) {
		// Leave the smallest bar some height above the bottom of the axis.
		ymin /= 2
	}
	return xmin, xmax, ymin, ymax
}

func at(xs []float64, i int) float64 {
	if xs == nil {
		return math.NaN()
	}
	return xs[i]
}

// pointLabels writes a text next to each point, moving a label to the
// left, above or below when it would overlap one already placed.
type pointLabels struct {
	xs, ys []float64
	texts  []string
	style  text.Style
}

func newPointLabels() *pointLabels {
	return &pointLabels{style: text.Style{
		Color: color.Black, Font: font.From(plot.DefaultFont, 9),
		XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler,
	}}
}

func (l *pointLabels) add(x, y float64, s string) {
	l.xs, l.ys, l.texts = append(l.xs, x), append(l.ys, y), append(l.texts, s)
}

func (l *pointLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var placed []vg.Rectangle
	// Points themselves are obstacles too.
	for i := range l.xs {
		pt := vg.Point{X: trX(l.xs[i]), Y: trY(l.ys[i])}
		r := vg.Points(4)
		placed = append(placed, vg.Rectangle{Min: vg.Point{X: pt.X - r, Y: pt.Y - r}, Max: vg.Point{X: pt.X + r, Y: pt.Y + r}})
	}
	for i, s := range l.texts {
		pt := vg.Point{X: trX(l.xs[i]), Y: trY(l.ys[i])}
		size := l.style.Rectangle(s).Size()
		gap := vg.Points(6)
		h := size.Y
		candidates := []vg.Point{
			{X: pt.X + gap, Y: pt.Y - h/2},
			{X: pt.X - gap - size.X, Y: pt.Y - h/2},
			{X: pt.X - size.X/2, Y: pt.Y + gap},
			{X: pt.X - size.X/2, Y: pt.Y - gap - h},
			{X: pt.X + gap, Y: pt.Y + h/2 + 2},
			{X: pt.X + gap, Y: pt.Y - 1.5*h - 2},
			{X: pt.X + gap, Y: pt.Y + 1.5*h + 4},
			{X: pt.X + gap, Y: pt.Y - 2.5*h - 4},
		}
		best := candidates[0]
		for _, cand := range candidates {
			r := vg.Rectangle{Min: cand, Max: vg.Point{X: cand.X + size.X, Y: cand.Y + h}}
			if inside(r, c.Rectangle) && !overlapsAny(r, placed) {
				best = cand
				break
			}
		}
		r := vg.Rectangle{Min: best, Max: vg.Point{X: best.X + size.X, Y: best.Y + h}}
		placed = append(placed, r)
		sty := l.style
		sty.YAlign = draw.YBottom
		c.FillText(sty, best, s)
	}
}

func inside(r, outer vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Max.X <= outer.Max.X && r.Min.Y >= outer.Min.Y && r.Max.Y <= outer.Max.Y
}

func overlapsAny(r vg.Rectangle, others []vg.Rectangle) bool {
	for _, o := range others {
		if r.Min.X < o.Max.X && o.Min.X < r.Max.X && r.Min.Y < o.Max.Y && o.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}
