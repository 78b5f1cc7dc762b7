package report

import (
	"strings"
	"testing"
)

// modify returns the default backends with f applied to the named one.
func modify(name string, f func(*fxBackend)) []fxBackend {
	bs := fixtureBackends()
	for i := range bs {
		if bs[i].info.Name == name {
			f(&bs[i])
		}
	}
	return bs
}

func without(families ...string) []fxBackend {
	var out []fxBackend
	for _, b := range fixtureBackends() {
		if !contains(families, b.info.Family) {
			out = append(out, b)
		}
	}
	return out
}

func TestClaims(t *testing.T) {
	def := defaultFx()
	noReplay := defaultFx()
	noReplay.replay = false
	twoNodes := defaultFx()
	twoNodes.nodes = 2
	withJWE := append(fixtureBackends(), fxJWE())
	ttlSweep := defaultFx()
	ttlSweep.ttls = []string{"2s", "5s", "15s"}
	longTTLs := defaultFx()
	longTTLs.ttls = []string{"15s", "1m"}

	for _, tc := range []struct {
		claim    int // index in the claim table
		name     string
		backends []fxBackend
		opts     fxOptions
		want     Verdict
		evidence string // a fragment the evidence must contain
	}{
		{0, "jwt keeps no state", fixtureBackends(), def, Supported, "jwt-hs256: 0 look-ups"},
		{0, "jwt looks up a store", modify("jwt-hs256", func(b *fxBackend) { b.info.StoreLookups = 1 }), def, Refuted, "jwt-hs256: 1 look-ups"},
		{0, "no jwt", without("jwt"), def, NotMeasured, "no plain JWT"},

		{1, "redis sessions slower", fixtureBackends(), def, Supported, "session-redis p50 = "},
		{1, "redis sessions as fast", modify("session-redis", func(b *fxBackend) { b.p50 = 2000 }), def, Refuted, "session-redis p50 = "},
		{1, "no sessions", without("session"), def, NotMeasured, "needs"},

		{2, "revoked jwt accepted", fixtureBackends(), def, Supported, "100.0% of 1,500 replayed"},
		{2, "revoked jwt refused", modify("jwt-rs256", func(b *fxBackend) { b.share, b.expP99 = 0, 0 }), def, Refuted, "jwt-rs256: 0.0%"},
		{2, "no replays", fixtureBackends(), noReplay, NotMeasured, "no revoked plain JWT"},

		{3, "denylist keeps state", fixtureBackends(), def, Supported, "jwt-denylist-pubsub: 4.0% exposed"},
		{3, "stateless fix", modify("jwt-denylist-pubsub", func(b *fxBackend) { b.info.Stateful, b.entries = false, 0 }), def, Refuted, "0 store entries"},
		{3, "no hybrid", without("hybrid"), def, NotMeasured, "no hybrid"},

		{4, "short ttl with refresh shortens exposure", fixtureBackends(), ttlSweep, Supported, "vs jwt-hs256 at token.ttl=15s: exposure p99 = "},
		{4, "refresh exposure outlives a short ttl", modify("jwt-refresh", func(b *fxBackend) { b.expires, b.expP99 = false, 9000 }), ttlSweep, Refuted, "jwt-refresh at token.ttl=2s: exposure p99 = "},
		{4, "no ttl sweep", fixtureBackends(), def, NotMeasured, "needs a token.ttl sweep"},
		{4, "no refresh at the shortest ttl", fixtureBackends(), longTTLs, NotMeasured, "no backend refreshed tokens at token.ttl=15s"},

		{5, "sessions revoke at once", fixtureBackends(), def, Supported, "session-redis: 0 of"},
		{5, "a session outlives logout", modify("session-redis", func(b *fxBackend) { b.share, b.expP99 = 0.02, 5 }), def, Refuted, "session-redis: 120 of"},
		{5, "no replays", fixtureBackends(), noReplay, NotMeasured, "no revoked session"},

		{6, "memory sessions break behind random routing", fixtureBackends(), twoNodes, Supported, "session-memory at load.clients=8: 1,200 false rejects"},
		{6, "jwt breaks too", modify("jwt-hs256", func(b *fxBackend) { b.falseRejects = 10 }), twoNodes, Refuted, "jwt-hs256 at load.clients=8: 30 false rejects"},
		{6, "no session breaks", modify("session-memory", func(b *fxBackend) { b.falseRejects = 0 }), twoNodes, Refuted, "session-memory at load.clients=8: 0 false rejects"},
		{6, "one node", fixtureBackends(), def, NotMeasured, "one validator node"},

		{7, "jwe costs more", withJWE, def, Supported, "jwe-dir: p50 = "},
		{7, "jwe costs nothing", append(fixtureBackends(), func() fxBackend { b := fxJWE(); b.p50, b.token = 3000, 200; return b }()), def, Refuted, "token 200 vs 312 bytes"},
		{7, "no jwe", fixtureBackends(), def, NotMeasured, "needs a JWE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := buildFixture(t, "", tc.backends, tc.opts)
			claims := CheckClaims(s)
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
		})
	}
}

// TestClaimRefreshTTLSeries checks that the refresh claim reads only the
// points of the headline's load, orders TTLs as durations (2s before 15s,
// which string order would swap) and compares the short TTL with the long.
func TestClaimRefreshTTLSeries(t *testing.T) {
	o := defaultFx()
	o.ttls = []string{"15s", "2s", "5s"}
	c := CheckClaims(buildFixture(t, "", fixtureBackends(), o))[4]
	if c.Verdict != Supported {
		t.Fatalf("verdict %q, want %q; evidence: %s", c.Verdict, Supported, c.Evidence)
	}
	_, series, ok := strings.Cut(c.Evidence, "exposure p99 of jwt-refresh by TTL: ")
	if !ok {
		t.Fatalf("evidence %q lacks the TTL series", c.Evidence)
	}
	var ttls []string
	for _, e := range strings.Split(series, ", ") {
		ttl, _, _ := strings.Cut(e, " → ")
		ttls = append(ttls, ttl)
	}
	if got := strings.Join(ttls, " "); got != "2s 5s 15s" {
		t.Errorf("TTL series %q, want 2s 5s 15s (one per TTL at load.clients=8)", got)
	}
	// At 2s a revoked token lives under 2 s; at 15s, most of the 10 s run.
	for _, want := range []string{"jwt-refresh at token.ttl=2s: exposure p99 = 1.", "vs jwt-hs256 at token.ttl=15s: exposure p99 = 9."} {
		if !strings.Contains(c.Evidence, want) {
			t.Errorf("evidence %q lacks %q", c.Evidence, want)
		}
	}
}
