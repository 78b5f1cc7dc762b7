package report

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
)

// sb is how one backend behaves at one point of a synthetic run: medians
// of its figures. Per-repeat values spread ±1 % around them, so that a
// significance test sees repeats that agree.
type sb struct {
	name, fam      string
	immediate, loc bool // ImmediateRevocation, NodeLocal

	p50, p99, thr float64 // validate, ns and per second
	validations   int64

	// store operations per validation; noOps: not counted at all.
	rt, ll, hit float64
	hasStore    bool
	noOps       bool
	procUS      float64 // results.CPU per validation; 0: not measured
	storeUS     float64

	replayed, exposed int64
	replaysAccepted   int64
	expP99            float64 // ms
	falseRejects      int64
	falseAccepts      int64
	errors            int64
	entries           int64

	logins, refreshes    int64
	loginP50, refreshP50 float64
	token                *results.TokenShape
}

// spt is one parameter point of a synthetic run.
type spt struct {
	params   map[string]string // besides load.clients=8
	backends []sb
}

// synth builds a summary: every backend at every point, repeats times.
func synth(repeats int, points ...spt) *results.Summary {
	s := &results.Summary{Scenario: "synthetic", Config: map[string]any{}}
	seen := map[string]bool{}
	sweep := map[string]bool{}
	for _, p := range points {
		if len(points) > 1 {
			for k := range p.params {
				sweep[k] = true
			}
		}
	}
	for k := range sweep {
		s.Sweep = append(s.Sweep, k)
	}
	sort.Strings(s.Sweep)
	id := 0
	for _, p := range points {
		var pointParts []string
		for _, k := range s.Sweep {
			pointParts = append(pointParts, k+"="+p.params[k])
		}
		for rep := 1; rep <= repeats; rep++ {
			f := 1 + 0.01*(float64(rep)-float64(repeats+1)/2)
			for _, b := range p.backends {
				if !seen[b.name] {
					seen[b.name] = true
					declared := 0.0
					if b.rt >= 0.5 || b.ll >= 0.5 {
						declared = 1
					}
					s.Backends = append(s.Backends, results.BackendInfo{Info: backends.Info{Name: b.name, Family: b.fam, Stateful: b.hasStore,
						StoreLookups: declared, ImmediateRevocation: b.immediate, NodeLocal: b.loc}})
				}
				id++
				params := map[string]string{"load.clients": "8", "cluster.nodes": "1", "token.ttl": "15m"}
				for k, v := range p.params {
					params[k] = v
				}
				n := b.validations
				if n == 0 {
					n = 100_000
				}
				r := results.Run{
					ID: fmt.Sprintf("%04d", id), Backend: b.name, Model: "closed", Params: params,
					Point: strings.Join(pointParts, ","), Repeat: rep, DurationS: 6,
					Ops: map[string]results.Op{
						results.OpValidate: {Count: n, ThroughputPerS: b.thr * f, Errors: b.errors,
							LatencyNS: results.Latency{P50: int64(b.p50 * f), P99: int64(b.p99 * f)}},
						results.OpLogin:   {Count: b.logins, LatencyNS: results.Latency{P50: int64(b.loginP50)}},
						results.OpRefresh: {Count: b.refreshes, LatencyNS: results.Latency{P50: int64(b.refreshP50)}},
						results.OpLogout:  {Count: 300},
					},
					Outcomes: results.Outcomes{Accepted: n, Errors: b.errors, FalseRejects: b.falseRejects, FalseAccepts: b.falseAccepts},
					Store:    results.Store{Entries: b.entries, Bytes: -1},
					Token:    b.token,
				}
				if b.replayed > 0 {
					r.Revocation = results.Revocation{Revoked: 300, Replays: b.replayed * 4, ReplaysAccepted: b.replaysAccepted,
						ReplayedCredentials: b.replayed, ExposedCredentials: b.exposed,
						ExposureMS: results.Exposure{P50: b.expP99 / 2, P99: b.expP99, Max: b.expP99 * 1.1}}
				}
				if !b.noOps {
					r.StoreOps = &results.StoreOps{Validations: n, HasStore: b.hasStore,
						RoundTripsPerValidate: b.rt, LocalLookupsPerValidate: b.ll, CacheHitRatio: b.hit}
				}
				if b.procUS > 0 {
					r.CPU = &results.CPU{Validations: n, ProcessUSPerValidate: b.procUS, StoreMeasured: b.storeUS > 0, StoreUSPerValidate: b.storeUS}
				}
				s.Runs = append(s.Runs, r)
			}
		}
	}
	return s
}

var (
	jwsShape = &results.TokenShape{Segments: 3, ReadableClaims: []string{"sub", "exp"}}
	jweShape = &results.TokenShape{Segments: 5, ReadableClaims: []string{}}
)

// Backends as they behave on a 2-core machine, roughly.
func hs256() sb {
	return sb{name: "jwt-hs256", fam: "jwt", p50: 5000, p99: 20000, thr: 200e3, procUS: 8,
		replayed: 500, exposed: 500, expP99: 5800, logins: 300, loginP50: 6000, token: jwsShape}
}
func sessRedis() sb {
	return sb{name: "session-redis", fam: "session", immediate: true, hasStore: true, rt: 1,
		p50: 50000, p99: 500000, thr: 20e3, procUS: 20, storeUS: 10, replayed: 500, logins: 300, token: &results.TokenShape{Segments: 1}}
}
func sessMemory() sb {
	return sb{name: "session-memory", fam: "session", immediate: true, loc: true, hasStore: true, ll: 1,
		p50: 1000, p99: 5000, thr: 800e3, procUS: 1, replayed: 500, logins: 300}
}
func denyRedis() sb {
	return sb{name: "jwt-denylist-redis", fam: "hybrid", immediate: true, hasStore: true, rt: 1,
		p50: 45000, p99: 400000, thr: 22e3, procUS: 25, storeUS: 9, replayed: 500, logins: 300, token: jwsShape}
}
func denyPubSub() sb {
	return sb{name: "jwt-denylist-pubsub", fam: "hybrid", hasStore: true, ll: 1,
		p50: 5100, p99: 20500, thr: 198e3, procUS: 8.1, replayed: 500, exposed: 5, expP99: 2, logins: 300, token: jwsShape}
}
func jweDir() sb {
	return sb{name: "jwe-dir", fam: "jwe", p50: 9000, p99: 30000, thr: 120e3, replayed: 500, exposed: 500, expP99: 5800, token: jweShape}
}

func with(b sb, f func(*sb)) sb { f(&b); return b }

func one(bs ...sb) spt { return spt{backends: bs} }

// TestClaimRules runs every claim rule on runs built to support it, to
// refute it and to leave it undecided.
func TestClaimRules(t *testing.T) {
	twoNodes := func(bs ...sb) spt { return spt{params: map[string]string{"cluster.nodes": "2"}, backends: bs} }
	// The refresh claim needs a token lifetime shorter than the 6 s runs.
	ttlSweep := func(refresh sb, shortJWT sb) []spt {
		long := with(hs256(), func(b *sb) { b.expP99 = 5900 })
		return []spt{
			{params: map[string]string{"token.ttl": "1s"}, backends: []sb{shortJWT, refresh}},
			{params: map[string]string{"token.ttl": "10s"}, backends: []sb{long}},
		}
	}
	shortJWT := with(hs256(), func(b *sb) { b.expP99, b.logins = 1100, 3000 })
	refresh := sb{name: "jwt-refresh", fam: "hybrid", hasStore: true, p50: 5000, p99: 20000, thr: 200e3,
		replayed: 500, exposed: 500, expP99: 1050, logins: 300, refreshes: 2700, loginP50: 6000, refreshP50: 4000, token: jwsShape}

	for _, tc := range []struct {
		claim    int
		name     string
		repeats  int
		points   []spt
		want     Verdict
		evidence string
	}{
		{0, "jwt counted no store operation", 6, []spt{one(hs256(), sessRedis())}, Supported, "jwt-hs256: 0 round trips and 0 look-ups per validation counted"},
		{0, "jwt counted a round trip", 6, []spt{one(with(hs256(), func(b *sb) { b.rt = 1 }), sessRedis())}, Refuted, "jwt-hs256: 1.00 round trips"},
		{0, "store operations not counted", 6, []spt{one(with(hs256(), func(b *sb) { b.noOps = true }))}, Inconclusive, "not counted"},
		{0, "no jwt", 6, []spt{one(sessRedis())}, NotMeasured, "no plain JWT"},

		{1, "networked sessions slower on every metric", 6, []spt{one(hs256(), sessRedis())}, Supported, "vs jwt-hs256: p50 10× worse, p99 25× worse, throughput 10× worse"},
		{1, "in-process sessions faster", 6, []spt{one(hs256(), sessMemory())}, Refuted, "p50 5.0× better"},
		{1, "networked slower, in-process faster", 6, []spt{one(hs256(), sessRedis(), sessMemory())}, Qualified, "adds latency for session-redis; not for session-memory"},
		{1, "slower on p50 only", 6, []spt{one(hs256(), with(sessRedis(), func(b *sb) { b.p99, b.thr = 15000, 260e3 }))}, Qualified, "on some metrics or against some JWTs only for session-redis"},
		{1, "three repeats", 3, []spt{one(hs256(), sessRedis())}, Inconclusive, "fewer than 6 repeats"},

		{2, "revoked jwt accepted", 6, []spt{one(hs256())}, Supported, "100.0% of 3,000 replayed"},
		{2, "revoked jwt refused", 6, []spt{one(with(hs256(), func(b *sb) { b.exposed, b.expP99 = 0, 0 }))}, Refuted, "0.0% of 3,000"},
		{2, "five replays", 6, []spt{one(with(hs256(), func(b *sb) { b.replayed, b.exposed = 1, 1 }))}, Inconclusive, "fewer than 10 revoked tokens"},

		{3, "redis denylist gives back the round trip", 6, []spt{one(hs256(), sessRedis(), denyRedis())}, Supported, "100.0% of the round trips gap"},
		{3, "pubsub denylist gives nothing back", 6, []spt{one(hs256(), sessRedis(), denyPubSub())}, Refuted, "every node now depends on the store for revocations"},
		{3, "one gives back, one does not", 6, []spt{one(hs256(), sessRedis(), denyRedis(), denyPubSub())}, Qualified, "gives back for jwt-denylist-redis; not for jwt-denylist-pubsub"},
		{3, "no cpu advantage to give back", 6, []spt{one(with(hs256(), func(b *sb) { b.procUS = 40 }), sessRedis(), denyRedis())}, Supported, "no CPU per validation advantage to give back (jwt-hs256 40.0 µs, session-redis 30.0 µs)"},
		{3, "only the round trips decided", 3, []spt{one(hs256(), sessRedis(), denyPubSub())}, Inconclusive, "latency and throughput gaps undecided"},
		{3, "no decided advantage", 3, []spt{one(with(hs256(), func(b *sb) { b.noOps = true }), with(sessRedis(), func(b *sb) { b.noOps = true }), with(denyRedis(), func(b *sb) { b.noOps = true }))}, Inconclusive, "no decided advantage"},

		{4, "short ttl with refresh", 6, ttlSweep(refresh, shortJWT), Supported, "jwt-refresh at token.ttl=1s: exposure p99 1.05 s"},
		{4, "refresh exposure outlives the ttl", 6, ttlSweep(with(refresh, func(b *sb) { b.expP99 = 5000 }), shortJWT), Refuted, "exposure p99 5.00 s"},
		{4, "refresh logs in as often", 6, ttlSweep(with(refresh, func(b *sb) { b.logins = 3000 }), shortJWT), Refuted, "0 logins avoided"},
		{4, "a refresh costs more than a login", 6, ttlSweep(with(refresh, func(b *sb) { b.refreshP50 = 9000 }), shortJWT), Qualified, "a refresh costs more than the login it replaces"},
		{4, "five replays", 6, ttlSweep(with(refresh, func(b *sb) { b.replayed = 1 }), shortJWT), Inconclusive, "fewer than 10 revoked tokens"},
		{4, "tokens outlive the runs", 6, []spt{one(hs256(), refresh)}, NotMeasured, "shorter than the runs"},

		{5, "sessions revoke at once", 6, []spt{one(sessRedis())}, Supported, "session-redis: 0 of 12,000 replays accepted"},
		{5, "a session outlives its logout", 6, []spt{one(with(sessRedis(), func(b *sb) { b.replaysAccepted, b.exposed, b.expP99 = 3, 1, 4 }))}, Refuted, "session-redis: 18 of 12,000"},
		{5, "five replays", 6, []spt{one(with(sessRedis(), func(b *sb) { b.replayed = 1 }))}, Inconclusive, "fewer than 10 revoked sessions"},

		{6, "jwt works, sessions break or pay", 6, []spt{twoNodes(hs256(), with(sessMemory(), func(b *sb) { b.falseRejects = 50_000 }), sessRedis())}, Supported, "session-memory: 300,000 false rejects (50.0%), p50 1000 ns, 0 round trips per validation — breaks without sticky routing"},
		{6, "jwt breaks", 6, []spt{twoNodes(with(hs256(), func(b *sb) { b.falseRejects = 5000 }), sessRedis())}, Refuted, "jwt-hs256: 30,000 false rejects"},
		{6, "a cached session works across nodes", 6, []spt{twoNodes(hs256(), sessRedis(), sb{name: "session-redis-cached", fam: "hybrid", hasStore: true, rt: 0.03, hit: 0.97, p50: 4000, p99: 20000, thr: 220e3})}, Qualified, "but session-redis-cached also works across nodes"},
		{6, "no session backend", 6, []spt{twoNodes(hs256())}, Inconclusive, "no session backend ran"},
		{6, "one node", 6, []spt{one(hs256(), sessMemory())}, NotMeasured, "one validator node"},

		{7, "jwe unreadable, five segments", 6, []spt{one(hs256(), jweDir())}, Supported, "jwe-dir: 5 segments, no claim readable without the key; p50 9.00 µs vs jwt-hs256 5.00 µs (1.8×)"},
		{7, "jwe claims readable", 6, []spt{one(hs256(), with(jweDir(), func(b *sb) { b.token = &results.TokenShape{Segments: 5, ReadableClaims: []string{"sub"}} }))}, Refuted, "claims readable: sub"},
		{7, "jwe of three segments", 6, []spt{one(hs256(), with(jweDir(), func(b *sb) { b.token = &results.TokenShape{Segments: 3, ReadableClaims: []string{}} }))}, Refuted, "jwe-dir: 3 segments"},
		{7, "no token inspected", 6, []spt{one(hs256(), with(jweDir(), func(b *sb) { b.token = nil }))}, Inconclusive, "no issued token inspected"},
		{7, "check finds nothing in a jws either", 6, []spt{one(with(hs256(), func(b *sb) { b.token = &results.TokenShape{Segments: 3} }), jweDir())}, Inconclusive, "shows nothing"},
	} {
		t.Run(fmt.Sprintf("%d/%s", tc.claim, tc.name), func(t *testing.T) {
			claims := CheckClaims(synth(tc.repeats, tc.points...))
			if len(claims) != 8 {
				t.Fatalf("%d claims, want the 8 of DESIGN.md", len(claims))
			}
			c := claims[tc.claim]
			if c.Verdict != tc.want {
				t.Errorf("%q: verdict %q, want %q; evidence: %s", c.Claim, c.Verdict, tc.want, c.Evidence)
			}
			if !strings.Contains(c.Evidence, tc.evidence) {
				t.Errorf("%q: evidence %q lacks %q", c.Claim, c.Evidence, tc.evidence)
			}
			if c.Refutation == "" {
				t.Errorf("%q: no refutation stated", c.Claim)
			}
		})
	}
}

// TestFaultsLeaveRunsOut: a run whose store lost its data (session-redis
// refusing valid sessions) must not decide the distributed claim; it is
// left out and named. Before, those false rejects made it "supported".
func TestFaultsLeaveRunsOut(t *testing.T) {
	lost := with(sessRedis(), func(b *sb) { b.falseRejects = 42_935 })
	s := synth(6, spt{params: map[string]string{"cluster.nodes": "2"}, backends: []sb{hs256(), lost}})
	c := CheckClaims(s)[6]
	if c.Verdict != Inconclusive {
		t.Errorf("verdict %q, want %q with session-redis left out; evidence: %s", c.Verdict, Inconclusive, c.Evidence)
	}
	if !strings.Contains(c.Evidence, "runs left out as faulty: 0002, 0004") {
		t.Errorf("evidence %q does not name the runs left out", c.Evidence)
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		b     sb
		nodes string
		limit *float64
		want  string // "" when the run is kept
	}{
		{"clean", sessRedis(), "1", nil, ""},
		{"a few errors below the limit", with(sessRedis(), func(b *sb) { b.errors = 50 }), "1", nil, ""},
		{"errors above the limit", with(sessRedis(), func(b *sb) { b.errors = 200 }), "1", nil, "200 of 100,000 validate operations failed"},
		{"errors above a scenario's own limit", with(sessRedis(), func(b *sb) { b.errors = 50 }), "1", ptr(0.0001), "50 of 100,000 validate"},
		{"false accept on an immediate backend", with(sessRedis(), func(b *sb) { b.falseAccepts = 1 }), "1", nil, "1 false accepts on a backend that revokes at once"},
		{"false accept on a propagating backend", with(denyPubSub(), func(b *sb) { b.falseAccepts = 5 }), "1", nil, ""},
		{"lost sessions", with(sessRedis(), func(b *sb) { b.falseRejects = 10 }), "2", nil, "10 valid credentials refused"},
		{"node-local sessions behind random routing", with(sessMemory(), func(b *sb) { b.falseRejects = 10_000 }), "2", nil, ""},
		{"node-local sessions on one node", with(sessMemory(), func(b *sb) { b.falseRejects = 10 }), "1", nil, "10 valid credentials refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(1, spt{params: map[string]string{"cluster.nodes": tc.nodes}, backends: []sb{tc.b}})
			s.MaxErrorShare = tc.limit
			left := Faults(s)
			switch {
			case tc.want == "" && len(left) > 0:
				t.Errorf("run left out: %s", left[0].Reason)
			case tc.want != "" && len(left) == 0:
				t.Errorf("run kept, want it left out for %q", tc.want)
			case tc.want != "" && !strings.Contains(left[0].Reason, tc.want):
				t.Errorf("reason %q lacks %q", left[0].Reason, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
