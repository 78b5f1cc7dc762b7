package figure

import (
	"strings"
	"testing"
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
