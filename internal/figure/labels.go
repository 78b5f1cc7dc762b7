package figure

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Placement is where PlaceLabels put one label.
type Placement struct {
	// Rect is the label's box; zero when Dropped.
	Rect vg.Rectangle
	// Leader is set when the label sits away from its point, joined to
	// it by a thin line: every place next to the point was taken.
	Leader bool
	// Dropped is set when there was no free room anywhere in the bounds.
	Dropped bool
}

// labelGap is the space between a point and a label next to it.
const labelGap = vg.Length(6)

// PlaceLabels places one box of sizes[i] for each anchors[i], inside
// bounds, so that no box overlaps another box, the mark (a square of
// half-side mark) of any anchor, or a fixed rectangle. It is a greedy
// search in the order given, deterministic: the same input always gives
// the same placement.
//
// A label first tries the eight places next to its point (right, left,
// above, below, then diagonally). When all are taken it goes to the free
// place nearest its point on a grid over the bounds, preferring one whose
// leader line crosses no label placed before, and is drawn with a leader.
// Only when no free place is left anywhere is it dropped. Placing labels
// this way never lets two overlap, however crowded the points.
func PlaceLabels(anchors, sizes []vg.Point, mark vg.Length, bounds vg.Rectangle, fixed []vg.Rectangle) []Placement {
	obstacles := append([]vg.Rectangle(nil), fixed...)
	for _, a := range anchors {
		obstacles = append(obstacles, squareAround(a, mark))
	}
	var labels []vg.Rectangle
	out := make([]Placement, len(anchors))
	free := func(r vg.Rectangle) bool {
		return inside(r, bounds) && !overlapsAny(r, obstacles) && !overlapsAny(r, labels)
	}
	for i, a := range anchors {
		w, h := sizes[i].X, sizes[i].Y
		var placed bool
		for _, min := range nearCandidates(a, w, h, mark) {
			r := vg.Rectangle{Min: min, Max: vg.Point{X: min.X + w, Y: min.Y + h}}
			if free(r) {
				out[i] = Placement{Rect: r}
				placed = true
				break
			}
		}
		if !placed {
			if r, ok := nearestFree(a, w, h, mark, bounds, free, labels); ok {
				out[i] = Placement{Rect: r, Leader: true}
				placed = true
			}
		}
		if !placed {
			out[i] = Placement{Dropped: true}
			continue
		}
		labels = append(labels, out[i].Rect)
	}
	return out
}

// nearCandidates are the lower-left corners of the places next to a point,
// in order of preference.
func nearCandidates(a vg.Point, w, h, mark vg.Length) []vg.Point {
	g := max(labelGap, mark+2)
	return []vg.Point{
		{X: a.X + g, Y: a.Y - h/2},
		{X: a.X - g - w, Y: a.Y - h/2},
		{X: a.X - w/2, Y: a.Y + g},
		{X: a.X - w/2, Y: a.Y - g - h},
		{X: a.X + g, Y: a.Y + g/2},
		{X: a.X + g, Y: a.Y - g/2 - h},
		{X: a.X - g - w, Y: a.Y + g/2},
		{X: a.X - g - w, Y: a.Y - g/2 - h},
	}
}

// nearestFree finds the free place nearest the point on a grid over the
// bounds, half a label height apart, preferring one whose leader line
// crosses no label already placed.
func nearestFree(a vg.Point, w, h, mark vg.Length, bounds vg.Rectangle, free func(vg.Rectangle) bool, labels []vg.Rectangle) (vg.Rectangle, bool) {
	step := max(h/2, 2)
	type cand struct {
		r    vg.Rectangle
		dist vg.Length
	}
	var cands []cand
	for y := bounds.Min.Y; y+h <= bounds.Max.Y; y += step {
		for x := bounds.Min.X; x+w <= bounds.Max.X; x += step {
			r := vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + w, Y: y + h}}
			cands = append(cands, cand{r: r, dist: distToRect(a, r)})
		}
	}
	// Stable on the grid order (bottom to top, left to right) for equal
	// distances: deterministic.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var fallback *vg.Rectangle
	for i := range cands {
		r := cands[i].r
		if !free(r) {
			continue
		}
		from, to := leaderEnds(a, r, mark)
		if !segmentCrossesAny(from, to, labels) {
			return r, true
		}
		if fallback == nil {
			fallback = &cands[i].r
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return vg.Rectangle{}, false
}

func squareAround(p vg.Point, r vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: p.X - r, Y: p.Y - r}, Max: vg.Point{X: p.X + r, Y: p.Y + r}}
}

// nearestOnRect is the point of r nearest p.
func nearestOnRect(p vg.Point, r vg.Rectangle) vg.Point {
	return vg.Point{X: min(max(p.X, r.Min.X), r.Max.X), Y: min(max(p.Y, r.Min.Y), r.Max.Y)}
}

func distToRect(p vg.Point, r vg.Rectangle) vg.Length {
	q := nearestOnRect(p, r)
	return vg.Length(math.Hypot(float64(q.X-p.X), float64(q.Y-p.Y)))
}

// leaderEnds is the line from the edge of a point's mark to the nearest
// point of its label.
func leaderEnds(a vg.Point, r vg.Rectangle, mark vg.Length) (vg.Point, vg.Point) {
	to := nearestOnRect(a, r)
	d := math.Hypot(float64(to.X-a.X), float64(to.Y-a.Y))
	if d <= float64(mark) {
		return to, to
	}
	f := vg.Length(float64(mark) / d)
	return vg.Point{X: a.X + (to.X-a.X)*f, Y: a.Y + (to.Y-a.Y)*f}, to
}

// segmentCrossesAny reports whether the segment p–q passes through the
// inside of any rectangle (Liang–Barsky clipping).
func segmentCrossesAny(p, q vg.Point, rs []vg.Rectangle) bool {
	for _, r := range rs {
		if segmentCrosses(p, q, r) {
			return true
		}
	}
	return false
}

func segmentCrosses(p, q vg.Point, r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(q.X-p.X), float64(q.Y-p.Y)
	for _, e := range [4][2]float64{
		{-dx, float64(p.X - r.Min.X)}, {dx, float64(r.Max.X - p.X)},
		{-dy, float64(p.Y - r.Min.Y)}, {dy, float64(r.Max.Y - p.Y)},
	} {
		pp, qq := e[0], e[1]
		if pp == 0 {
			if qq <= 0 {
				return false
			}
			continue
		}
		t := qq / pp
		if pp < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
		if t0 >= t1 {
			return false
		}
	}
	return true
}

func inside(r, outer vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Max.X <= outer.Max.X && r.Min.Y >= outer.Min.Y && r.Max.Y <= outer.Max.Y
}

func overlapsAny(r vg.Rectangle, others []vg.Rectangle) bool {
	for _, o := range others {
		if Overlap(r, o) {
			return true
		}
	}
	return false
}

// Overlap reports whether two rectangles share any area.
func Overlap(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// RefLine is a horizontal reference line across a panel with a label at
// its right end, e.g. the end of the run on an exposure axis.
type RefLine struct {
	Y     float64 // in data units
	Label string
}

// refLineColor sets reference lines apart from the data series.
var refLineColor = color.RGBA{0xa0, 0x20, 0x20, 0xff}

// PointLabels names points: a text next to each point, placed by
// PlaceLabels so that no two labels overlap, with a leader line when the
// label had to move away. It also draws reference lines, whose labels the
// point labels avoid.
type PointLabels struct {
	xs, ys []float64
	texts  []string
	lines  []RefLine
	style  text.Style
	// Mark is the half-size of the points' markers, kept clear of text.
	Mark vg.Length
	// OnDrop is called with each label that found no room (the point
	// stays, named by the legend); the chart can say so in a note.
	OnDrop func(text string)

	placed []Placement
}

// NewPointLabels returns labels in the charts' 9-point font.
func NewPointLabels() *PointLabels {
	return &PointLabels{Mark: vg.Points(5), style: text.Style{
		Color: color.Black, Font: font.From(plot.DefaultFont, 9),
		XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: plot.DefaultTextHandler,
	}}
}

// Add labels the point (x, y) with s.
func (l *PointLabels) Add(x, y float64, s string) {
	l.xs, l.ys, l.texts = append(l.xs, x), append(l.ys, y), append(l.texts, s)
}

// Line adds a reference line at y.
func (l *PointLabels) Line(y float64, label string) {
	l.lines = append(l.lines, RefLine{Y: y, Label: label})
}

// Placements returns where the last Plot put each label, in the order
// they were added.
func (l *PointLabels) Placements() []Placement { return l.placed }

func (l *PointLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var fixed []vg.Rectangle
	lineStyle := draw.LineStyle{Color: refLineColor, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
	for _, rl := range l.lines {
		y := trY(rl.Y)
		c.StrokeLine2(lineStyle, c.Min.X, y, c.Max.X, y)
		sty := l.style
		sty.Color = refLineColor
		size := sty.Rectangle(rl.Label).Size()
		min := vg.Point{X: c.Max.X - size.X - vg.Points(4), Y: y + vg.Points(2)}
		if min.Y+size.Y > c.Max.Y {
			min.Y = y - vg.Points(2) - size.Y
		}
		c.FillText(sty, min, rl.Label)
		fixed = append(fixed, vg.Rectangle{Min: min, Max: vg.Point{X: min.X + size.X, Y: min.Y + size.Y}})
	}
	// Each box has a margin, so that two labels side by side never read
	// as one name.
	margin := vg.Point{X: vg.Points(2), Y: vg.Points(1)}
	anchors := make([]vg.Point, len(l.xs))
	sizes := make([]vg.Point, len(l.xs))
	for i := range l.xs {
		anchors[i] = vg.Point{X: trX(l.xs[i]), Y: trY(l.ys[i])}
		sz := l.style.Rectangle(l.texts[i]).Size()
		sizes[i] = vg.Point{X: sz.X + 2*margin.X, Y: sz.Y + 2*margin.Y}
	}
	l.placed = PlaceLabels(anchors, sizes, l.Mark, c.Rectangle, fixed)
	leader := draw.LineStyle{Color: color.Gray{Y: 110}, Width: vg.Points(0.6)}
	for i, pl := range l.placed {
		if pl.Dropped {
			if l.OnDrop != nil {
				l.OnDrop(l.texts[i])
			}
			continue
		}
		if pl.Leader {
			from, to := leaderEnds(anchors[i], pl.Rect, l.Mark)
			c.StrokeLine2(leader, from.X, from.Y, to.X, to.Y)
		}
		c.FillText(l.style, pl.Rect.Min.Add(margin), l.texts[i])
	}
}
