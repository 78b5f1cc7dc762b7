package backends_test

import (
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/keys"
)

// TestAttacksRedisHybrids runs the attack catalogue against the hybrids
// that keep their state in Redis: their tokens are HS256 JWTs, and every
// forgery must be refused before the store is asked, with the catalogue's
// reason; the controls must be accepted (the store answers). Leeway 0
// turns "expired within leeway" into a refusal as expired.
func TestAttacksRedisHybrids(t *testing.T) {
	leakCheck(t)
	for _, name := range []string{"jwt-denylist-redis", "jwt-denylist-pubsub", "jwt-refresh"} {
		t.Run(name, func(t *testing.T) {
			env, _ := redisEnv(t, time.Minute)
			if e, _ := backends.Lookup(name); e.Options != nil {
				env.Options = e.Options()
			}
			res, err := backends.RunAttacks(ctxT(t), backends.AttackRun{Backend: name, Env: env, Attacker: keys.NewRing("", 2048)})
			if err != nil {
				t.Fatal(err)
			}
			controls := 0
			for _, r := range res {
				if r.Got != r.Want {
					t.Errorf("%s: got %q, want %q", r.Attack, r.Got, r.Want)
				}
				if r.Control() {
					controls++
				}
			}
			if len(res) == 0 || controls < 3 {
				t.Errorf("%d results, %d controls", len(res), controls)
			}
		})
	}
}
