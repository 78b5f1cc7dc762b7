package report

import (
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/figure"
	"github.com/authbench/authbench/internal/results"
)

// drawnTexts draws f on a canvas that only records (no pixels, so it is
// cheap under -race) and returns every string written on it.
func drawnTexts(t *testing.T, f *figure.Figure) []string {
	t.Helper()
	rec := &recorder.Canvas{}
	f.Draw(draw.NewCanvas(rec, f.Width, f.Height))
	var out []string
	for _, a := range rec.Actions {
		if fs, ok := a.(*recorder.FillString); ok {
			out = append(out, fs.String)
		}
	}
	return out
}

func hasText(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// allBackends is the 17 backends of scenarios/compare.yaml, with figures
// so close that their points crowd one corner of the trade-off chart.
func allBackends() []fxBackend {
	var out []fxBackend
	for i, e := range backends.All() {
		out = append(out, fxBackend{info: e.Info, p50: 3000 + 40*float64(i), tail: 3, thr: 2e5, scale: 1.5,
			token: 300, share: 1, expP99: 9000 + 50*float64(i), expires: true})
	}
	return out
}

func smallFx() fxOptions {
	o := defaultFx()
	o.clients, o.repeats, o.samples = []int{4}, 1, 200
	return o
}

// The trade-off chart of 17 backends with close figures: every label is
// placed, none overlaps another or a point, on the chart as drawn.
func TestTradeoffLabelsDoNotOverlap(t *testing.T) {
	bs := allBackends()
	if len(bs) < 17 {
		t.Fatalf("%d backends registered, want the 17 of the compare scenario", len(bs))
	}
	s := buildFixture(t, "", bs, smallFx())
	v := newView(s)
	f, labels, why := v.exposureScatter(costAxis{
		name: "tradeoff", title: "t", label: "x",
		cost: func(b string) (float64, bool) { return v.stats[v.headline][b].p99, true },
	})
	if f == nil {
		t.Fatal(why)
	}
	drawnTexts(t, f)
	placed := labels.Placements()
	if len(placed) != len(bs) {
		t.Fatalf("%d labels placed, want %d", len(placed), len(bs))
	}
	leaders := 0
	for i, p := range placed {
		if p.Dropped {
			t.Errorf("label %d (%s) dropped", i, bs[i].info.Name)
		}
		if p.Leader {
			leaders++
		}
		for j := range i {
			if figure.Overlap(p.Rect, placed[j].Rect) {
				t.Errorf("labels of %s and %s overlap: %v, %v", bs[i].info.Name, bs[j].info.Name, p.Rect, placed[j].Rect)
			}
		}
	}
	if leaders == 0 {
		t.Error("no label needed a leader line: the fixture is not crowded enough to test anything")
	}
}

// withTTL sets every run's token.ttl.
func withTTL(s *results.Summary, ttl string) {
	for i := range s.Runs {
		s.Runs[i].Params["token.ttl"] = ttl
	}
}

// When tokens outlive the runs, the exposure charts draw the end of the
// run as a line, labelled, and their captions say what it means; when the
// TTL is shorter than a run, neither.
func TestExposureCutOffDrawn(t *testing.T) {
	bs := []fxBackend{fxHS256(), fxSessionMemory()}
	for _, tc := range []struct {
		ttl  string
		want bool
	}{{"15m0s", true}, {"5s", false}} {
		s := buildFixture(t, "", bs, smallFx()) // 10 s runs
		withTTL(s, tc.ttl)
		v := newView(s)
		cut, ok := v.exposureCutOff()
		if ok != tc.want {
			t.Fatalf("ttl %s: cut off %v, want %v", tc.ttl, ok, tc.want)
		}
		if ok && (cut.loadNS != 10e9 || cut.label() != "end of run (10.0 s incl. warm-up): exposure cut off here; token TTL 15m") {
			t.Errorf("cut off at %g ns, label %q", cut.loadNS, cut.label())
		}
		for _, build := range []func() (*figure.Figure, string){v.revocationFigure, v.tradeoffFigure} {
			f, why := build()
			if f == nil {
				t.Fatal(why)
			}
			texts := drawnTexts(t, f)
			if got := hasText(texts, "exposure cut off here"); got != tc.want {
				t.Errorf("ttl %s: %s draws the cut-off line: %v, want %v", tc.ttl, f.Name, got, tc.want)
			}
			if got := strings.Contains(f.Caption, "Tokens live 15m, longer than the runs"); got != tc.want {
				t.Errorf("ttl %s: %s caption %q", tc.ttl, f.Name, f.Caption)
			}
		}
	}
	// The load's wall time, when recorded, is the end of the run: it
	// includes the warm-up, during which revocations already happen.
	s := buildFixture(t, "", bs, smallFx())
	withTTL(s, "15m0s")
	for i := range s.Runs {
		s.Runs[i].CPU = &results.CPU{Validations: 1000, WallS: 12.5, ProcessUSPerValidate: 3}
	}
	if cut, ok := newView(s).exposureCutOff(); !ok || cut.loadNS != 12.5e9 {
		t.Errorf("cut off %v at %g ns, want the recorded 12.5 s", ok, cut.loadNS)
	}
}

// The CPU trade-off chart is drawn from the recorded CPU figures, notes
// the backends without them, and is skipped when no run recorded any.
func TestTradeoffCPU(t *testing.T) {
	bs := []fxBackend{fxHS256(), fxSessionRedis(), fxSessionMemory()}
	s := buildFixture(t, "", bs, smallFx())
	if f, why := newView(s).tradeoffCPUFigure(); f != nil || !strings.Contains(why, "did not record CPU time") {
		t.Errorf("without CPU figures: chart %v, reason %q", f, why)
	}
	for i := range s.Runs {
		r := &s.Runs[i]
		switch r.Backend {
		case "jwt-hs256":
			r.CPU = &results.CPU{Validations: 1000, ProcessUSPerValidate: 4}
		case "session-redis":
			r.CPU = &results.CPU{Validations: 1000, ProcessUSPerValidate: 20, StoreMeasured: true, StoreUSPerValidate: 15}
		}
	}
	v := newView(s)
	f, why := v.tradeoffCPUFigure()
	if f == nil {
		t.Fatal(why)
	}
	if got := strings.Join(f.Series, ","); got != "jwt-hs256,session-redis" {
		t.Errorf("series %s, want the backends with CPU figures", got)
	}
	if !strings.Contains(strings.Join(f.Notes, "\n"), "session-memory: CPU time not measured, not drawn") {
		t.Errorf("notes %q do not name the backend without CPU figures", f.Notes)
	}
	// session-redis sits at authbench's 20 µs plus redis-server's 15,
	// with a line from 20 µs; jwt-hs256 at its 4 µs, with no line.
	if x, ok := v.cpuCost("session-redis"); !ok || x != 35e3 {
		t.Errorf("session-redis at %g ns (%v), want 35 µs", x, ok)
	}
	if x, ok := v.cpuOwnPart("session-redis"); !ok || x != 20e3 {
		t.Errorf("session-redis's own part %g ns (%v), want 20 µs", x, ok)
	}
	if x, ok := v.cpuCost("jwt-hs256"); !ok || x != 4e3 {
		t.Errorf("jwt-hs256 at %g ns (%v), want 4 µs", x, ok)
	}
	if _, ok := v.cpuOwnPart("jwt-hs256"); ok {
		t.Error("jwt-hs256 has no store, yet a store share is drawn")
	}
	if _, ok := v.cpuCost("session-memory"); ok {
		t.Error("session-memory has a CPU cost without CPU figures")
	}
	if !strings.Contains(f.Caption, "one core busy per 100k validations/s") || !hasText(drawnTexts(t, f), "session-redis") {
		t.Errorf("CPU trade-off caption %q", f.Caption)
	}
}

// The spectrum's caption speaks of the open model only for open-model runs.
func TestSpectrumCaptionModel(t *testing.T) {
	for _, model := range []string{"closed", "open"} {
		s := buildFixture(t, "", []fxBackend{fxHS256()}, smallFx())
		for i := range s.Runs {
			s.Runs[i].Model = model
		}
		h := hdrhistogram.New(1, 1e9, 3)
		for i := range 100 {
			h.RecordValue(int64(1000 + i))
		}
		f, why := newView(s).spectrumFigure(map[string]*hdrhistogram.Histogram{"jwt-hs256": h})
		if f == nil {
			t.Fatal(why)
		}
		if got := strings.Contains(f.Caption, "open model"); got != (model == "open") {
			t.Errorf("%s-model run: caption %q", model, f.Caption)
		}
	}
}

// Past eight backends the line charts become small multiples: a panel
// per family, in the order of `authbench list`, on shared axes, the
// legend grouped the same way; at eight or fewer, one panel as before.
func TestSmallMultiples(t *testing.T) {
	o := defaultFx()
	o.repeats, o.samples = 1, 100
	s := buildFixture(t, "", allBackends(), o)
	v := newView(s)
	families := "calibration,jwt,jwe,session,hybrid"
	var got []string
	for _, fc := range v.facets(v.backends) {
		got = append(got, fc.family)
	}
	if strings.Join(got, ",") != families {
		t.Fatalf("facets %v, want %s", got, families)
	}
	hists := map[string]*hdrhistogram.Histogram{}
	for _, b := range v.backends {
		h := hdrhistogram.New(1, 1e9, 3)
		for i := range 50 {
			h.RecordValue(int64(1000 * (i + 1)))
		}
		hists[b] = h
	}
	spectrum, why := v.spectrumFigure(hists)
	if spectrum == nil {
		t.Fatal(why)
	}
	timeline, why := v.timelineFigure()
	if timeline == nil {
		t.Fatal(why)
	}
	sweeps, _ := v.sweepFigures()
	if len(sweeps) != 1 {
		t.Fatalf("%d sweep charts, want 1", len(sweeps))
	}
	for _, tc := range []struct {
		f       *figure.Figure
		metrics int
	}{{spectrum, 1}, {sweeps[0], 2}, {timeline, 2}} {
		var titles []string
		panels := 0
		for _, row := range tc.f.Plots {
			for _, p := range row {
				if p == nil {
					continue
				}
				panels++
				titles = append(titles, p.Title.Text)
			}
		}
		// The timeline adds one panel of logouts, the same for all.
		want := 5 * tc.metrics
		if tc.f == timeline {
			want++
		}
		if panels != want {
			t.Errorf("%s: %d panels %q, want %d", tc.f.Name, panels, titles, want)
		}
		for i, fam := range strings.Split(families, ",") {
			if !strings.HasPrefix(titles[i*tc.metrics], fam) {
				t.Errorf("%s: panel %d titled %q, want family %s", tc.f.Name, i*tc.metrics, titles[i*tc.metrics], fam)
			}
		}
		// Every family panel of a metric shares its axes.
		for m := range tc.metrics {
			var first *plot.Plot
			for i := range 5 {
				p := familyPanel(tc.f, i, tc.metrics, m)
				if first == nil {
					first = p
					continue
				}
				if p.Y.Min != first.Y.Min || p.Y.Max != first.Y.Max || p.X.Min != first.X.Min || p.X.Max != first.X.Max {
					t.Errorf("%s: panel %q has axes %v..%v × %v..%v, %q has %v..%v × %v..%v", tc.f.Name,
						p.Title.Text, p.X.Min, p.X.Max, p.Y.Min, p.Y.Max, first.Title.Text, first.X.Min, first.X.Max, first.Y.Min, first.Y.Max)
				}
			}
		}
		if len(tc.f.Series) != 17 || tc.f.Series[0] != "noop" || tc.f.Series[2] != "jwt-eddsa" {
			t.Errorf("%s: legend %v, want the 17 backends grouped by family", tc.f.Name, tc.f.Series)
		}
		if !strings.Contains(tc.f.Caption, "One panel per backend family") {
			t.Errorf("%s: caption %q does not explain the panels", tc.f.Name, tc.f.Caption)
		}
		texts := drawnTexts(t, tc.f)
		if tc.f != spectrum && !hasText(texts, "jwt-denylist-pubsub") {
			t.Errorf("%s: lines not named at their ends", tc.f.Name)
		}
	}

	// Eight backends: one panel, as before.
	few := buildFixture(t, "", allBackends()[:8], o)
	fv := newView(few)
	if fs := fv.facets(fv.backends); len(fs) != 1 || split(fs) {
		t.Errorf("8 backends split into %v", fs)
	}
	f, _ := fv.timelineFigure()
	if len(f.Plots) != 3 || len(f.Plots[0]) != 1 || strings.Contains(f.Caption, "family") {
		t.Errorf("timeline of 8 backends: %d×%d panels, caption %q", len(f.Plots), len(f.Plots[0]), f.Caption)
	}
}

// familyPanel finds family i's panel of metric m, whatever the layout.
func familyPanel(f *figure.Figure, i, metrics, m int) *plot.Plot {
	if metrics == 1 {
		cols := len(f.Plots[0])
		return f.Plots[i/cols][i%cols]
	}
	return f.Plots[i][m]
}
