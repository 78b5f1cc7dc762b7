package backends_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/testutil"
)

// clusterEnv connects to a private three-master cluster.
func clusterEnv(t *testing.T, ttl time.Duration) (*backends.Env, *redisproc.Conn) {
	t.Helper()
	cfg := backends.RedisConfig{Timeout: time.Second, PoolSize: 8, Mode: backends.RedisCluster}
	return envOn(t, ttl, cfg, redistest.StartCluster(t, cfg))
}

// TestRedisBackendsOnCluster runs every Redis backend on a real cluster
// with two nodes: credentials issued for many users (so their keys land on
// every master) validate on the other node, a logout on one node is
// refused on the other, refresh rotates (its Lua script touches three keys,
// which must share a slot), and the store size counts keys on every master.
func TestRedisBackendsOnCluster(t *testing.T) {
	env, _ := clusterEnv(t, time.Minute)
	for _, name := range []string{"session-redis", "jwt-denylist-redis", "jwt-denylist-pubsub", "jwt-refresh"} {
		t.Run(name, func(t *testing.T) {
			e := *env
			e.Namespace += name + ":"
			if name == "jwt-refresh" {
				// No reuse grace: a second use right away is reuse.
				e.Options = &backends.RefreshOptions{RefreshTTL: time.Hour}
			}
			a := openNode(t, name, &e)
			b := openNode(t, name, &e)
			ctx := ctxT(t)
			var creds []backends.Credential
			for i := range 30 {
				c, err := a.Issue(ctx, fmt.Sprintf("user%d", i))
				if err != nil {
					t.Fatal(err)
				}
				creds = append(creds, c)
				wantAccept(t, b, c.Token, "fresh credential on the other node")
			}
			if r, ok := a.(backends.Refresher); ok {
				for i, c := range creds {
					nc, err := r.Refresh(ctx, c)
					if err != nil {
						t.Fatalf("refresh %d: %v", i, err)
					}
					if _, err := r.Refresh(ctx, c); !errors.Is(err, backends.ErrRefreshReuse) {
						t.Fatalf("reusing a rotated refresh token: %v, want reuse detected", err)
					}
					creds[i] = nc
				}
			}
			if err := a.Revoke(ctx, creds[0]); err != nil {
				t.Fatal(err)
			}
			if name == "jwt-refresh" {
				// The access token stays valid; its family is refused.
				if _, err := b.(backends.Refresher).Refresh(ctx, creds[0]); !backends.IsRejection(err) {
					t.Fatalf("refresh after logout: %v, want a rejection", err)
				}
			} else {
				// Pub/sub delivers the logout to node b asynchronously.
				_ = testutil.Wait(5*time.Second, func() error {
					if b.Validate(ctx, creds[0].Token) == nil {
						return errors.New("still accepted")
					}
					return nil
				})
				wantReject(t, b, creds[0].Token, nil, "revoked on the other node")
			}
			if sz, ok := a.(backends.Sizer); ok {
				n, _, err := sz.StoreSize(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					t.Errorf("store size %d on the cluster", n)
				}
				t.Logf("store size: %d entries", n)
			}
		})
	}
}

// TestCachedSessionRefusesCluster: go-redis offers client-side caching on
// a single-server client only, so session-redis-cached says it is
// unavailable (the run skips it with a warning) rather than running
// uncached under its name.
func TestCachedSessionRefusesCluster(t *testing.T) {
	env, _ := clusterEnv(t, time.Minute)
	e, _ := backends.Lookup("session-redis-cached")
	env.Options = e.Options()
	_, err := backends.Open("session-redis-cached", env)
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("session-redis-cached on a cluster: %v, want ErrUnavailable", err)
	}
}
