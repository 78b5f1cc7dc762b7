package report

import (
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
)

func TestFits(t *testing.T) {
	run := func(r *results.Require) (*results.Summary, []Fit, bool, string) {
		s := synth(1, one(hs256(), sessRedis(), denyPubSub()))
		s.Require = r
		fits, ok, why := Fits(s)
		return s, fits, ok, why
	}
	meets := func(fits []Fit) []string {
		var out []string
		for _, f := range fits {
			if f.Meets() {
				out = append(out, f.Backend)
			}
		}
		return out
	}
	t.Run("immediate logout at a tight p99", func(t *testing.T) {
		// Internal API: no revoked token may be accepted, p99 under 100 µs.
		_, fits, ok, _ := run(&results.Require{FalseAccepts: ptr(int64(0)), ExposureP99MS: ptr(0.0), ValidateP99NS: 100_000})
		if got := strings.Join(meets(fits), ","); got != "" || ok {
			t.Errorf("meets %q, ok %v: session-redis has p99 500 µs, the JWTs expose revoked tokens; want none and not ok", got, ok)
		}
	})
	t.Run("minutes of exposure at a high rate", func(t *testing.T) {
		_, fits, ok, why := run(&results.Require{Throughput: 100e3, ExposureP99MS: ptr(3_600_000.0)})
		if got := strings.Join(meets(fits), ","); got != "jwt-hs256,jwt-denylist-pubsub" || !ok {
			t.Errorf("meets %q, ok %v (%s); want jwt-hs256 and jwt-denylist-pubsub", got, ok, why)
		}
		if s := fitSentence(fits, &results.Require{Throughput: 1}); !strings.Contains(s, "The cheapest backend meeting every requirement is jwt-hs256, at 8.00 µs CPU per validation (2 of 3") {
			t.Errorf("sentence %q", s)
		}
	})
	t.Run("a required backend misses", func(t *testing.T) {
		_, _, ok, why := run(&results.Require{Backends: []string{"session-redis"}, ValidateP99NS: 100_000})
		if ok || !strings.Contains(why, "session-redis (validate p99 500 µs > 100 µs)") {
			t.Errorf("ok %v, %q: want session-redis named with its miss", ok, why)
		}
	})
	t.Run("a required backend meets", func(t *testing.T) {
		_, _, ok, why := run(&results.Require{Backends: []string{"session-redis"}, ValidateP99NS: 1_000_000})
		if !ok {
			t.Errorf("not ok: %s", why)
		}
	})
	t.Run("unmeasured figure is a miss", func(t *testing.T) {
		s := synth(1, one(with(hs256(), func(b *sb) { b.replayed, b.procUS = 0, 0 })))
		s.Require = &results.Require{ExposureP99MS: ptr(1000.0), CPUMicros: 100}
		fits, ok, _ := Fits(s)
		if ok || len(fits[0].Misses) != 2 {
			t.Errorf("ok %v, misses %v: exposure and CPU were not measured, want two misses", ok, fits[0].Misses)
		}
	})
	t.Run("exposure cut off by the run", func(t *testing.T) {
		// token.ttl 15m outlives the 6 s runs: jwt-hs256's 5.8 s is a
		// lower bound, so a 1 min limit is not shown to be met.
		_, fits, _, _ := run(&results.Require{ExposureP99MS: ptr(60_000.0)})
		if fits[0].Backend != "jwt-hs256" || fits[0].Meets() || !strings.Contains(fits[0].Misses[0], "up to 15.0 min") && !strings.Contains(fits[0].Misses[0], "up to 900 s") {
			t.Errorf("jwt-hs256: %v, want a miss for an exposure up to the 15 min TTL", fits[0].Misses)
		}
		if !fits[2].Meets() {
			t.Errorf("%s: %v; its 2 ms exposure is not cut off", fits[2].Backend, fits[2].Misses)
		}
	})
	t.Run("no requirements", func(t *testing.T) {
		_, _, ok, _ := run(nil)
		if !ok {
			t.Error("no require block, not ok")
		}
	})
}

func TestParetoFront(t *testing.T) {
	fits := []Fit{
		{Backend: "a", CostUS: 1, ExposureMS: 1000},
		{Backend: "b", CostUS: 5, ExposureMS: 0},
		{Backend: "c", CostUS: 6, ExposureMS: 10},   // b is cheaper and exposes less
		{Backend: "d", CostUS: 2, ExposureMS: 1000}, // a is cheaper, same exposure
		{Backend: "e", CostUS: 0.5, ExposureMS: -1}, // no exposure figure
	}
	var got []string
	for _, f := range paretoFront(fits) {
		got = append(got, f.Backend)
	}
	if strings.Join(got, ",") != "a,b" {
		t.Errorf("front %v, want a,b", got)
	}
}

func TestAttention(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    sb
		edit func(*results.Run)
		want string // "" for nothing to act on
	}{
		{"clean", sessRedis(), nil, ""},
		{"one logout time-out in 300", sessRedis(), func(r *results.Run) { o := r.Ops[results.OpLogout]; o.Errors = 1; r.Ops[results.OpLogout] = o }, "1 of 300 logout operations failed"},
		{"one logout time-out in 3,000", sessRedis(), func(r *results.Run) { r.Ops[results.OpLogout] = results.Op{Count: 3000, Errors: 1} }, ""},
		{"one validation error in 100,000", with(sessRedis(), func(b *sb) { b.errors = 1 }), nil, ""},
		{"errors above the limit", with(sessRedis(), func(b *sb) { b.errors = 500 }), nil, "500 of 100000 validate operations failed"},
		{"false accept, immediate", with(sessRedis(), func(b *sb) { b.falseAccepts = 1 }), nil, "promises immediate revocation"},
		{"false accepts, propagated", with(denyPubSub(), func(b *sb) { b.falseAccepts = 30 }), nil, ""},
		{"the store stopped answering", with(sessRedis(), func(b *sb) { b.errors = 50 }), func(r *results.Run) {
			r.Timeline = []results.Second{{T: 0, Validations: 100}, {T: 1, Validations: 50, Errors: 50}}
		}, "in second 1 every validation failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(1, one(tc.b))
			if tc.edit != nil {
				tc.edit(&s.Runs[0])
			}
			got := strings.Join(results.Attention(s), "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("attention %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAttentionPerBackend: a store failing for one backend is not diluted
// by the validations of a fast in-process backend beside it.
func TestAttentionPerBackend(t *testing.T) {
	s := synth(1, one(with(sessMemory(), func(b *sb) { b.validations = 10_000_000 }), with(sessRedis(), func(b *sb) { b.errors = 500 })))
	got := strings.Join(results.Attention(s), "\n")
	if !strings.Contains(got, "session-redis: 500 of 100000 validate operations failed") {
		t.Errorf("attention %q does not name session-redis", got)
	}
}
