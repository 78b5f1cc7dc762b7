package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"
)

// Verdict is what a run's numbers say about a claim.
type Verdict string

const (
	Supported   Verdict = "supported"
	Refuted     Verdict = "refuted"
	NotMeasured Verdict = "not measured in this run"
)

// Claim is one row of the claim table of DESIGN.md, checked against a run.
type Claim struct {
	// Claim is the statement of the source note.
	Claim string
	// Evidence is the measured figures the verdict rests on, computed
	// from the run; for NotMeasured, what the run lacked.
	Evidence string
	Verdict  Verdict
}

// Thresholds of the verdict rules. A latency gap below slowerBy is within
// what scheduling noise and CPU frequency produce between two backends
// doing the same work, so it does not count as "adds latency".
const (
	slowerBy = 1.10
	// shorterBy: a hybrid "limits the damage" when its exposure p99 is at
	// most this share of plain JWT's.
	shorterBy = 0.5
)

// CheckClaims checks every claim of the source note against s.
func CheckClaims(s *Summary) []Claim { return newView(s).claims() }

func (v *view) claims() []Claim {
	return []Claim{
		v.claimStateless(),
		v.claimSessionLatency(),
		v.claimStolenJWT(),
		v.claimDenylist(),
		v.claimRefresh(),
		v.claimSessionRevocation(),
		v.claimDistributed(),
		v.claimJWE(),
	}
}

// family lists the headline backends of a family.
func (v *view) family(fam string) []string {
	var out []string
	for _, b := range v.headlineBackends() {
		if v.info[b].Family == fam {
			out = append(out, b)
		}
	}
	return out
}

func (v *view) st(b string) *stat { return v.stats[v.headline][b] }

// fastestJWT is the reference stateless backend: the plain JWT with the
// lowest validate p50 at the headline point, the best case for JWT.
func (v *view) fastestJWT() string {
	best := ""
	for _, b := range v.family("jwt") {
		if best == "" || v.st(b).p50 < v.st(best).p50 {
			best = b
		}
	}
	return best
}

func (v *view) where() string {
	if v.headline == "" {
		return ""
	}
	return " at " + v.headline
}

// claimStateless: "JWT is stateless, the server keeps no record".
// Rule: supported when every plain JWT backend validates with 0 store
// look-ups and ends the run with an empty store; refuted when one of them
// looks up a store or keeps entries. Sessions are shown for contrast.
func (v *view) claimStateless() Claim {
	c := Claim{Claim: "JWT is stateless, the server keeps no record"}
	jwts := v.family("jwt")
	if len(jwts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no plain JWT backend ran"
		return c
	}
	var parts []string
	c.Verdict = Supported
	for _, b := range jwts {
		st := v.st(b)
		parts = append(parts, fmt.Sprintf("%s: %s look-ups per validation, %s store entries", b, trimFloat(st.lookups), trimFloat(st.storeEntries)))
		if st.lookups > 0 || st.storeEntries > 0 {
			c.Verdict = Refuted
		}
	}
	for _, b := range v.family("session") {
		st := v.st(b)
		parts = append(parts, fmt.Sprintf("vs %s: %s look-ups, %s entries", b, trimFloat(st.lookups), trimFloat(st.storeEntries)))
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// claimSessionLatency: "sessions need a database hit per request, adding
// latency under high traffic". Rule, at the headline point (the highest
// load): take the session backend with the highest p50 that looks up a
// store, and the fastest plain JWT; supported when the session's p50 is
// at least slowerBy × the JWT's and, when there are enough repeats for
// the test to tell, the per-repeat p50s differ significantly (Mann-Whitney
// U); refuted otherwise.
func (v *view) claimSessionLatency() Claim {
	c := Claim{Claim: "sessions need a database hit per request, adding latency under high traffic"}
	jwt := v.fastestJWT()
	sess := ""
	for _, b := range v.family("session") {
		if v.st(b).lookups >= 1 && (sess == "" || v.st(b).p50 > v.st(sess).p50) {
			sess = b
		}
	}
	if jwt == "" || sess == "" {
		c.Verdict, c.Evidence = NotMeasured, "needs a plain JWT backend and a session backend with a store look-up"
		return c
	}
	s, j := v.st(sess), v.st(jwt)
	r := ratioOf(s.p50, j.p50)
	c.Evidence = fmt.Sprintf("%s p50 = %s vs %s p50 = %s (%s)%s; p99 %s vs %s; throughput %s/s vs %s/s",
		sess, fmtNS(s.p50), jwt, fmtNS(j.p50), fmtRatio(r), v.where(),
		fmtNS(s.p99), fmtNS(j.p99), fmtCount(s.thr.Center), fmtCount(j.thr.Center))
	if len(v.points) > 1 {
		lo := v.points[0]
		if sl, ok := v.stats[lo][sess]; ok {
			if jl, ok := v.stats[lo][jwt]; ok {
				c.Evidence += fmt.Sprintf("; at %s: %s vs %s (%s)", lo, fmtNS(sl.p50), fmtNS(jl.p50), fmtRatio(ratioOf(sl.p50, jl.p50)))
			}
		}
	}
	c.Verdict = Refuted
	if r >= slowerBy {
		c.Verdict = Supported
		if cmp, ok := significance(s.p50Vals, j.p50Vals); ok && cmp.P > cmp.Alpha {
			c.Verdict = Refuted
			c.Evidence += fmt.Sprintf("; p50 difference not significant (%s)", cmp)
		}
	}
	return c
}

// claimStolenJWT: "a stolen JWT stays valid after logout until it
// expires". Rule: supported when every plain JWT backend whose revoked
// tokens were replayed accepted some of them after the logout; refuted
// when one accepted none.
func (v *view) claimStolenJWT() Claim {
	c := Claim{Claim: "a stolen JWT stays valid after logout until it expires"}
	var parts []string
	c.Verdict = Supported
	for _, b := range v.family("jwt") {
		st := v.st(b)
		if !st.hasReplays() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s replayed revoked tokens accepted, exposure p99 = %s (max %s)",
			b, fmtPct(st.exposedShare), fmtInt(st.replayed), fmtMS(st.expP99), fmtMS(st.expMax)))
		if st.exposedShare == 0 {
			c.Verdict = Refuted
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no revoked plain JWT was replayed (needs revocation.rate and revocation.replay above 0)"
		return c
	}
	c.Evidence = strings.Join(parts, "; ") + v.cutOffByRun()
	return c
}

// cutOffByRun warns, for the headline point, when tokens outlive the runs:
// an exposure window can then only end with the run, so it measures the
// run's length, not the token's lifetime.
func (v *view) cutOffByRun() string {
	r := v.pointRun(v.headline)
	if r == nil || r.DurationS <= 0 {
		return ""
	}
	ttlText, ok := v.param(r, "token.ttl")
	if !ok {
		return ""
	}
	ttl, err := time.ParseDuration(ttlText)
	if err != nil || ttl.Seconds() <= r.DurationS {
		return ""
	}
	note := fmt.Sprintf(" (token.ttl %s outlives the %.3g s runs: these windows end with the run, not with the token's expiry", ttl, r.DurationS)
	if !slices.Contains(v.s.Sweep, "token.ttl") {
		note += "; sweep token.ttl below the run length to see expiry, as scenarios/revocation.yaml does"
	}
	return note + ")"
}

// claimDenylist: "fixing that needs backend logic that partially defeats
// the purpose". Rule: among hybrid backends whose exposed share is below
// the plain JWTs' (those that do fix revocation), supported when every one
// keeps server state (stateful, store look-ups or store entries) — the
// statelessness that was the purpose is gone; refuted when one fixes
// revocation with no server state at all.
func (v *view) claimDenylist() Claim {
	c := Claim{Claim: "fixing that needs backend logic that \"partially defeats the purpose\""}
	jwt := v.fastestJWT()
	if jwt == "" || !v.st(jwt).hasReplays() {
		c.Verdict, c.Evidence = NotMeasured, "needs a plain JWT backend with replayed revoked tokens"
		return c
	}
	j := v.st(jwt)
	var parts []string
	c.Verdict = Supported
	for _, b := range v.family("hybrid") {
		st := v.st(b)
		// The claim is about repairing JWTs: hybrids built on sessions
		// (session-redis-cached) are not JWT fixes.
		if !strings.HasPrefix(b, "jwt-") || !st.hasReplays() || st.exposedShare >= j.exposedShare {
			continue
		}
		state := st.lookups > 0 || st.storeEntries > 0 || v.info[b].Stateful
		parts = append(parts, fmt.Sprintf("%s: %s exposed (vs %s), %s look-ups per validation, %s store entries, p50 = %s (%s of %s)",
			b, fmtPct(st.exposedShare), fmtPct(j.exposedShare), trimFloat(st.lookups), trimFloat(st.storeEntries),
			fmtNS(st.p50), fmtRatio(ratioOf(st.p50, j.p50)), jwt))
		if !state {
			c.Verdict = Refuted
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no hybrid backend cut the exposure of revoked JWTs in this run"
		return c
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// claimRefresh: "short-lived JWT + refresh tokens limit the damage". The
// claim is about the token lifetime: a revoked access token works until
// it expires, whichever backend checks it, so at one token.ttl a refresh
// backend and a plain JWT have the same exposure window. What refresh buys
// is a short lifetime that does not log users out, and that is measurable
// only when the run sweeps token.ttl. Rule: among the points whose
// parameters equal the headline point's except token.ttl, take the
// shortest TTL S and the longest L (durations compared as durations);
// supported when every backend that refreshed tokens and had revoked
// tokens replayed at S has an exposure p99 at S of at most shorterBy × the
// exposure p99 of the fastest plain JWT at L — the long-lived token
// without refresh; refuted when one does not. Not measured with fewer than
// two TTLs, or when no backend refreshed at S (a TTL longer than the run
// never needs a refresh).
func (v *view) claimRefresh() Claim {
	c := Claim{Claim: "short-lived JWT + refresh tokens limit the damage"}
	ttls := v.ttlPoints()
	if len(ttls) < 2 {
		c.Verdict, c.Evidence = NotMeasured, "needs a token.ttl sweep: a short-lived token with refresh must be compared with a long-lived one (see scenarios/revocation.yaml)"
		return c
	}
	short, long := ttls[0], ttls[len(ttls)-1]
	jwt := v.fastestJWTAt(long.point)
	if jwt == "" {
		c.Verdict, c.Evidence = NotMeasured, fmt.Sprintf("needs a plain JWT backend with replayed revoked tokens at token.ttl=%s", long.ttl)
		return c
	}
	j := v.stats[long.point][jwt]
	var parts []string
	c.Verdict = Supported
	for _, b := range v.backends {
		st, ok := v.stats[short.point][b]
		if !ok || st.refreshes == 0 || !st.hasReplays() {
			continue
		}
		var series []string
		for _, tp := range ttls {
			if s, ok := v.stats[tp.point][b]; ok && s.hasReplays() {
				series = append(series, fmt.Sprintf("%s → %s", tp.ttl, fmtMS(s.expP99)))
			}
		}
		parts = append(parts, fmt.Sprintf("%s at token.ttl=%s: exposure p99 = %s, %s refreshes vs %s at token.ttl=%s: exposure p99 = %s (%s); exposure p99 of %s by TTL: %s",
			b, short.ttl, fmtMS(st.expP99), fmtInt(st.refreshes), jwt, long.ttl, fmtMS(j.expP99),
			fmtRatio(ratioOf(st.expP99, j.expP99)), b, strings.Join(series, ", ")))
		if st.expP99 > shorterBy*j.expP99 {
			c.Verdict = Refuted
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, fmt.Sprintf("no backend refreshed tokens at token.ttl=%s: the shortest TTL must be shorter than the run", short.ttl)
		return c
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// ttlPoint is a parameter point and its token lifetime.
type ttlPoint struct {
	point, ttl string
	d          time.Duration
}

// ttlPoints returns the points whose parameters equal the headline
// point's except token.ttl, one per distinct TTL, shortest first. Points
// whose TTL is not a duration are left out: they cannot be ordered.
func (v *view) ttlPoints() []ttlPoint {
	head := v.pointRun(v.headline)
	if head == nil {
		return nil
	}
	var out []ttlPoint
	seen := map[time.Duration]bool{}
	for _, pt := range v.points {
		r := v.pointRun(pt)
		if r == nil || !v.sameParamsExcept(head, r, "token.ttl") {
			continue
		}
		ttl, ok := v.param(r, "token.ttl")
		if !ok {
			continue
		}
		d, err := time.ParseDuration(ttl)
		if err != nil || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, ttlPoint{point: pt, ttl: ttl, d: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].d < out[j].d })
	return out
}

// pointRun returns a run at point pt, the first of the first backend:
// every run of a point shares the scenario parameters.
func (v *view) pointRun(pt string) *Run {
	for _, b := range v.backends {
		if runs := v.runs[pt][b]; len(runs) > 0 {
			return runs[0]
		}
	}
	return nil
}

// sameParamsExcept reports whether runs a and b have the same scenario
// parameters, skip aside. Parameters are read with param, so one missing
// from a run's Params still compares through its point or the config.
func (v *view) sameParamsExcept(a, b *Run, skip string) bool {
	keys := map[string]bool{}
	for _, r := range []*Run{a, b} {
		for k := range r.Params {
			keys[k] = true
		}
		for k := range parsePoint(r.Point) {
			keys[k] = true
		}
	}
	for k := range keys {
		if k == skip {
			continue
		}
		x, okx := v.param(a, k)
		y, oky := v.param(b, k)
		if okx != oky || x != y {
			return false
		}
	}
	return true
}

// fastestJWTAt is fastestJWT at point pt, among the plain JWT backends
// whose revoked tokens were replayed there.
func (v *view) fastestJWTAt(pt string) string {
	best := ""
	for _, b := range v.backends {
		st, ok := v.stats[pt][b]
		if !ok || v.info[b].Family != "jwt" || !st.hasReplays() {
			continue
		}
		if best == "" || st.p50 < v.stats[pt][best].p50 {
			best = b
		}
	}
	return best
}

// claimSessionRevocation: "sessions give immediate, central revocation".
// Rule: supported when no session backend accepted any replayed revoked
// credential (races with the logout itself are counted as undecided by the
// engine, not as accepted); refuted when one did.
func (v *view) claimSessionRevocation() Claim {
	c := Claim{Claim: "sessions give immediate, central revocation"}
	var parts []string
	c.Verdict = Supported
	for _, b := range v.family("session") {
		st := v.st(b)
		if !st.hasReplays() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s replays accepted, exposure max = %s, logout p50 = %s",
			b, fmtInt(st.replaysAccepted), fmtInt(st.replays), fmtMS(st.expMax), fmtNS(st.logoutP50)))
		if st.replaysAccepted > 0 || st.exposed > 0 || st.expMax > 0 {
			c.Verdict = Refuted
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no revoked session was replayed"
		return c
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// claimDistributed: "JWTs suit distributed systems". Rule, at the last
// point with several validator nodes and random routing: supported when no
// plain JWT backend falsely rejected a valid token while some session
// backend did (its store is local to a node); refuted when a plain JWT
// backend falsely rejected, or no session backend did.
func (v *view) claimDistributed() Claim {
	c := Claim{Claim: "JWTs suit distributed systems"}
	var parts []string
	jwtBroke, sessBroke, measured := false, false, false
	// From the headline point down, so the figures are those of the
	// highest load with several nodes.
	for i := len(v.points) - 1; i >= 0; i-- {
		pt := v.points[i]
		var any *Run
		for _, runs := range v.runs[pt] {
			any = runs[0]
			break
		}
		nodes, _ := v.param(any, "cluster.nodes")
		routing, _ := v.param(any, "cluster.routing")
		if n, err := strconv.Atoi(nodes); err != nil || n < 2 || (routing != "" && routing != "random") {
			continue
		}
		for _, b := range v.backends {
			st, ok := v.stats[pt][b]
			fam := v.info[b].Family
			if !ok || (fam != "jwt" && fam != "session") {
				continue
			}
			measured = true
			rate := 0.0
			if st.validations > 0 {
				rate = float64(st.falseRejects) / float64(st.validations)
			}
			label := b
			if len(v.points) > 1 {
				label += " at " + pt
			}
			parts = append(parts, fmt.Sprintf("%s: %s false rejects (%s of validations)", label, fmtInt(st.falseRejects), fmtPct(rate)))
			if fam == "jwt" && st.falseRejects > 0 {
				jwtBroke = true
			}
			if fam == "session" && st.falseRejects > 0 {
				sessBroke = true
			}
		}
		if measured {
			parts = append([]string{fmt.Sprintf("%s nodes, random routing", nodes)}, parts...)
			break
		}
	}
	if !measured {
		c.Verdict, c.Evidence = NotMeasured, "the run had one validator node (set cluster.nodes above 1 with random routing)"
		return c
	}
	c.Evidence = strings.Join(parts, "; ")
	if !jwtBroke && sessBroke {
		c.Verdict = Supported
	} else {
		c.Verdict = Refuted
	}
	return c
}

// claimJWE: "JWE is the encrypted form, harder to read". authbench cannot
// measure readability; it measures what the encryption costs. Rule:
// supported when every JWE backend's token is larger and its validation
// slower (p50 ≥ slowerBy ×) than the fastest plain JWS — encryption is
// there and has a price; refuted when a JWE backend is neither.
func (v *view) claimJWE() Claim {
	c := Claim{Claim: "JWE is the encrypted form, harder to read"}
	jwt := v.fastestJWT()
	jwes := v.family("jwe")
	if jwt == "" || len(jwes) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "needs a JWE backend and a plain JWT backend"
		return c
	}
	j := v.st(jwt)
	var parts []string
	c.Verdict = Supported
	for _, b := range jwes {
		st := v.st(b)
		parts = append(parts, fmt.Sprintf("%s: p50 = %s vs %s %s (%s), token %s vs %s bytes",
			b, fmtNS(st.p50), jwt, fmtNS(j.p50), fmtRatio(ratioOf(st.p50, j.p50)), trimFloat(st.tokenBytes), trimFloat(j.tokenBytes)))
		if st.tokenBytes <= j.tokenBytes && ratioOf(st.p50, j.p50) < slowerBy {
			c.Verdict = Refuted
		}
	}
	c.Evidence = strings.Join(parts, "; ") + " (readability itself is not measured: the cost of the encryption is)"
	return c
}

func ratioOf(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return a / b
}

// significance compares two samples with the Mann-Whitney U test; ok is
// false when there are too few values for the test to ever reject.
func significance(a, b []float64) (benchmath.Comparison, bool) {
	if len(a) == 0 || len(b) == 0 {
		return benchmath.Comparison{}, false
	}
	cmp := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(a, &benchmath.DefaultThresholds),
		benchmath.NewSample(b, &benchmath.DefaultThresholds))
	if len(cmp.Warnings) > 0 {
		return cmp, false
	}
	return cmp, true
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
