package backends_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/keys"
)

// TestRedisHybridTokensNotInterchangeable: jwt-hs256, the three denylists
// and jwt-refresh all sign with the run's HMAC secret; each must refuse the
// others' tokens (own kid and audience), or a token minted for a backend
// without revocation would pass one that has it.
func TestRedisHybridTokensNotInterchangeable(t *testing.T) {
	leakCheck(t)
	env, _ := redisEnv(t, time.Minute)
	env.Keys = keys.NewRing("", keys.DefaultRSABits) // one key set for all
	names := []string{"jwt-hs256", "jwt-denylist-memory", "jwt-denylist-redis", "jwt-denylist-pubsub", "jwt-refresh"}
	nodes := map[string]backends.Strategy{}
	for _, n := range names {
		e := *env
		e.Options = nil
		nodes[n] = openNode(t, n, &e)
	}
	ctx := ctxT(t)
	for _, from := range names {
		c, err := nodes[from].Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		for _, to := range names {
			err := nodes[to].Validate(ctx, c.Token)
			switch {
			case from == to && err != nil:
				t.Errorf("%s refuses its own token: %v", to, err)
			case from != to && !errors.Is(err, backends.ErrRejected):
				t.Errorf("%s accepted a token of %s: %v", to, from, err)
			}
		}
	}
}
