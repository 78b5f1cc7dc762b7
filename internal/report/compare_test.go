package report

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
)

// comparePair builds two runs to compare: B has 30% more jwt-hs256
// throughput, a slower session-redis, no noop and a JWE backend; both have
// five repeats, enough for the U test to reject.
func comparePair(t *testing.T) (*results.Summary, *results.Summary) {
	o := defaultFx()
	o.repeats, o.samples = 5, 500
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
