package figure

import (
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     string
	}{
		{1e3, 1e6, "1 µs,10 µs,100 µs,1 ms"},
		{2e3, 9e3, "2 µs,5 µs"},
		{150, 800, "200 ns,500 ns"},
	} {
		var got []string
		for _, tk := range (LogTicks{Format: DurTick}).Ticks(tc.min, tc.max) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("Ticks(%v, %v) = %v, want %s", tc.min, tc.max, got, tc.want)
		}
	}
}

// TestStylesDistinct checks that no two of the first 24 backends of a run
// share a colour and style, so every one stays distinguishable.
func TestStylesDistinct(t *testing.T) {
	type key struct {
		c       [4]uint8
		variant int
	}
	seen := map[key]int{}
	for i := range 24 {
		st := StyleFor(i)
		k := key{[4]uint8{st.Color.R, st.Color.G, st.Color.B, st.Color.A}, st.Variant}
		if j, dup := seen[k]; dup {
			t.Errorf("backends %d and %d share colour %v and variant %d", j, i, st.Color, st.Variant)
		}
		seen[k] = i
		if st.Variant >= len(VariantDashes) || (st.Variant > 0) != (st.Dashes != nil) {
			t.Errorf("backend %d: variant %d with dashes %v", i, st.Variant, st.Dashes)
		}
	}
	// Within the palette, colours alone tell backends apart.
	colours := map[[3]uint8]int{}
	for i, c := range Palette {
		if j, dup := colours[[3]uint8{c.R, c.G, c.B}]; dup {
			t.Errorf("Palette entries %d and %d are the same colour", j, i)
		}
		colours[[3]uint8{c.R, c.G, c.B}] = i
	}
}

// TestZeroBandTicks checks that zeros on a log axis get a tick of their
// own, labelled as zero, with no regular tick inside or near the band.
func TestZeroBandTicks(t *testing.T) {
	for _, tc := range []struct{ minPos, max float64 }{
		{520e6, 2.3e9}, // exposures of 0.5 to 2 s: the trade-off chart
		{50e6, 2e9},    // where the band of a fixed depth met the 50 ms tick
		{1e6, 1e6},     // nothing exposed at all
		{3e3, 4e10},    // microseconds to tens of seconds
	} {
		band := NewZeroBand(tc.minPos, tc.max)
		if !(band.Bottom < band.At && band.At < band.Top && band.Top < band.Clear && band.Clear <= tc.minPos) {
			t.Errorf("band %+v for values from %g out of order", band, tc.minPos)
		}
		ticks := ZeroBandTicks{Inner: LogTicks{Format: DurTick}, Band: band}.Ticks(band.Bottom, tc.max)
		zeros := 0
		labelled := 0
		for _, tk := range ticks {
			switch {
			case tk.Label == ZeroLabel:
				zeros++
				if tk.Value != band.At {
					t.Errorf("zero tick at %g, want %g", tk.Value, band.At)
				}
			case tk.Value <= band.Top:
				t.Errorf("tick %q at %g inside the zero band (top %g)", tk.Label, tk.Value, band.Top)
			case tk.Value < band.Clear:
				t.Errorf("tick %q at %g too close to the zero band (clear from %g)", tk.Label, tk.Value, band.Clear)
			case tk.Label != "":
				labelled++
			}
		}
		if zeros != 1 || labelled == 0 {
			t.Errorf("values from %g: %d zero ticks and %d labelled ticks, want 1 and some: %v", tc.minPos, zeros, labelled, ticks)
		}
	}
}

// crowded is 17 labelled points within a few points of each other, the
// way close figures of 17 backends land on a log-log chart.
func crowded() (anchors, sizes []vg.Point) {
	names := []string{"noop", "sleep", "session-memory", "jwt-hs256", "jwt-rs256", "jwt-es256", "jwt-eddsa",
		"jwe-dir", "jwe-rsa-oaep", "jwe-ecdh-es", "jwe-nested", "session-redis", "session-redis-cached",
		"jwt-denylist-memory", "jwt-denylist-redis", "jwt-denylist-pubsub", "jwt-refresh"}
	for i, n := range names {
		anchors = append(anchors, vg.Point{X: vg.Length(200 + 3*(i%5)), Y: vg.Length(150 + 2*(i%4))})
		sizes = append(sizes, vg.Point{X: vg.Length(5 * len(n)), Y: 11})
	}
	return anchors, sizes
}

// TestPlaceLabelsNeverOverlap checks the label placement on a crowded
// chart: no two label boxes overlap, none covers a point or a fixed box,
// all stay inside the bounds, none is dropped while there is room, and
// the placement is the same every time.
func TestPlaceLabelsNeverOverlap(t *testing.T) {
	anchors, sizes := crowded()
	bounds := vg.Rectangle{Max: vg.Point{X: 500, Y: 300}}
	fixed := []vg.Rectangle{{Min: vg.Point{X: 380, Y: 200}, Max: vg.Point{X: 500, Y: 212}}} // a reference line's label
	const mark = 5
	got := PlaceLabels(anchors, sizes, mark, bounds, fixed)
	leaders := 0
	for i, p := range got {
		if p.Dropped {
			t.Fatalf("label %d dropped with room to spare", i)
		}
		if p.Leader {
			leaders++
		}
		if !inside(p.Rect, bounds) {
			t.Errorf("label %d at %v outside the bounds", i, p.Rect)
		}
		if sz := p.Rect.Size(); sz != sizes[i] {
			t.Errorf("label %d is %v, want its size %v", i, sz, sizes[i])
		}
		for j := range i {
			if Overlap(p.Rect, got[j].Rect) {
				t.Errorf("labels %d %v and %d %v overlap", i, p.Rect, j, got[j].Rect)
			}
		}
		for j, a := range anchors {
			if Overlap(p.Rect, squareAround(a, mark)) {
				t.Errorf("label %d covers point %d", i, j)
			}
		}
		if overlapsAny(p.Rect, fixed) {
			t.Errorf("label %d covers the fixed box", i)
		}
	}
	if leaders == 0 {
		t.Error("17 labels within a few points placed without a single leader line: the input is not crowded")
	}
	again := PlaceLabels(anchors, sizes, mark, bounds, fixed)
	for i := range got {
		if got[i] != again[i] {
			t.Fatalf("label %d placed at %v, then at %v: not deterministic", i, got[i], again[i])
		}
	}
	// No room at all: labels are dropped, never stacked.
	tiny := vg.Rectangle{Min: vg.Point{X: 190, Y: 140}, Max: vg.Point{X: 260, Y: 170}}
	dropped := 0
	var boxes []vg.Rectangle
	for _, p := range PlaceLabels(anchors, sizes, mark, tiny, nil) {
		if p.Dropped {
			dropped++
			continue
		}
		if overlapsAny(p.Rect, boxes) {
			t.Errorf("label at %v overlaps another in a full chart", p.Rect)
		}
		boxes = append(boxes, p.Rect)
	}
	if dropped == 0 {
		t.Error("17 labels fit into a 70×30 pt box")
	}
}

func TestSegmentCrosses(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 10, Y: 10}, Max: vg.Point{X: 20, Y: 20}}
	for _, tc := range []struct {
		p, q vg.Point
		want bool
	}{
		{vg.Point{X: 0, Y: 15}, vg.Point{X: 30, Y: 15}, true},
		{vg.Point{X: 0, Y: 0}, vg.Point{X: 30, Y: 30}, true},
		{vg.Point{X: 0, Y: 25}, vg.Point{X: 30, Y: 25}, false},
		{vg.Point{X: 0, Y: 15}, vg.Point{X: 9, Y: 15}, false},
		{vg.Point{X: 0, Y: 15}, vg.Point{X: 10, Y: 15}, false}, // touches the edge only
	} {
		if got := segmentCrosses(tc.p, tc.q, r); got != tc.want {
			t.Errorf("segment %v–%v crosses: %v, want %v", tc.p, tc.q, got, tc.want)
		}
	}
}
