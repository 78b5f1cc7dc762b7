package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// comparePair builds two runs to compare: B has 30% more jwt-hs256
// throughput, a slower session-redis, no noop and a JWE backend; both have
// eight repeats, enough for the U test to reject even after adjusting
// for the 24 tests of the comparison.
func comparePair(t *testing.T) (*results.Summary, *results.Summary) {
	return comparePairN(t, 8)
}

func comparePairN(t *testing.T, repeats int) (*results.Summary, *results.Summary) {
	o := defaultFx()
	o.repeats, o.samples = repeats, 500
	a := buildFixture(t, "", fixtureBackends(), o)
	o.seed = 1
	var bs []fxBackend
	for _, b := range append(fixtureBackends(), fxJWE()) {
		switch b.info.Name {
		case "noop":
			continue
		case "jwt-hs256":
			b.thr *= 1.3
		case "session-redis":
			b.p50 *= 2
		}
		bs = append(bs, b)
	}
	return a, buildFixture(t, "", bs, o)
}

func TestCompareGolden(t *testing.T) {
	a, b := comparePair(t)
	c := Compare(a, b)
	c.NameA, c.NameB = "2026-03-01T120000Z-compare", "2026-03-02T120000Z-compare"
	for _, format := range CompareFormats {
		var buf bytes.Buffer
		if err := c.Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		golden(t, "compare."+format, buf.Bytes())
	}
	if err := c.Write(&bytes.Buffer{}, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestCompareVerdicts(t *testing.T) {
	a, b := comparePair(t)
	c := Compare(a, b)
	find := func(metric, backend, point string) Delta {
		for _, d := range c.Deltas {
			if d.Metric == metric && d.Backend == backend && d.Point == point {
				return d
			}
		}
		t.Fatalf("no delta for %s %s %s", metric, backend, point)
		return Delta{}
	}
	hs := find(MetricThroughput, "jwt-hs256", "load.clients=8")
	if !hs.Significant || hs.Note != "" || math.Abs(hs.Change-0.3) > 0.1 {
		t.Errorf("jwt-hs256 throughput: %+v, want a significant change near +30%%", hs)
	}
	if !strings.Contains(hs.Verdict(), "better") {
		t.Errorf("verdict %q, want better", hs.Verdict())
	}
	redis := find(MetricP99, "session-redis", "load.clients=1")
	if !redis.Significant || redis.Change < 0.5 || !strings.Contains(redis.Verdict(), "worse") {
		t.Errorf("session-redis p99: %+v %q, want significantly worse", redis, redis.Verdict())
	}
	if d := find(MetricThroughput, "noop", "load.clients=1"); d.Note != "only in A" || d.NB != 0 {
		t.Errorf("noop: %+v, want only in A", d)
	}
	if d := find(MetricThroughput, "jwe-dir", "load.clients=1"); d.Note != "only in B" {
		t.Errorf("jwe-dir: %+v, want only in B", d)
	}

	// Three repeats: the U test cannot reject, and the comparison says so.
	x := buildFixture(t, "", fixtureBackends(), defaultFx())
	o := defaultFx()
	o.seed = 3
	y := buildFixture(t, "", fixtureBackends(), o)
	for _, d := range Compare(x, y).Deltas {
		if !strings.Contains(d.Note, "need >= 4 samples") || !strings.Contains(d.Verdict(), "too few repeats") {
			t.Fatalf("%s %s: note %q verdict %q, want too few repeats", d.Backend, d.Point, d.Note, d.Verdict())
		}
	}
}

func TestCompareFigure(t *testing.T) {
	a, b := comparePair(t)
	f := Compare(a, b).Figure()
	if f == nil {
		t.Fatal("no figure")
	}
	want := "noop,jwt-hs256,jwt-rs256,session-memory,session-redis,jwt-denylist-pubsub,jwt-refresh"
	// noop is only in A: it has no change and no series.
	want = strings.TrimPrefix(want, "noop,")
	if got := strings.Join(f.Series, ","); got != want {
		t.Errorf("series %s, want %s", got, want)
	}
	if err := f.Save(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	empty := Compare(&results.Summary{}, &results.Summary{})
	if empty.Figure() != nil {
		t.Error("figure for two empty runs")
	}
}

func TestHolm(t *testing.T) {
	// Sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 = 0.04
	// raised to 0.06 (adjusted values never decrease with p).
	got := holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("holm = %v, want %v", got, want)
		}
	}
	if got := holm([]float64{0.5, 0.9}); got[0] != 1 || got[1] != 1 {
		t.Errorf("holm = %v, want values capped at 1", got)
	}
}

// With five repeats a side the smallest possible U-test p is 0.008: alone,
// jwt-hs256's +30% would be significant; adjusted over the 24 tests of the
// comparison it is not, and the output says why.
func TestCompareAdjustsForManyTests(t *testing.T) {
	a, b := comparePairN(t, 5)
	c := Compare(a, b)
	if c.Tests != 24 {
		t.Errorf("%d tests, want 24 (2 metrics × 6 backends in both × 2 points)", c.Tests)
	}
	var hs *Delta
	for i, d := range c.Deltas {
		if d.Metric == MetricThroughput && d.Backend == "jwt-hs256" && d.Point == "load.clients=8" {
			hs = &c.Deltas[i]
		}
	}
	if hs == nil {
		t.Fatal("no jwt-hs256 throughput delta")
	}
	if !(hs.PRaw < 0.05) || hs.P < 0.05 || hs.Significant || !strings.HasPrefix(hs.Verdict(), "~") {
		t.Errorf("jwt-hs256: raw p %.4f, adjusted %.4f, significant %v, verdict %q; want raw < 0.05, adjusted >= 0.05, not significant",
			hs.PRaw, hs.P, hs.Significant, hs.Verdict())
	}
	for _, format := range []string{"text", "markdown"} {
		var buf bytes.Buffer
		if err := c.Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "p-values Holm-adjusted over 24 comparisons") {
			t.Errorf("%s output does not say the p-values are adjusted:\n%s", format, buf.String())
		}
	}
}

// scenarioConfig records a built-in scenario with --set flags as the
// runner does in summary.json.
func scenarioConfig(t *testing.T, sets ...string) map[string]any {
	t.Helper()
	s, err := scenarios.Resolve("compare")
	if err != nil {
		t.Fatal(err)
	}
	if err := scenarios.ApplySets(s, sets); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		*scenarios.Scenario
		Sweep []scenarios.Axis `json:"sweep"`
	}{s, s.Sweep})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCompareSettings(t *testing.T) {
	a, b := comparePairN(t, 4)
	if got := SettingsDiff(a, b); len(got) != 0 {
		t.Errorf("runs with the same settings: diff %v", got)
	}
	var buf bytes.Buffer
	if err := Compare(a, b).Write(&buf, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), sameSettings) {
		t.Errorf("output does not say the settings are the same:\n%s", buf.String())
	}

	a.Config = scenarioConfig(t)
	b.Config = scenarioConfig(t, "duration=1s", "warmup=0s", "repeat=8", "load.model=open", "load.rate=5000",
		"options.jwt-rs256.bits=3072", "sweep.load.clients=[1,4]")
	// An extra point (scenario extra:) run differently.
	extra := b.Config["Extra"].([]any)
	if len(extra) == 0 {
		t.Fatal("compare.yaml has no extra point to change")
	}
	extra[0].(map[string]any)["Repeat"] = 5.0
	b.Machine.Go, b.Machine.GOMAXPROCS, b.Version = "go1.26.9", 1, "v0.2.0"
	got := map[string]Setting{}
	var names []string
	for _, st := range SettingsDiff(a, b) {
		got[st.Name] = st
		names = append(names, st.Name)
	}
	for _, want := range []Setting{
		{"duration", "600ms", "1s"},
		{"warmup", "200ms", "0s"},
		{"repeat", "6", "8"},
		{"load.model", "closed", "open"},
		{"load.rate", "0", "5000"},
		{"options.jwt-rs256.bits", "2048", "3072"},
		{"sweep.load.clients", "1, 8", "1, 4"},
		{extraName(t, a), extraValue(t, a, 3), extraValue(t, a, 5)},
		{"machine.go", "go1.26.8", "go1.26.9"},
		{"machine.gomaxprocs", "2", "1"},
		{"authbench version", "v0.1.0", "v0.2.0"},
	} {
		if g, ok := got[want.Name]; !ok || g != want {
			t.Errorf("setting %s: got %+v, want %+v (all: %v)", want.Name, g, want, names)
		}
	}
	if len(got) != 11 {
		t.Errorf("%d settings differ, want 11: %v", len(got), names)
	}
	// The scenario first, the machine and version last.
	if names[len(names)-1] != "authbench version" || !strings.HasPrefix(names[len(names)-2], "machine.") {
		t.Errorf("settings order %v", names)
	}
	c := Compare(a, b)
	for _, format := range []string{"text", "markdown"} {
		var buf bytes.Buffer
		if err := c.Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		i, j := strings.Index(out, settingsIntro), strings.Index(out, metricTitle(MetricThroughput))
		if i < 0 || j < 0 || i > j || !strings.Contains(out[i:j], "options.jwt-rs256.bits") {
			t.Errorf("%s: settings table missing or after the results:\n%s", format, out)
		}
	}
	if line := c.SettingsLine(); !strings.Contains(line, "different settings (11)") || !strings.Contains(line, "duration 600ms vs 1s") {
		t.Errorf("settings line %q", line)
	}
}

// extraName and extraValue are how the first extra point of a's config
// is named and shown among the settings.
func extraName(t *testing.T, a *results.Summary) string {
	t.Helper()
	var set []string
	for _, kv := range a.Config["Extra"].([]any)[0].(map[string]any)["Set"].([]any) {
		m := kv.(map[string]any)
		set = append(set, m["Path"].(string)+"="+m["Value"].(string))
	}
	return "extra." + strings.Join(set, ",")
}

func extraValue(t *testing.T, a *results.Summary, repeats int) string {
	t.Helper()
	var bs []string
	for _, b := range a.Config["Extra"].([]any)[0].(map[string]any)["Backends"].([]any) {
		bs = append(bs, b.(string))
	}
	return fmt.Sprintf("%s × %d repeats", strings.Join(bs, ", "), repeats)
}

// A summary without a recorded config is compared on what its runs say.
func TestCompareSettingsWithoutConfig(t *testing.T) {
	a, b := comparePairN(t, 4)
	for i := range b.Runs {
		b.Runs[i].DurationS = 5
		b.Runs[i].Model = "open"
	}
	got := map[string]Setting{}
	for _, st := range SettingsDiff(a, b) {
		got[st.Name] = st
	}
	if got["duration"] != (Setting{"duration", "10s", "5s"}) || got["load.model"] != (Setting{"load.model", "closed", "open"}) || len(got) != 2 {
		t.Errorf("settings diff %+v, want duration and load.model", got)
	}
}

// A run by an older authbench does not record settings added since: it
// ran at what is their default now. Only a value other than the default
// on the newer side is a difference.
func TestCompareSettingsOlderVersion(t *testing.T) {
	a, b := comparePairN(t, 4)
	a.Config = scenarioConfig(t)
	b.Config = scenarioConfig(t, "transport=https")
	delete(a.Config, "Transport") // not known to A's authbench
	delete(a.Config, "Require")
	got := SettingsDiff(a, b)
	if len(got) != 1 || got[0] != (Setting{"transport", absent, "https"}) {
		t.Errorf("settings diff %+v, want only transport – → https", got)
	}
	b.Config = scenarioConfig(t)
	if got := SettingsDiff(a, b); len(got) != 0 {
		t.Errorf("settings diff %+v, want none: B's settings A lacks are at their defaults", got)
	}
}
