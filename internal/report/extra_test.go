package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
)

// withExtraPoints builds a summary shaped like compare.yaml: a grid over
// load.clients (the given values) at gridRepeats, then extra points at 3
// repeats, each run marked as the runner marks it (Extra lists the paths
// the point sets; Point names the swept ones first).
func withExtraPoints(gridRepeats int, clients []string, grid []sb, extras ...spt) *results.Summary {
	var pts []spt
	for _, c := range clients {
		pts = append(pts, spt{params: map[string]string{"load.clients": c}, backends: grid})
	}
	s := synth(gridRepeats, pts...)
	if len(clients) == 1 {
		s.Sweep = []string{"load.clients"} // synth sweeps nothing for one point
		for i := range s.Runs {
			s.Runs[i].Point = "load.clients=" + clients[0]
		}
	}
	for i, e := range extras {
		paths := []string{"load.clients"}
		label := "load.clients=8"
		for k, v := range e.params {
			paths = append(paths, k)
			label += "," + k + "=" + v
		}
		x := synth(3, e)
		for _, r := range x.Runs {
			r.ID = fmt.Sprintf("x%d-%s", i, r.ID)
			r.Point, r.Extra = label, paths
			s.Runs = append(s.Runs, r)
		}
		for _, b := range x.Backends {
			if !contains(backendNames(s), b.Name) {
				s.Backends = append(s.Backends, b)
			}
		}
	}
	return s
}

func backendNames(s *results.Summary) []string {
	var out []string
	for _, b := range s.Backends {
		out = append(out, b.Name)
	}
	return out
}

// TestExtraPointsAnswerClaims: the grid at six repeats keeps the headline
// (its significance tests run), while a short-lived-token point and a
// three-node point, each run by a few backends at three repeats, answer
// the refresh and distributed claims.
func TestExtraPointsAnswerClaims(t *testing.T) {
	shortJWT := with(hs256(), func(b *sb) { b.expP99, b.logins = 140, 3000 })
	refresh := sb{name: "jwt-refresh", fam: "hybrid", hasStore: true, p50: 5000, p99: 20000, thr: 200e3,
		replayed: 500, exposed: 500, expP99: 120, logins: 30, refreshes: 2700, loginP50: 6000, refreshP50: 4000, token: jwsShape}
	grid := []sb{hs256(), sessRedis(), sessMemory(), refresh}
	s := withExtraPoints(6, []string{"1", "8"}, grid,
		spt{params: map[string]string{"token.ttl": "100ms"}, backends: []sb{shortJWT, refresh}},
		spt{params: map[string]string{"cluster.nodes": "3"}, backends: []sb{hs256(), with(sessMemory(), func(b *sb) { b.falseRejects = 50_000 }), sessRedis()}})
	v := newView(s)
	if v.headline != "load.clients=8" {
		t.Fatalf("headline %q, want the grid's load.clients=8 (points %v)", v.headline, v.points)
	}
	claims := CheckClaims(s)
	for i, want := range []struct {
		verdict  Verdict
		evidence string
	}{
		1: {Qualified, "adds latency for session-redis; not for session-memory"}, // decided: six repeats
		// The headline's tokens outlive the runs; the note points at the
		// point where they do not.
		2: {Supported, "at load.clients=8,token.ttl=100ms tokens expire within the run: see the refresh claim"},
		4: {Supported, "jwt-refresh at token.ttl=100ms: exposure p99 120 ms (bound 125 ms; jwt-hs256 at the same lifetime 140 ms;"},
		6: {Supported, "3 nodes, random routing"},
	} {
		if want.verdict == "" {
			continue
		}
		if c := claims[i]; c.Verdict != want.verdict || !strings.Contains(c.Evidence, want.evidence) {
			t.Errorf("%q: %q, want %q with %q; evidence: %s", c.Claim, c.Verdict, want.verdict, want.evidence, c.Evidence)
		}
	}
	if got, want := v.planShape(), "4 backends × 2 parameter points × 6 repeats = 48 runs, plus 2 extra points outside the sweep: "; !strings.HasPrefix(got, want) {
		t.Errorf("plan %q, want it to start with %q", got, want)
	}
	if got := v.planShape(); !strings.Contains(got, "(2 backends × 3 repeats = 6 runs)") || !strings.HasSuffix(got, "63 runs in all") {
		t.Errorf("plan %q lacks the extra points' shape or the total", got)
	}
}

// TestExtraPointNeverHeadline: an extra point whose swept value sorts last
// (load.clients=16 for one backend) is still not the headline, and the
// sweep charts draw only the grid's points.
func TestExtraPointNeverHeadline(t *testing.T) {
	s := withExtraPoints(6, []string{"8"}, []sb{hs256(), sessRedis()},
		spt{params: map[string]string{"cluster.nodes": "3"}, backends: []sb{hs256()}})
	for i := range s.Runs {
		if len(s.Runs[i].Extra) > 0 {
			s.Runs[i].Params["load.clients"] = "16"
			s.Runs[i].Point = "load.clients=16,cluster.nodes=3"
		}
	}
	v := newView(s)
	if v.headline != "load.clients=8" {
		t.Errorf("headline %q, want load.clients=8 (points %v)", v.headline, v.points)
	}
	if last := v.points[len(v.points)-1]; last != "load.clients=16,cluster.nodes=3" {
		t.Errorf("points %v: the extra point is not listed after the grid", v.points)
	}
	// One value in the grid: no sweep chart, whatever the extra point.
	figs, skips := v.sweepFigures()
	if len(figs) != 0 || len(skips) != 1 || !strings.Contains(skips[0].Reason, "fewer than two values") {
		t.Errorf("sweep charts drew an extra point: %d figures, skips %v", len(figs), skips)
	}
}
