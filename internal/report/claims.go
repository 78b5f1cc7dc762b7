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

	"github.com/authbench/authbench/internal/results"
)

// Verdict is what a run's numbers say about a claim.
type Verdict string

// Verdict strengths. A rule says Supported or Refuted only when the
// numbers decide it; Qualified when they decide it one way for some
// backends and the other way for others (the evidence says which);
// Inconclusive when the run measured the right things but too few times,
// or too noisily, to decide; NotMeasured when the run lacked what the rule
// needs.
const (
	Supported    Verdict = "supported"
	Qualified    Verdict = "supported with qualification"
	Inconclusive Verdict = "inconclusive"
	Refuted      Verdict = "refuted"
	NotMeasured  Verdict = "not measured in this run"
)

// Claim is one row of the claim table of DESIGN.md, checked against a run.
type Claim struct {
	// Claim is the statement of the source note.
	Claim string
	// Evidence is the measured figures the verdict rests on, computed
	// from the run; for NotMeasured, what the run lacked.
	Evidence string
	Verdict  Verdict
	// Refutation says what result would have refuted the claim: every
	// rule can come out the other way.
	Refutation string
}

// Thresholds of the verdict rules.
const (
	// slowerBy: a gap below it is within what scheduling noise and CPU
	// frequency produce between two backends doing the same work, so it
	// does not count as "slower", even when significant.
	slowerBy = 1.10
	// shorterBy: a hybrid "limits the damage" when its exposure p99 is at
	// most this share of the long-lived token's.
	shorterBy = 0.5
	// minRepeats is the fewest repeats per backend and point for a
	// difference to be decided: benchmath gives a 95 % confidence interval
	// of the median, and the Mann-Whitney test reaches significance, from
	// six values on.
	minRepeats = 6
	// minReplayed is the fewest replayed revoked credentials for an
	// exposure figure to stand for a backend.
	minReplayed = 10
	// givesBack: a denylist "partially defeats the purpose" when it gives
	// back at least this share of plain JWT's advantage over sessions on
	// some cost (latency, throughput, round trips, CPU).
	givesBack = 0.25
	// brokenShare: false rejects above this share of validations mean the
	// design does not work behind the routing of the run.
	brokenShare = 0.01
)

// CheckClaims checks every claim of the source note against s, using only
// the runs of s that were free of faults (see faultFree).
func CheckClaims(s *results.Summary) []Claim {
	clean, left := faultFree(s)
	v := newView(clean)
	v.leftOut = left
	return v.claims()
}

func (v *view) claims() []Claim {
	cs := []Claim{
		v.claimStateless(),
		v.claimSessionLatency(),
		v.claimStolenJWT(),
		v.claimDenylist(),
		v.claimRefresh(),
		v.claimSessionRevocation(),
		v.claimDistributed(),
		v.claimJWE(),
	}
	if len(v.leftOut) > 0 {
		var ids []string
		for _, l := range v.leftOut {
			ids = append(ids, l.ID)
		}
		note := fmt.Sprintf(" (runs left out as faulty: %s)", strings.Join(ids, ", "))
		for i := range cs {
			if cs[i].Verdict != NotMeasured {
				cs[i].Evidence += note
			}
		}
	}
	return cs
}

// LeftOut is a run the verdicts do not use, and why.
type LeftOut struct {
	ID, Backend string
	Repeat      int
	Reason      string
}

// maxErrorShare is the scenario's max_error_share.
func maxErrorShare(s *results.Summary) float64 { return results.MaxErrorShareOf(s) }

// Faults finds the runs whose numbers are not those of the design under
// test but of something that went wrong: an operation failing more often
// than the scenario's max_error_share, a false accept on a backend that
// promises immediate revocation, valid credentials refused by a backend
// that keeps them in a shared store (lost data), a run cut short by a
// signal. In-memory state refusing credentials of another node behind
// random routing is not a fault, nor is a stateless token refused: those
// are what the distributed claim measures.
func Faults(s *results.Summary) []LeftOut {
	limit := maxErrorShare(s)
	info := map[string]results.BackendInfo{}
	for _, b := range s.Backends {
		info[b.Name] = b
	}
	var out []LeftOut
	for i := range s.Runs {
		r := &s.Runs[i]
		var why []string
		if r.Interrupted {
			why = append(why, "interrupted")
		}
		if r.StoreLost {
			why = append(why, "the store lost its data during the run")
		}
		for _, op := range results.Ops {
			o := r.Ops[op]
			n := o.Errors
			if op == results.OpValidate {
				n = max(n, r.Outcomes.Errors)
			}
			if total := o.Count; n > 0 && float64(n) > limit*float64(max(total, 1)) {
				why = append(why, fmt.Sprintf("%s of %s %s operations failed", fmtInt(n), fmtInt(total), op))
			}
		}
		bi := info[r.Backend]
		nodes := runNodes(r)
		if bi.ImmediateRevocation && r.Outcomes.FalseAccepts > 0 && !(bi.NodeLocal && nodes > 1) {
			why = append(why, fmt.Sprintf("%s false accepts on a backend that revokes at once", fmtInt(r.Outcomes.FalseAccepts)))
		}
		// A stateless backend refusing valid tokens is what the design
		// does (and what the distributed claim measures); a store that
		// forgets valid sessions is a fault of the store.
		if r.Outcomes.FalseRejects > 0 && bi.Stateful && !(bi.NodeLocal && nodes > 1) {
			why = append(why, fmt.Sprintf("%s valid credentials refused (store data lost?)", fmtInt(r.Outcomes.FalseRejects)))
		}
		if len(why) > 0 {
			out = append(out, LeftOut{ID: r.ID, Backend: r.Backend, Repeat: r.Repeat, Reason: strings.Join(why, "; ")})
		}
	}
	return out
}

// runNodes is the number of validator nodes of a run.
func runNodes(r *results.Run) int {
	if n, ok := r.Params["cluster.nodes"]; ok {
		if k, err := strconv.Atoi(n); err == nil {
			return k
		}
	}
	return 1
}

// faultFree returns s with the faulty runs removed, and those runs.
func faultFree(s *results.Summary) (*results.Summary, []LeftOut) {
	left := Faults(s)
	if len(left) == 0 {
		return s, nil
	}
	drop := map[string]bool{}
	for _, l := range left {
		drop[l.ID] = true
	}
	c := *s
	c.Runs = nil
	for _, r := range s.Runs {
		if !drop[r.ID] {
			c.Runs = append(c.Runs, r)
		}
	}
	return &c, left
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

// sessionLike lists the headline backends whose credential is a session
// ID looked up on the server: the session family and the hybrids built on
// it (session-redis-cached).
func (v *view) sessionLike() []string {
	var out []string
	for _, b := range v.headlineBackends() {
		if fam := v.info[b].Family; fam == "session" || (fam == "hybrid" && strings.HasPrefix(b, "session-")) {
			out = append(out, b)
		}
	}
	return out
}

func (v *view) st(b string) *stat { return v.stats[v.headline][b] }

// fastestJWT is the plain JWT with the lowest validate p50 at the
// headline point.
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

// diff is how backend a compares with backend b on one metric.
type diff int

const (
	unknown diff = iota // too few repeats to decide
	same                // no significant difference beyond slowerBy
	worse               // a is significantly worse, by slowerBy or more
	better              // a is significantly better, by slowerBy or more
)

// compare decides how a compares with b on per-repeat values; ratio is
// how many times worse a is (above 1: worse).
func compare(a, b []float64, higherIsWorse bool) (d diff, ratio float64) {
	ma, mb := median(a), median(b)
	ratio = ratioOf(ma, mb)
	if !higherIsWorse {
		ratio = ratioOf(mb, ma)
	}
	if len(a) < minRepeats || len(b) < minRepeats {
		return unknown, ratio
	}
	cmp, ok := significance(a, b)
	if !ok || cmp.P > cmp.Alpha {
		return same, ratio
	}
	switch {
	case ratio >= slowerBy:
		return worse, ratio
	case ratio <= 1/slowerBy:
		return better, ratio
	}
	return same, ratio
}

// claimStateless: "JWT is stateless, the server keeps no record".
// Rule: from the store operations counted during the run. Supported when
// every plain JWT backend counted no store round trip and no store look-up
// per validation and ended with no store entries; refuted when one of them
// reached a store or kept entries; inconclusive when the run did not count
// store operations (a summary written before they were counted).
func (v *view) claimStateless() Claim {
	c := Claim{Claim: "JWT is stateless, the server keeps no record",
		Refutation: "a plain JWT backend counted a store round trip or look-up while validating, or kept store entries"}
	jwts := v.family("jwt")
	if len(jwts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no plain JWT backend ran"
		return c
	}
	var parts []string
	c.Verdict = Supported
	for _, b := range jwts {
		m := v.measured(v.headline, b)
		if !m.counted {
			c.Verdict = Inconclusive
			parts = append(parts, b+": store operations not counted in this run")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s round trips and %s look-ups per validation counted, %s store entries", b, fmtPer(m.roundTrips), fmtPer(m.localLookups), trimFloat(v.st(b).storeEntries)))
		if m.roundTrips > 0 || m.localLookups > 0 || v.st(b).storeEntries > 0 {
			c.Verdict = Refuted
		}
	}
	for _, b := range v.sessionLike() {
		if m := v.measured(v.headline, b); m.counted {
			parts = append(parts, fmt.Sprintf("vs %s: %s round trips, %s look-ups per validation, %s entries", b, fmtPer(m.roundTrips), fmtPer(m.localLookups), trimFloat(v.st(b).storeEntries)))
		}
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// claimSessionLatency: "sessions need a database hit per request, adding
// latency under high traffic". Rule, at the headline point: every session
// backend against every plain JWT backend, on validate p50, p99 and
// throughput over repeats. A session backend "adds latency" against a JWT
// when it is significantly worse (Mann-Whitney, and by slowerBy or more)
// on all three; it does not when it is worse on none. Supported when every
// session backend adds latency against every JWT; refuted when none does
// against any; supported with qualification when it depends on the
// backend or the metric (the evidence names which, with the store round
// trips each session backend counted); inconclusive when fewer than
// minRepeats repeats leave a comparison undecided.
func (v *view) claimSessionLatency() Claim {
	c := Claim{Claim: "sessions need a database hit per request, adding latency under high traffic",
		Refutation: "no session backend significantly slower than a plain JWT on p50, p99 or throughput"}
	jwts, sess := v.family("jwt"), v.sessionLike()
	if len(jwts) == 0 || len(sess) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "needs a plain JWT backend and a session backend"
		return c
	}
	var parts, adds, not, mixed, undecided []string
	for _, s := range sess {
		ss := v.st(s)
		m := v.measured(v.headline, s)
		var cmps []string
		allWorse, noneWorse, anyUnknown := true, true, false
		for _, j := range jwts {
			js := v.st(j)
			d50, r50 := compare(ss.p50Vals, js.p50Vals, true)
			d99, r99 := compare(ss.p99Vals, js.p99Vals, true)
			dt, rt := compare(ss.thrVals, js.thrVals, false)
			for _, d := range []diff{d50, d99, dt} {
				allWorse = allWorse && d == worse
				noneWorse = noneWorse && d != worse && d != unknown
				anyUnknown = anyUnknown || d == unknown
			}
			cmps = append(cmps, fmt.Sprintf("vs %s: p50 %s, p99 %s, throughput %s", j, diffWord(d50, r50), diffWord(d99, r99), diffWord(dt, rt)))
		}
		store := "store not counted"
		if m.counted {
			store = fmt.Sprintf("%s round trips per validation", fmtPer(m.roundTrips))
			if m.hitRatio > 0 {
				store += fmt.Sprintf(" (cache hit ratio %s)", fmtPct(m.hitRatio))
			}
		}
		if m.cpuOK {
			store += ", " + m.cpuText()
		}
		parts = append(parts, fmt.Sprintf("%s (p50 %s, p99 %s, %s/s; %s) %s", s, fmtNS(ss.p50), fmtNS(ss.p99), fmtCount(ss.thr.Center), store, strings.Join(cmps, "; ")))
		switch {
		case anyUnknown && !allWorse:
			undecided = append(undecided, s)
		case allWorse:
			adds = append(adds, s)
		case noneWorse:
			not = append(not, s)
		default:
			mixed = append(mixed, s)
		}
	}
	for _, j := range jwts {
		js := v.st(j)
		jt := fmt.Sprintf("%s (p50 %s, p99 %s, %s/s", j, fmtNS(js.p50), fmtNS(js.p99), fmtCount(js.thr.Center))
		if m := v.measured(v.headline, j); m.cpuOK {
			jt += "; " + m.cpuText()
		}
		parts = append(parts, jt+")")
	}
	c.Evidence = strings.Join(parts, "; ") + v.where()
	switch {
	case len(undecided) > 0 && len(adds)+len(not)+len(mixed) == 0:
		c.Verdict = Inconclusive
		c.Evidence = fmt.Sprintf("fewer than %d repeats: no difference can be decided; ", minRepeats) + c.Evidence
	case len(adds) == len(sess):
		c.Verdict = Supported
	case len(not) == len(sess):
		c.Verdict = Refuted
	default:
		c.Verdict = Qualified
		c.Evidence = qualification(
			group{"adds latency for ", adds},
			group{"on some metrics or against some JWTs only for ", mixed},
			group{"not for ", not},
			group{"undecided (too few repeats) for ", undecided}) + c.Evidence
	}
	return c
}

// diffWord says how a comparison came out, with its ratio.
func diffWord(d diff, ratio float64) string {
	switch d {
	case worse:
		return fmtRatio(ratio) + " worse"
	case better:
		return fmtRatio(1/ratio) + " better"
	case same:
		return "no significant difference (" + fmtRatio(ratio) + ")"
	}
	if ratio < 1 {
		return fmtRatio(1/ratio) + " better (undecided)"
	}
	return fmtRatio(ratio) + " worse (undecided)"
}

// claimStolenJWT: "a stolen JWT stays valid after logout until it
// expires". Rule: supported when every plain JWT backend whose revoked
// tokens were replayed accepted some of them after the logout; refuted
// when one accepted none; inconclusive when fewer than minReplayed revoked
// tokens were replayed.
func (v *view) claimStolenJWT() Claim {
	c := Claim{Claim: "a stolen JWT stays valid after logout until it expires",
		Refutation: "a plain JWT backend refused every replay of its revoked tokens"}
	var parts []string
	c.Verdict = Supported
	few := false
	for _, b := range v.family("jwt") {
		st := v.st(b)
		if !st.hasReplays() {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s of %s replayed revoked tokens accepted, exposure p99 = %s (max %s)",
			b, fmtPct(st.exposedShare), fmtInt(st.replayed), fmtMS(st.expP99), fmtMS(st.expMax)))
		if st.replayed < minReplayed {
			few = true
		} else if st.exposedShare == 0 {
			c.Verdict = Refuted
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no revoked plain JWT was replayed (needs revocation.rate and revocation.replay above 0)"
		return c
	}
	if few && c.Verdict == Supported {
		c.Verdict = Inconclusive
		parts = append(parts, fmt.Sprintf("fewer than %d revoked tokens replayed", minReplayed))
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
	ttlText, ok := r.Params["token.ttl"]
	if !ok {
		return ""
	}
	ttl, err := time.ParseDuration(ttlText)
	if err != nil || ttl.Seconds() <= r.DurationS {
		return ""
	}
	note := fmt.Sprintf(" (token.ttl %s outlives the %.3g s runs: these windows end with the run, not with the token's expiry", ttl, r.DurationS)
	if short := v.shortTTLPoint(); short != nil {
		note += fmt.Sprintf("; at %s tokens expire within the run: see the refresh claim", short.point)
	} else if !slices.Contains(v.s.Sweep, "token.ttl") {
		note += "; sweep token.ttl below the run length to see expiry, as scenarios/revocation.yaml does"
	}
	return note + ")"
}

// claimDenylist: "fixing that needs backend logic that partially defeats
// the purpose". The purpose of a JWT is to validate without a store: its
// advantage over session-redis is the latency, throughput, store round
// trips and CPU it saves. Rule: for every JWT denylist that cut the
// exposure of revoked tokens below plain JWT's, the share of that
// advantage it gives back, metric by metric: (denylist − JWT) / (session −
// JWT), with the HS256 JWT it is built on as the JWT. Supported when
// every such denylist gives back at least givesBack on some metric;
// refuted when none does on any (the fix is free); qualified when some do
// and others do not; inconclusive when plain JWT has no measurable
// advantage over the session backend to give back.
func (v *view) claimDenylist() Claim {
	c := Claim{Claim: "fixing that needs backend logic that \"partially defeats the purpose\"",
		Refutation: fmt.Sprintf("every denylist that fixes revocation gives back less than %s of plain JWT's advantage over session-redis on latency, throughput, round trips and CPU", fmtPct(givesBack))}
	jwt := "jwt-hs256"
	if _, ok := v.stats[v.headline][jwt]; !ok {
		jwt = v.fastestJWT()
	}
	sess := ""
	for _, b := range v.sessionLike() {
		m := v.measured(v.headline, b)
		// Summaries from before store operations were counted fall back
		// on the declared figure to choose the backend; the round-trip
		// metric then stays undecided.
		trips := m.roundTrips >= 0.5 || (!m.counted && v.info[b].StoreLookups >= 1 && v.info[b].Stateful)
		if trips && (sess == "" || b == "session-redis") {
			sess = b
		}
	}
	if jwt == "" || sess == "" || !v.st(jwt).hasReplays() {
		c.Verdict, c.Evidence = NotMeasured, "needs a plain JWT backend with replayed revoked tokens and a session backend with a store round trip per validation (session-redis)"
		return c
	}
	j, s := v.st(jwt), v.st(sess)
	mj, ms := v.measured(v.headline, jwt), v.measured(v.headline, sess)
	type metric struct {
		name     string
		jv, sv   float64
		val      func(b string) float64
		decided  bool
		fmtValue func(float64) string
	}
	// A metric carries an advantage when the session is worse than the
	// JWT by slowerBy or more (significantly, where repeats allow).
	d50, _ := compare(s.p50Vals, j.p50Vals, true)
	dt, _ := compare(s.thrVals, j.thrVals, false)
	metrics := []metric{
		{"p50", j.p50, s.p50, func(b string) float64 { return v.st(b).p50 }, d50 == worse, fmtNS},
		{"throughput", j.thr.Center, s.thr.Center, func(b string) float64 { return v.st(b).thr.Center }, dt == worse, func(f float64) string { return fmtCount(f) + "/s" }},
		{"round trips", mj.roundTrips, ms.roundTrips, func(b string) float64 { return v.measured(v.headline, b).roundTrips }, mj.counted && ms.counted && ms.roundTrips-mj.roundTrips >= 0.5, fmtPer},
	}
	if mj.cpuOK && ms.cpuOK {
		dc, _ := compare(ms.cpuVals, mj.cpuVals, true)
		metrics = append(metrics, metric{"CPU per validation", mj.cpuTotal(), ms.cpuTotal(), func(b string) float64 { return v.measured(v.headline, b).cpuTotal() },
			dc == worse, func(f float64) string { return sig3(f) + " µs" }})
	}
	advantage := false
	for _, m := range metrics {
		advantage = advantage || m.decided
	}
	var parts, gives, free, undecided []string
	for _, b := range v.family("hybrid") {
		st := v.st(b)
		if !strings.HasPrefix(b, "jwt-denylist") || !st.hasReplays() || st.exposedShare >= j.exposedShare {
			continue
		}
		var g []string
		most := 0.0
		for _, m := range metrics {
			// Only an advantage can be given back: where the session
			// backend is no worse than the JWT, a share of the "gap"
			// would read as a negative or unbounded percentage.
			gap := m.sv - m.jv
			if m.name == "throughput" {
				gap = -gap
			}
			if gap <= 0 {
				g = append(g, fmt.Sprintf("no %s advantage to give back (%s %s, %s %s)", m.name, jwt, m.fmtValue(m.jv), sess, m.fmtValue(m.sv)))
				continue
			}
			share := (m.val(b) - m.jv) / (m.sv - m.jv)
			text := fmt.Sprintf("%s of the %s gap (%s; %s %s, %s %s)", fmtPct(share), m.name, m.fmtValue(m.val(b)), jwt, m.fmtValue(m.jv), sess, m.fmtValue(m.sv))
			if !m.decided {
				text += " (gap not significant or too few repeats: not used)"
			} else {
				most = max(most, share)
			}
			g = append(g, text)
		}
		dep := ""
		if md := v.measured(v.headline, b); md.counted && md.roundTrips == 0 && v.info[b].Stateful {
			dep = "; no round trip while validating, but every node now depends on the store for revocations"
		}
		parts = append(parts, fmt.Sprintf("%s (exposed %s vs %s): %s%s", b, fmtPct(st.exposedShare), fmtPct(j.exposedShare), strings.Join(g, ", "), dep))
		// Free only when the latency or throughput gap was decided: a
		// denylist that keeps the round trips at 0 may still cost time.
		switch {
		case most >= givesBack:
			gives = append(gives, b)
		case metrics[0].decided || metrics[1].decided:
			free = append(free, b)
		default:
			undecided = append(undecided, b)
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no JWT denylist cut the exposure of revoked JWTs in this run"
		return c
	}
	c.Evidence = fmt.Sprintf("share of %s's advantage over %s given back%s: ", jwt, sess, v.where()) + strings.Join(parts, "; ")
	switch {
	case !advantage:
		c.Verdict = Inconclusive
		c.Evidence = fmt.Sprintf("%s shows no decided advantage over %s (too few repeats, or none) to give back; ", jwt, sess) + c.Evidence
	case len(gives)+len(free) == 0:
		c.Verdict = Inconclusive
		c.Evidence = fmt.Sprintf("latency and throughput gaps undecided (fewer than %d repeats?); ", minRepeats) + c.Evidence
	case len(free)+len(undecided) == 0:
		c.Verdict = Supported
	case len(gives)+len(undecided) == 0:
		c.Verdict = Refuted
	default:
		c.Verdict = Qualified
		c.Evidence = qualification(
			group{"gives back for ", gives},
			group{"not for ", free},
			group{"undecided for ", undecided}) + c.Evidence
	}
	return c
}

// claimRefresh: "short-lived JWT + refresh tokens limit the damage". A
// revoked access token works until it expires, whichever backend checks
// it: a short lifetime limits the damage, and what refresh tokens add is
// that users are not logged out at that short lifetime. Rule, at the
// shortest token.ttl S that is shorter than the runs: supported when the
// refresh backend's exposure p99 is bounded by S (at most S plus leeway
// and a quarter) and at most shorterBy × that of a long-lived token (the
// plain JWT at the longest TTL of a sweep, else the run length), and it
// logs users in at most half as often as the plain JWT at S (refreshing
// instead); qualified when both hold but a refresh costs more than the
// login it replaces; refuted when the exposure is not bounded or no login
// is avoided; inconclusive with fewer than minReplayed replayed tokens.
func (v *view) claimRefresh() Claim {
	c := Claim{Claim: "short-lived JWT + refresh tokens limit the damage",
		Refutation: "at a token lifetime shorter than the run, revoked tokens of the refresh backend stay usable beyond that lifetime, or it logs users in as often as a plain short-lived JWT"}
	ttls := v.ttlPoints()
	short := v.shortTTLPoint()
	if short == nil {
		c.Verdict, c.Evidence = NotMeasured, "needs a token.ttl shorter than the runs, so that tokens expire and are refreshed (see scenarios/revocation.yaml)"
		return c
	}
	jwt := v.fastestJWTAt(short.point, true)
	if jwt == "" {
		c.Verdict, c.Evidence = NotMeasured, fmt.Sprintf("needs a plain JWT backend with replayed revoked tokens at token.ttl=%s", short.ttl)
		return c
	}
	j := v.stats[short.point][jwt]
	run := v.pointRun(short.point)
	leeway := time.Duration(0)
	if l, ok := run.Params["token.leeway"]; ok {
		leeway, _ = time.ParseDuration(l)
	}
	bound := 1.25*float64(short.d.Milliseconds()) + float64(leeway.Milliseconds())
	long, longLabel := run.DurationS*1000, fmt.Sprintf("the %.3g s run (what a token outliving it shows)", run.DurationS)
	if last := ttls[len(ttls)-1]; last.point != short.point {
		if lj := v.fastestJWTAt(last.point, true); lj != "" {
			long, longLabel = v.stats[last.point][lj].expP99, fmt.Sprintf("%s at token.ttl=%s", lj, last.ttl)
		}
	}
	var parts, ok, costly, bad, few []string
	for _, b := range v.backends {
		st, has := v.stats[short.point][b]
		if !has || st.refreshes == 0 || !st.hasReplays() {
			continue
		}
		mb, mj := v.measured(short.point, b), v.measured(short.point, jwt)
		avoided := mj.logins - mb.logins
		// The plain JWT's exposure at the same lifetime is shown beside
		// the refresh backend's: the lifetime bounds both, and what
		// refresh adds is the logins avoided.
		text := fmt.Sprintf("%s at token.ttl=%s: exposure p99 %s (bound %s; %s at the same lifetime %s; long-lived: %s, %s), %s logins and %s refreshes per run vs %s's %s logins (%s logins avoided); refresh p50 %s vs login p50 %s",
			b, short.ttl, fmtMS(st.expP99), fmtMS(bound), jwt, fmtMS(j.expP99), longLabel, fmtMS(long), fmtInt(mb.logins), fmtInt(mb.refreshes), jwt, fmtInt(mj.logins), fmtInt(avoided), fmtNS(mb.refreshP50), fmtNS(mj.loginP50))
		parts = append(parts, text)
		switch {
		case st.replayed < minReplayed || j.replayed < minReplayed:
			few = append(few, b)
		case st.expP99 > bound || st.expP99 > shorterBy*long || float64(mb.logins) > 0.5*float64(mj.logins):
			bad = append(bad, b)
		case mb.refreshP50 > mj.loginP50:
			costly = append(costly, b)
		default:
			ok = append(ok, b)
		}
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, fmt.Sprintf("no backend refreshed tokens and had revoked tokens replayed at token.ttl=%s", short.ttl)
		return c
	}
	c.Evidence = strings.Join(parts, "; ")
	switch {
	case len(bad) > 0:
		c.Verdict = Refuted
	case len(few) > 0:
		c.Verdict = Inconclusive
		c.Evidence = fmt.Sprintf("fewer than %d revoked tokens replayed; ", minReplayed) + c.Evidence
	case len(costly) > 0:
		c.Verdict = Qualified
		c.Evidence = "damage limited and logins avoided, but a refresh costs more than the login it replaces; " + c.Evidence
	default:
		c.Verdict = Supported
	}
	return c
}

// shortTTLPoint is the point of ttlPoints with the shortest token lifetime
// below the run length, or nil.
func (v *view) shortTTLPoint() *ttlPoint {
	ttls := v.ttlPoints()
	for i := range ttls {
		if r := v.pointRun(ttls[i].point); r != nil && ttls[i].d.Seconds() < r.DurationS {
			return &ttls[i]
		}
	}
	return nil
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
		ttl, ok := r.Params["token.ttl"]
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
func (v *view) pointRun(pt string) *results.Run {
	for _, b := range v.backends {
		if runs := v.runs[pt][b]; len(runs) > 0 {
			return runs[0]
		}
	}
	return nil
}

// sameParamsExcept reports whether runs a and b have the same scenario
// parameters, skip aside.
func (v *view) sameParamsExcept(a, b *results.Run, skip string) bool {
	for _, pair := range [][2]*results.Run{{a, b}, {b, a}} {
		for k, x := range pair[0].Params {
			if y, ok := pair[1].Params[k]; k != skip && (!ok || x != y) {
				return false
			}
		}
	}
	return true
}

// fastestJWTAt is the plain JWT backend with the lowest validate p50 at
// point pt ("" when none ran there); with replayed, only among those whose
// revoked tokens were replayed there.
func (v *view) fastestJWTAt(pt string, replayed bool) string {
	best := ""
	for _, b := range v.backends {
		st, ok := v.stats[pt][b]
		if !ok || v.info[b].Family != "jwt" || (replayed && !st.hasReplays()) {
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
// engine, not as accepted); refuted when one did; inconclusive when fewer
// than minReplayed revoked sessions were replayed.
func (v *view) claimSessionRevocation() Claim {
	c := Claim{Claim: "sessions give immediate, central revocation",
		Refutation: "a session backend accepted a replayed session after its logout"}
	var parts []string
	c.Verdict = Supported
	few := false
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
		few = few || st.replayed < minReplayed
	}
	if len(parts) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "no revoked session was replayed"
		return c
	}
	if few && c.Verdict == Supported {
		c.Verdict = Inconclusive
		parts = append(parts, fmt.Sprintf("fewer than %d revoked sessions replayed", minReplayed))
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

// claimDistributed: "JWTs suit distributed systems". Rule, at the last
// point with several validator nodes and random routing: a plain JWT
// works across nodes when it falsely rejects under brokenShare/10 of its
// validations. A session backend either breaks (false rejects above
// brokenShare: in-memory sessions need sticky routing), or works at a
// price: a store round trip per validation (shared store: every request
// depends on it), or works without one (a cache). Supported when every
// plain JWT works and every session backend breaks or pays a round trip
// per validation; qualified when a session backend works across nodes
// with under half a round trip per validation; refuted when a plain JWT
// breaks, or every session backend works without a round trip;
// inconclusive when no session backend ran at that point.
func (v *view) claimDistributed() Claim {
	c := Claim{Claim: "JWTs suit distributed systems",
		Refutation: "a plain JWT falsely rejects behind random routing, or every session backend works across the nodes without a store round trip per validation"}
	pt, nodes, found := "", "", false
	for i := len(v.points) - 1; i >= 0 && !found; i-- {
		r := v.pointRun(v.points[i])
		n := r.Params["cluster.nodes"]
		routing := r.Params["cluster.routing"]
		if k, err := strconv.Atoi(n); err == nil && k >= 2 && (routing == "" || routing == "random") {
			pt, nodes, found = v.points[i], n, true
		}
	}
	if !found {
		c.Verdict, c.Evidence = NotMeasured, "the run had one validator node (set cluster.nodes above 1 with random routing)"
		return c
	}
	var parts, jwtBroke, breaks, pays, free []string
	jwtRan := false
	frShare := func(st *stat) float64 {
		if st.validations == 0 {
			return 0
		}
		return float64(st.falseRejects) / float64(st.validations)
	}
	for _, b := range v.backends {
		st, ok := v.stats[pt][b]
		if !ok {
			continue
		}
		fam := v.info[b].Family
		m := v.measured(pt, b)
		share := frShare(st)
		switch {
		case fam == "jwt":
			jwtRan = true
			parts = append(parts, fmt.Sprintf("%s: %s false rejects (%s), p50 %s", b, fmtInt(st.falseRejects), fmtPct(share), fmtNS(st.p50)))
			if share >= brokenShare/10 {
				jwtBroke = append(jwtBroke, b)
			}
		case fam == "session" || (fam == "hybrid" && strings.HasPrefix(b, "session-")):
			text := fmt.Sprintf("%s: %s false rejects (%s), p50 %s", b, fmtInt(st.falseRejects), fmtPct(share), fmtNS(st.p50))
			if m.counted {
				text += fmt.Sprintf(", %s round trips per validation", fmtPer(m.roundTrips))
			}
			switch {
			case share >= brokenShare:
				breaks = append(breaks, b)
				text += " — breaks without sticky routing"
			case !m.counted || m.roundTrips >= 0.5:
				pays = append(pays, b)
				text += " — works through a shared store: a round trip per request, and validations fail when the store goes"
			default:
				free = append(free, b)
				text += " — works across nodes with few round trips"
			}
			parts = append(parts, text)
		}
	}
	c.Evidence = fmt.Sprintf("%s nodes, random routing: ", nodes) + strings.Join(parts, "; ")
	if left := v.leftOutFor(append(append(append([]string{}, breaks...), pays...), free...)); left != "" {
		c.Evidence += "; " + left
	}
	switch {
	case !jwtRan:
		c.Verdict, c.Evidence = NotMeasured, "no plain JWT backend ran with several nodes"
	case len(jwtBroke) > 0:
		c.Verdict = Refuted
	case len(breaks)+len(pays)+len(free) == 0:
		c.Verdict = Inconclusive
		c.Evidence += "; no session backend ran with several nodes to compare with"
	case len(free) == len(breaks)+len(pays)+len(free):
		c.Verdict = Refuted
	case len(free) > 0:
		c.Verdict = Qualified
		c.Evidence = fmt.Sprintf("but %s also works across nodes with under half a round trip per validation. ", strings.Join(free, ", ")) + c.Evidence
	default:
		c.Verdict = Supported
	}
	return c
}

// leftOutFor names the runs of backends left out of the verdicts, with
// their reasons (a store that failed during a run, for instance).
func (v *view) leftOutFor(backends []string) string {
	var out []string
	for _, l := range v.leftOut {
		if contains(backends, l.Backend) {
			out = append(out, fmt.Sprintf("run %s (%s) left out: %s", l.ID, l.Backend, l.Reason))
		}
	}
	return strings.Join(out, "; ")
}

// jweBaseline pairs each JWE backend with the signed JWT of the same key
// type.
var jweBaseline = map[string]string{
	"jwe-dir":      "jwt-hs256",
	"jwe-rsa-oaep": "jwt-rs256",
	"jwe-ecdh-es":  "jwt-es256",
	"jwe-nested":   "jwt-rs256",
}

// claimJWE: "JWE is the encrypted form, harder to read". Rule, on a token
// issued by each backend: a JWE token must have five segments and no claim
// name readable by base64url-decoding its segments, where the signed JWT
// shows them. Supported when every JWE token passes; refuted when one has
// readable claims or is not five segments; inconclusive when the run did
// not inspect tokens, or the check finds no claims in a signed JWT either
// (it would then prove nothing). Cost and size against the signed JWT of
// the same key type are reported beside the verdict, which they do not
// change: encryption is what the claim says, its price is what it costs.
func (v *view) claimJWE() Claim {
	c := Claim{Claim: "JWE is the encrypted form, harder to read",
		Refutation: "an issued JWE token that is not five segments, or whose segments decode to readable claims"}
	jwes := v.family("jwe")
	if len(jwes) == 0 {
		c.Verdict, c.Evidence = NotMeasured, "needs a JWE backend"
		return c
	}
	var parts []string
	c.Verdict = Supported
	checkable := false
	for _, j := range v.family("jwt") {
		if ts := v.tokenShape(j); ts != nil && len(ts.ReadableClaims) > 0 {
			checkable = true
			parts = append(parts, fmt.Sprintf("%s: %d segments, claims readable without a key (%s)", j, ts.Segments, strings.Join(ts.ReadableClaims, ", ")))
			break
		}
	}
	for _, b := range jwes {
		st := v.st(b)
		ts := v.tokenShape(b)
		if ts == nil {
			c.Verdict = Inconclusive
			parts = append(parts, b+": no issued token inspected")
			continue
		}
		text := fmt.Sprintf("%s: %d segments, %s", b, ts.Segments, readable(ts))
		if base := jweBaseline[b]; base != "" {
			if bs, ok := v.stats[v.headline][base]; ok {
				text += fmt.Sprintf("; p50 %s vs %s %s (%s), %s vs %s bytes", fmtNS(st.p50), base, fmtNS(bs.p50), fmtRatio(ratioOf(st.p50, bs.p50)), trimFloat(st.tokenBytes), trimFloat(bs.tokenBytes))
			}
		}
		parts = append(parts, text)
		if ts.Segments != 5 || len(ts.ReadableClaims) > 0 {
			c.Verdict = Refuted
		}
	}
	if c.Verdict == Supported && !checkable {
		c.Verdict = Inconclusive
		parts = append(parts, "no signed JWT's claims were found readable either, so the check shows nothing")
	}
	c.Evidence = strings.Join(parts, "; ")
	return c
}

func readable(ts *results.TokenShape) string {
	if len(ts.ReadableClaims) == 0 {
		return "no claim readable without the key"
	}
	return "claims readable: " + strings.Join(ts.ReadableClaims, ", ")
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

// fmtPer formats a per-validation count ("1", "0.031", "0").
func fmtPer(f float64) string {
	switch {
	case f == 0:
		return "0"
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f >= 0.995:
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
	return strconv.FormatFloat(f, 'g', 2, 64)
}

// group is one part of a qualified verdict: the backends it holds.
type group struct {
	label    string
	backends []string
}

// qualification says for which backends a qualified verdict holds and for
// which it does not: the non-empty groups, "; "-separated, then ". ".
func qualification(groups ...group) string {
	var q []string
	for _, g := range groups {
		if len(g.backends) > 0 {
			q = append(q, g.label+strings.Join(g.backends, ", "))
		}
	}
	return strings.Join(q, "; ") + ". "
}
