package backends_test

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/redistest"
)

// refusalSink keeps the engine's classification of each answer alive, so
// the compiler cannot drop it from the measured function.
var refusalSink bool

// TestRefusalAllocations holds every backend to one rule: refusing a
// credential costs no allocation that accepting one does not. Refusals
// are the common answer under attack and in the revocation scenarios, so
// a backend that builds its refusal per call (fmt.Errorf, errors.New, a
// fresh wrapper) would be measured for its error formatting, and would
// look slower than one that refuses with a value built once.
//
// For each backend it validates a credential it issued, then the typical
// refusals: a tampered signature (for sessions: an ID never issued),
// garbage, a credential over the size limit, a revoked credential and an
// expired one. Each validation is followed by what the engine does with
// the answer (errors.Is for a store data loss, IsRejection), since that
// runs for every request too.
//
// The libraries allocate on parse, and golang-jwt builds its errors per
// call; that is their cost, the same for every caller. So where a token
// reaches a library, the allocations of the same library calls on the
// same tokens (backends.LibraryPart) are subtracted, and what is compared
// is authbench's own part. Two checks:
//
//   - Built once: two refusals for the same reason return the very same
//     error value.
//   - No dearer than acceptance: authbench's own allocations for a
//     refusal are at most those for an acceptance, on the same backend
//     (means over many calls, within three quarters of an allocation:
//     see allocsPerCall). The Redis backends are held to the first check
//     only: go-redis allocates differently for a found and a missing
//     key, and that is not authbench's to remove.
func TestRefusalAllocations(t *testing.T) {
	const runs = 300
	ring := keys.NewRing("", keys.DefaultRSABits)
	// One server for the Redis backends, each in its own namespace; without
	// redis-server their subtests skip (or fail under
	// AUTHBENCH_REQUIRE_REDIS=1) and the others still run.
	var shared *backends.Env
	if _, err := exec.LookPath("redis-server"); err == nil {
		shared, _ = redisEnv(t, 0)
	}
	for _, e := range backends.All() {
		info := e.Info
		if info.Family == "calibration" {
			continue // they accept everything
		}
		t.Run(info.Name, func(t *testing.T) {
			var offset atomic.Int64 // the node's clock, from the test's start
			start := time.Now()
			env := &backends.Env{
				Token: backends.DefaultToken,
				Keys:  ring,
				Now:   func() time.Time { return start.Add(time.Duration(offset.Load())) },
			}
			if info.NeedsRedis {
				if shared == nil {
					redistest.NeedServer(t)
				}
				env.Redis, env.RedisClient = shared.Redis, shared.RedisClient
				env.Namespace = "authbench:test:refusal:" + info.Name + ":"
			}
			s := openNode(t, info.Name, env)
			ctx := context.Background()
			// A stateful node may forget a credential it refused (an expired
			// session is deleted): it gets a fresh one for every call.
			n := 8
			if info.Stateful {
				n = runs + 1
			}
			issue := func() []string {
				toks := make([]string, n)
				for i := range toks {
					toks[i] = mustIssue(t, s, "alice").Token
				}
				return toks
			}
			valid, expired := issue(), issue()
			var revoked []string
			for range n {
				c := mustIssue(t, s, "alice")
				if err := s.Revoke(ctx, c); err != nil {
					t.Fatal(err)
				}
				revoked = append(revoked, c.Token)
			}
			tampered := make([]string, len(valid))
			for i, tok := range valid {
				tampered[i] = tamper(tok, info.IssuesTokens)
			}

			library := backends.LibraryPart(s)
			// measure validates toks in turn (each once) and returns the
			// allocations per validation that are authbench's own, and the
			// answers to the last two.
			measure := func(toks []string, reachesLibrary bool) (total, lib float64, last [2]error) {
				i := 0
				total = allocsPerCall(runs, func() {
					err := s.Validate(ctx, toks[i%len(toks)])
					refusalSink = errors.Is(err, backends.ErrStoreDataLoss) && backends.IsRejection(err) || backends.IsRejection(err)
					last[i%2] = err
					i++
				})
				if reachesLibrary && library != nil {
					j := 0
					lib = allocsPerCall(runs, func() {
						library(toks[j%len(toks)])
						j++
					})
				}
				return total, lib, last
			}

			accTotal, accLib, last := measure(valid, true)
			if last[0] != nil || last[1] != nil {
				t.Fatalf("own credential refused: %v", last[0])
			}
			accOwn := accTotal - accLib
			ours := "authbench"
			if info.NeedsRedis {
				ours = "authbench and go-redis"
			}
			t.Logf("%-20s %-10s %5.1f allocs/validation (%5.1f in the token libraries, %4.1f %s)", info.Name, "accepted", accTotal, accLib, accOwn, ours)

			check := func(what string, toks []string, reachesLibrary bool) {
				total, lib, last := measure(toks, reachesLibrary)
				own := total - lib
				t.Logf("%-20s %-10s %5.1f allocs/validation (%5.1f in the token libraries, %4.1f %s)", info.Name, what, total, lib, own, ours)
				for _, err := range last {
					if !backends.IsRejection(err) {
						t.Errorf("%s: Validate = %v, want a rejection", what, err)
						return
					}
				}
				if last[0] != last[1] {
					t.Errorf("%s: two refusals returned two error values (%p, %p): build the refusal once", what, last[0], last[1])
				}
				if !info.NeedsRedis && own > accOwn+0.75 {
					t.Errorf("%s: authbench allocates %.1f times per refusal, %.1f per acceptance: a refusal must cost no more", what, own, accOwn)
				}
			}
			check("tampered", tampered, info.IssuesTokens)
			check("garbage", []string{"garbage!"}, false)
			check("too large", []string{strings.Repeat("A", backends.DefaultMaxTokenBytes+1)}, false)
			if err := s.Validate(ctx, revoked[0]); err != nil || info.ImmediateRevocation {
				// Stateless tokens stay valid after a logout by design,
				// and so does jwt-refresh's access token.
				check("revoked", revoked, info.IssuesTokens)
			}
			offset.Store(int64(backends.DefaultToken.TTL + backends.DefaultToken.Leeway + time.Minute))
			check("expired", expired, info.IssuesTokens)
		})
	}
}

// allocsPerCall is testing.AllocsPerRun without its rounding down to a
// whole number. Under the race detector (make test) sync.Pool drops items
// at random, so the libraries' allocations vary a little from call to
// call; their mean over many calls varies by a few tenths at most, and
// what authbench would add on every call (a refusal built per call is at
// least one allocation) stands out from it. Without -race the means are
// whole numbers.
func allocsPerCall(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm-up, as AllocsPerRun
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}

// tamper changes one character of a credential: the first of a token's
// last segment (its signature or authentication tag), or one in the
// middle of a session ID, so that the result is well formed but forged.
func tamper(tok string, isToken bool) string {
	i := len(tok) / 2
	if isToken {
		i = strings.LastIndexByte(tok, '.') + 1
	}
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
