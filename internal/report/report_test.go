package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/authbench/authbench/internal/figure"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/testutil"
)

// golden compares got with testdata/<name>.golden; -update=<name>
// rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// copyFixture copies the reference run into a temporary folder, since
// Render writes into the folder it reads.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixtureDir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRenderGolden(t *testing.T) {
	dir := copyFixture(t)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", got)

	// Rendering twice gives the same report: nothing depends on the clock.
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !bytes.Equal(got, again) {
		t.Error("report.md differs between two renders of the same run")
	}
	// Every embedded chart exists as a non-empty PNG and SVG.
	for _, line := range strings.Split(string(got), "\n") {
		if !strings.HasPrefix(line, "![") {
			continue
		}
		name := line[strings.Index(line, "](")+2 : len(line)-1]
		for _, f := range []string{name, strings.TrimSuffix(name, ".png") + ".svg"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
				t.Errorf("chart %s missing or empty: %v", f, err)
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, results.SummaryFile), []byte("{"), 0o644)
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join(empty, "missing"), "no such run folder"},
		{empty, "no summary.json"},
		{file, "not a folder"},
		{bad, "summary.json"},
	} {
		err := Render(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Render(%s) = %v, want one line containing %q", tc.dir, err, tc.want)
		}
	}
}

// TestCharts checks each chart builder on the fixture: it draws, its
// files are valid, and it has exactly one series per backend.
func TestCharts(t *testing.T) {
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	figs, skips := Charts(fixtureDir, s)
	if len(skips) != 0 {
		t.Errorf("charts skipped on the full fixture: %v", skips)
	}
	want := []string{"latency-spectrum", "throughput", "percentiles", "sweep-load-clients", "revocation", "tradeoff", "tradeoff-cpu", "timeline", "token-size"}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("charts = %v, want %v", names, want)
	}
	backends := []string{"noop", "jwt-hs256", "session-memory"}
	dir := t.TempDir()
	for _, f := range figs {
		t.Run(f.Name, func(t *testing.T) {
			if strings.Join(f.Series, ",") != strings.Join(backends, ",") {
				t.Errorf("series = %v, want one per backend %v", f.Series, backends)
			}
			if f.Title == "" || f.Caption == "" {
				t.Error("chart without title or caption")
			}
			for _, row := range f.Plots {
				for _, p := range row {
					if p.Y.Label.Text == "" {
						t.Error("panel without a y axis label")
					}
					checkLogAxis(t, p)
				}
			}
			if err := f.Save(dir); err != nil {
				t.Fatal(err)
			}
			pf, err := os.Open(filepath.Join(dir, f.Name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			img, err := png.Decode(pf)
			if err != nil {
				t.Fatalf("PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 400 {
				t.Errorf("PNG is %v, too small to read", b)
			}
			svg, err := os.ReadFile(filepath.Join(dir, f.Name+".svg"))
			if err != nil || !bytes.Contains(svg, []byte("<svg")) {
				t.Errorf("SVG invalid: %v", err)
			}
		})
	}
}

func checkLogAxis(t *testing.T, p *plot.Plot) {
	t.Helper()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if _, ok := a.Scale.(plot.LogScale); ok && !(a.Min > 0) {
			t.Errorf("log axis %q has min %v", a.Label.Text, a.Min)
		}
	}
}

// TestColoursStable checks that a backend keeps its colour in a run
// where other backends are missing: colours follow Summary.Backends.
func TestColoursStable(t *testing.T) {
	s, _ := results.ReadSummary(fixtureDir)
	v := newView(s)
	var runs []results.Run
	for _, r := range s.Runs {
		if r.Backend != "noop" {
			runs = append(runs, r)
		}
	}
	s2 := *s
	s2.Runs = runs
	v2 := newView(&s2)
	for _, b := range v2.backends {
		if v.colorFor(b) != v2.colorFor(b) {
			t.Errorf("%s changes colour when noop has no runs", b)
		}
	}
}

func TestChartsSkipped(t *testing.T) {
	o := defaultFx()
	o.clients, o.replay = []int{4}, false
	s := buildFixture(t, "", fixtureBackends(), o)
	for i := range s.Runs {
		s.Runs[i].Timeline = nil
		s.Runs[i].TokenBytes = 0
	}
	figs, skips := Charts(t.TempDir(), s)
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "throughput,percentiles" {
		t.Errorf("drawn = %v, want throughput,percentiles", names)
	}
	var skipped []string
	for _, sk := range skips {
		skipped = append(skipped, sk.Chart)
	}
	want := "latency spectrum,sweeps,revocation exposure,trade-off,CPU trade-off,timeline,token size"
	if strings.Join(skipped, ",") != want {
		t.Errorf("skipped = %v, want %s", skipped, want)
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, s, figs, skips); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "### Charts not drawn") || !strings.Contains(buf.String(), "| headline point | the only parameter point") {
		t.Errorf("report does not list the skipped charts or the headline:\n%s", buf.String())
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtNS(812), "812 ns"}, {fmtNS(48200), "48.2 µs"}, {fmtNS(1234567), "1.23 ms"}, {fmtNS(0), "0"},
		{fmtCount(98765), "98.8k"}, {fmtCount(1.5e6), "1.50M"}, {fmtInt(1234567), "1,234,567"},
		{fmtRatio(16.2), "16×"}, {fmtRatio(1.34), "1.3×"}, {fmtPct(0.5), "50.0%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestTradeoffZeroBand checks that the fixture's never-exposed backends
// (session stores) put the trade-off chart's y axis on a zero band.
func TestTradeoffZeroBand(t *testing.T) {
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	f, why := newView(s).tradeoffFigure()
	if f == nil {
		t.Fatal(why)
	}
	p := f.Plots[0][0]
	zt, ok := p.Y.Tick.Marker.(figure.ZeroBandTicks)
	if !ok {
		t.Fatalf("y ticks are %T, want figure.ZeroBandTicks", p.Y.Tick.Marker)
	}
	if p.Y.Min != zt.Band.Bottom {
		t.Errorf("y axis starts at %g, want the band's bottom %g", p.Y.Min, zt.Band.Bottom)
	}
	var labels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if len(labels) < 2 || labels[0] != figure.ZeroLabel {
		t.Errorf("y tick labels = %q, want %q first, then regular ones", labels, figure.ZeroLabel)
	}
}

// An open-model run says the target was not met only when requests were
// missed; late requests alone met it.
func TestOpenTargetWording(t *testing.T) {
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	base := s.Runs[0]
	for _, tc := range []struct {
		open      results.Open
		want, not string
	}{
		{results.Open{TargetRate: 10000, AchievedRate: 3982, Late: 3900, Missed: 6018}, "target not met: achieved 3.98k of 10.0k/s, 6,018 missed", "was met"},
		{results.Open{TargetRate: 3000, AchievedRate: 3000, Late: 12}, "12 requests started more than 1 ms late; the target rate of 3.00k/s was met", "not met"},
		{results.Open{TargetRate: 3000, AchievedRate: 3000}, "", "target"},
	} {
		r := base
		o := tc.open
		r.Open = &o
		s2 := *s
		s2.Runs = []results.Run{r}
		got := strings.Join(newView(&s2).warnings(), "\n")
		if tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%+v: warnings %q, want %q", tc.open, got, tc.want)
		}
		if strings.Contains(got, tc.not) {
			t.Errorf("%+v: warnings %q say %q", tc.open, got, tc.not)
		}
	}
}
