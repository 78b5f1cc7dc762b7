// Package figure is the gonum/plot toolkit authbench's charts are drawn
// with: a Figure of panels under one title with a legend beside them,
// saved as PNG and SVG; one style per backend (colour, then dash, marker
// and hatching) that stays the same in every chart of a run; log axes
// with readable ticks and a band for zeros, which a log axis cannot show;
// bars with whiskers; point labels that do not overlap.
//
// It knows nothing of runs or backends: internal/report decides what to
// draw, this package how.
package figure

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
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

// New returns a figure of rows × cols empty panels, sized for report.md.
func New(name, title string, rows, cols int) *Figure {
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
	f.legend.ThumbnailWidth = vg.Points(24)
	f.Plots = make([][]*plot.Plot, rows)
	for i := range f.Plots {
		f.Plots[i] = make([]*plot.Plot, cols)
		for j := range f.Plots[i] {
			f.Plots[i][j] = NewPlot()
		}
	}
	return f
}

// NewPlot returns a panel with the fonts every chart uses.
func NewPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = vg.Points(4)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	return p
}

// AddSeries registers a backend in the figure's legend once, whatever the
// number of panels it appears in.
func (f *Figure) AddSeries(backend string, st Style, kind Kind) {
	if slices.Contains(f.Series, backend) {
		return
	}
	f.Series = append(f.Series, backend)
	f.legend.Add(backend, swatch{st: st, kind: kind})
}

// Note records what the figure could not show as is, for report.md.
func (f *Figure) Note(format string, args ...any) {
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
		// plot.Align lines up the data areas, not the canvases, so each
		// panel would draw its title at a different height; draw the
		// titles of a row at one height instead, over their data areas.
		top := vg.Length(math.Inf(1))
		for j, p := range f.Plots[i] {
			if p != nil && p.Title.Text != "" {
				top = min(top, canvases[i][j].Max.Y)
			}
		}
		for j, p := range f.Plots[i] {
			if p == nil {
				continue
			}
			if p.Title.Text == "" {
				p.Draw(canvases[i][j])
				continue
			}
			sty := p.Title.TextStyle
			hidden := sty
			hidden.Color = color.Transparent
			p.Title.TextStyle = hidden
			p.Draw(canvases[i][j])
			p.Title.TextStyle = sty
			da := p.DataCanvas(canvases[i][j])
			descent := sty.FontExtents().Descent
			canvases[i][j].FillText(sty, vg.Point{X: da.Center().X, Y: top + descent}, p.Title.Text)
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

// Palette is Tableau 20 reordered: its ten saturated hues first, then
// their light companions, so the first ten backends of a run get hues that
// stay apart for readers with the common colour-vision deficiencies and
// each later backend the light tint of a hue ten places earlier.
var Palette = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, // blue
	{0xf2, 0x8e, 0x2b, 0xff}, // orange
	{0xe1, 0x57, 0x59, 0xff}, // red
	{0x49, 0x98, 0x94, 0xff}, // teal
	{0x59, 0xa1, 0x4f, 0xff}, // green
	{0xb6, 0x99, 0x2d, 0xff}, // olive
	{0xb0, 0x7a, 0xa1, 0xff}, // purple
	{0xd3, 0x72, 0x95, 0xff}, // pink
	{0x9d, 0x76, 0x60, 0xff}, // brown
	{0x79, 0x70, 0x6e, 0xff}, // grey
	{0xa0, 0xcb, 0xe8, 0xff}, // light blue
	{0xff, 0xbe, 0x7d, 0xff}, // light orange
	{0xff, 0x9d, 0x9a, 0xff}, // light red
	{0x86, 0xbc, 0xb6, 0xff}, // light teal
	{0x8c, 0xd1, 0x7d, 0xff}, // light green
	{0xf1, 0xce, 0x63, 0xff}, // yellow
	{0xd4, 0xa6, 0xc8, 0xff}, // light purple
	{0xfa, 0xbf, 0xd2, 0xff}, // light pink
	{0xd7, 0xb5, 0xa6, 0xff}, // light brown
	{0xba, 0xb0, 0xac, 0xff}, // light grey
}

// Past the palette, a backend is told apart by a second cue: a dash
// pattern on lines, a marker shape on points, hatching on bars. Variant 0
// (the first len(Palette) backends) is plain.
var (
	VariantDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}
	variantGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}}
)

// Style is how one backend is drawn in every chart of a run.
type Style struct {
	Color   color.RGBA
	Variant int // 0: plain; above: dashes, another marker, hatching
	Dashes  []vg.Length
	Glyph   draw.GlyphDrawer
}

// StyleFor gives the i-th backend of a run its style: palette colour
// first, then a variant, so no two of the first
// len(Palette)*len(VariantDashes) backends look alike.
func StyleFor(i int) Style {
	if i < 0 {
		i = 0
	}
	n := len(Palette) * len(VariantDashes)
	k := (i % n) / len(Palette)
	return Style{Color: Palette[i%len(Palette)], Variant: k, Dashes: VariantDashes[k], Glyph: variantGlyphs[k]}
}

// Line returns the style's line at width w.
func (s Style) Line(w vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: s.Color, Width: w, Dashes: s.Dashes}
}

// Kind selects the legend thumbnail: it shows the mark as drawn.
type Kind int

const (
	KindBar        Kind = iota // filled square, hatched past the Palette
	KindLine                   // line with the dash pattern
	KindLinePoints             // line with the dash pattern and marker
	KindPoint                  // marker alone
)

// swatch is a legend thumbnail in the series style.
type swatch struct {
	st   Style
	kind Kind
}

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	r := vg.Rectangle{Min: c.Min, Max: vg.Point{X: c.Min.X + h*1.6, Y: c.Max.Y}}
	mid := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	glyph := draw.GlyphStyle{Color: s.st.Color, Radius: h * 0.32, Shape: s.st.Glyph}
	switch s.kind {
	case KindBar:
		FillBar(c, r, s.st, false)
	case KindLine, KindLinePoints:
		r.Max.X = c.Max.X // the full thumbnail width shows a dash pattern
		mid.X = (r.Min.X + r.Max.X) / 2
		c.StrokeLine2(s.st.Line(vg.Points(1.8)), r.Min.X, mid.Y, r.Max.X, mid.Y)
		if s.kind == KindLinePoints {
			c.DrawGlyph(glyph, mid)
		}
	case KindPoint:
		glyph.Radius = h * 0.4
		c.DrawGlyph(glyph, mid)
	}
}

// FillBar fills r in the style's colour with a thin grey outline. bars of
// a variant past the palette are hatched in dark grey; pale bars (compare:
// not significant) are white with hatching in the colour.
func FillBar(c *draw.Canvas, r vg.Rectangle, st Style, pale bool) {
	hatch := draw.LineStyle{Color: color.Gray{Y: 50}, Width: vg.Points(0.6)}
	if pale {
		c.SetColor(color.White)
		hatch.Color, hatch.Width = st.Color, vg.Points(1.2)
	} else {
		c.SetColor(st.Color)
	}
	c.Fill(r.Path())
	if pale || st.Variant > 0 {
		gap := vg.Points(4)
		if st.Variant > 1 {
			gap = vg.Points(2.5) // denser for a third cycle
		}
		for _, seg := range hatchSegments(r, gap, st.Variant%2 == 0) {
			c.StrokeLine2(hatch, seg[0].X, seg[0].Y, seg[1].X, seg[1].Y)
		}
	}
	outline := draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(0.4)}
	if pale {
		outline.Color, outline.Width = st.Color, vg.Points(0.8)
	}
	c.StrokeLines(outline, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}, r.Min})
}

// hatchSegments clips diagonal lines gap apart to r: rising (/) or, when
// falling is set, falling (\).
func hatchSegments(r vg.Rectangle, gap vg.Length, falling bool) [][2]vg.Point {
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	if w <= 0 || h <= 0 || gap <= 0 {
		return nil
	}
	var out [][2]vg.Point
	// Lines y = x - k (rising) in coordinates relative to r.Min, for k
	// from -h to w.
	for k := -h + gap/2; k < w; k += gap {
		x0, x1 := math.Max(0, float64(k)), math.Min(float64(w), float64(k+h))
		if x1 <= x0 {
			continue
		}
		p0 := vg.Point{X: vg.Length(x0), Y: vg.Length(x0) - k}
		p1 := vg.Point{X: vg.Length(x1), Y: vg.Length(x1) - k}
		if falling {
			p0.Y, p1.Y = h-p0.Y, h-p1.Y
		}
		out = append(out, [2]vg.Point{
			{X: r.Min.X + p0.X, Y: r.Min.Y + p0.Y},
			{X: r.Min.X + p1.X, Y: r.Min.Y + p1.Y},
		})
	}
	return out
}

// LogTicks labels a log axis: powers of ten over wide ranges, 1-2-5 steps
// over narrow ones (where powers of ten alone could leave no label at all).
type LogTicks struct{ Format func(float64) string }

func (t LogTicks) Ticks(min, max float64) []plot.Tick {
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
				tk.Label = t.Format(val)
			}
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// ZeroLabel is the tick label of the zero band of an exposure axis.
const ZeroLabel = "0 (never accepted)"

// ZeroBand is where zero values go on a log axis, which has no zero: a
// band below the lowest non-zero value, with its own tick and no regular
// tick inside, so that a zero cannot be read as a small positive value.
// Values are in axis units: At is where zeros are drawn, Top the upper edge
// of the band (every non-zero value is above it), Bottom the axis minimum;
// Clear is the lowest value a regular tick may have, far enough above the
// band for its label not to touch the band's.
type ZeroBand struct{ At, Top, Bottom, Clear float64 }

// NewZeroBand places the band under minPos, the lowest non-zero value,
// for an axis reaching up to max: its depth grows with the decades the
// axis spans, so that it stays about a quarter of the axis high.
func NewZeroBand(minPos, max float64) ZeroBand {
	u := 0.11 * math.Max(1, math.Log10(max/minPos)) // decades
	step := math.Pow(10, u)
	top := minPos / step
	return ZeroBand{
		Top: top, At: top / step, Bottom: top / step / step,
		Clear: top * math.Sqrt(step),
	}
}

// ZeroBandTicks wraps the ticks of a log axis: it drops every tick below
// the band's Clear value and adds the zero tick.
type ZeroBandTicks struct {
	Inner plot.Ticker
	Band  ZeroBand
}

func (t ZeroBandTicks) Ticks(min, max float64) []plot.Tick {
	ticks := []plot.Tick{{Value: t.Band.At, Label: ZeroLabel}}
	for _, tk := range t.Inner.Ticks(math.Max(min, t.Band.Clear), max) {
		if tk.Value >= t.Band.Clear {
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

// UseZeroBand sets a log axis up with the band: its ticks, its minimum,
// and a shaded strip with a dashed upper edge drawn under the data.
func UseZeroBand(p *plot.Plot, a *plot.Axis, band ZeroBand, vertical bool) {
	a.Tick.Marker = ZeroBandTicks{Inner: a.Tick.Marker, Band: band}
	a.Min = band.Bottom
	p.Add(bandShade{band: band, vertical: vertical})
}

// bandShade shades the zero band on the y axis (vertical) or the x axis.
type bandShade struct {
	band     ZeroBand
	vertical bool
}

func (s bandShade) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var r vg.Rectangle
	var edge [2]vg.Point
	if s.vertical {
		r = vg.Rectangle{Min: c.Min, Max: vg.Point{X: c.Max.X, Y: trY(s.band.Top)}}
		edge = [2]vg.Point{{X: c.Min.X, Y: r.Max.Y}, {X: c.Max.X, Y: r.Max.Y}}
	} else {
		r = vg.Rectangle{Min: c.Min, Max: vg.Point{X: trX(s.band.Top), Y: c.Max.Y}}
		edge = [2]vg.Point{{X: r.Max.X, Y: c.Min.Y}, {X: r.Max.X, Y: c.Max.Y}}
	}
	c.SetColor(color.Gray{Y: 242})
	c.Fill(r.Path())
	c.StrokeLine2(draw.LineStyle{Color: color.Gray{Y: 140}, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}, edge[0].X, edge[0].Y, edge[1].X, edge[1].Y)
}

// CountTicks labels a linear axis with k/M suffixes.
type CountTicks struct{ Suffix string }

func (t CountTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = CountTick(ticks[i].Value) + t.Suffix
		}
	}
	return ticks
}

// CountTick labels a count with a k/M suffix and no trailing zeros ("2.5M").
func CountTick(v float64) string {
	return scaled(v, "", [4]string{"", "k", "M", "G"})
}

// scaled writes v in the largest of the units 1, 1e3, 1e6, 1e9 that is not
// above |v|, with three significant digits, sep and that unit's name.
func scaled(v float64, sep string, names [4]string) string {
	unit, name := 1.0, names[0]
	switch a := math.Abs(v); {
	case a >= 1e9:
		unit, name = 1e9, names[3]
	case a >= 1e6:
		unit, name = 1e6, names[2]
	case a >= 1e3:
		unit, name = 1e3, names[1]
	}
	return strconv.FormatFloat(v/unit, 'g', 3, 64) + sep + name
}

// CountAxis sets up an axis of rates or counts: logarithmic when the
// values span more than a factor of 20 (the smallest bars would otherwise
// be invisible next to the largest), linear from zero otherwise. It
// returns whether the axis is logarithmic.
func CountAxis(a *plot.Axis, label string, values []float64) bool {
	min, max := math.Inf(1), 0.0
	for _, v := range values {
		if v > 0 {
			min = math.Min(min, v)
		}
		max = math.Max(max, v)
	}
	if max > 0 && max/min >= 20 {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = LogTicks{Format: CountTick}
		a.Label.Text = label + " (log scale)"
		return true
	}
	a.Tick.Marker = CountTicks{}
	a.Label.Text = label
	a.Min = 0
	return false
}

// DurTick labels a duration in nanoseconds: "1 µs", "20 ms".
func DurTick(ns float64) string {
	return scaled(ns, " ", [4]string{"ns", "µs", "ms", "s"})
}

// UseLogDurations puts a duration axis (values in ns) on a log scale.
func UseLogDurations(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = LogTicks{Format: DurTick}
}

// NominalX labels the x positions 0..n-1 with names, slanted when they
// would not fit side by side.
func NominalX(p *plot.Plot, names []string, widthPerName vg.Length) {
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

// Bars draws one series of vertical bars at data positions Xs, optionally
// with whiskers. Unlike plotter.BarChart, the bars rise from the bottom of the
// axis, so they also work on a log axis, and their width is in data units,
// so groups of bars line up with nominal ticks.
type Bars struct {
	Xs, Ys []float64
	Lo, Hi []float64 // whiskers; nil for none, NaN for none at a bar
	Width  float64   // in data units
	Style  Style
	// Pale draws the bars white, hatched in the colour (compare: the
	// change is not significant).
	Pale    bool
	LogBase bool // the y axis is logarithmic: values <= 0 are not drawn
	// ZeroStub draws a value of exactly 0 on a linear axis as a flat stub
	// in the bar colour, so that "0" stays distinct from "not measured".
	ZeroStub bool
}

func (b *Bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	bottom := 0.0
	if b.LogBase || p.Y.Min > 0 {
		bottom = p.Y.Min
	}
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	for i, x := range b.Xs {
		y := b.Ys[i]
		if math.IsNaN(y) || (b.LogBase && y <= 0) {
			continue
		}
		top := math.Min(math.Max(y, p.Y.Min), p.Y.Max)
		r := vg.Rectangle{
			Min: vg.Point{X: trX(x - b.Width/2), Y: trY(bottom)},
			Max: vg.Point{X: trX(x + b.Width/2), Y: trY(top)},
		}
		if y == 0 && !b.LogBase {
			if !b.ZeroStub {
				continue
			}
			r.Max.Y = r.Min.Y + vg.Points(2)
		}
		FillBar(&c, r, b.Style, b.Pale)
		if b.Lo == nil || math.IsNaN(b.Lo[i]) || math.IsNaN(b.Hi[i]) {
			continue
		}
		lo, hi := b.Lo[i], b.Hi[i]
		if b.LogBase && lo <= 0 {
			lo = p.Y.Min
		}
		lo, hi = math.Max(lo, p.Y.Min), math.Min(hi, p.Y.Max)
		xm, cap := trX(x), (r.Max.X-r.Min.X)/4
		c.StrokeLine2(line, xm, trY(lo), xm, trY(hi))
		c.StrokeLine2(line, xm-cap, trY(lo), xm+cap, trY(lo))
		c.StrokeLine2(line, xm-cap, trY(hi), xm+cap, trY(hi))
	}
}

func (b *Bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	ymin, ymax = math.Inf(1), math.Inf(-1)
	if !b.LogBase {
		ymin = 0
	}
	for i, x := range b.Xs {
		xmin, xmax = math.Min(xmin, x-b.Width/2), math.Max(xmax, x+b.Width/2)
		for _, y := range []float64{b.Ys[i], at(b.Lo, i), at(b.Hi, i)} {
			if math.IsNaN(y) || (b.LogBase && y <= 0) {
				continue
			}
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if b.LogBase && !math.IsInf(ymin, 0) {
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

// BarLabels writes each text centred above its point: the value of a bar.
type BarLabels struct{ *PointLabels }

func (l *BarLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := l.style
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	for i, s := range l.texts {
		c.FillText(sty, vg.Point{X: trX(l.xs[i]), Y: trY(l.ys[i]) + vg.Points(3)}, s)
	}
}
