package redisproc

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/authbench/authbench/backends"
)

// ClusterForTest starts a private three-master cluster for one test and
// connects a cluster client to it with cfg; Cleanup closes both. Like
// ForTest it skips without redis-server unless AUTHBENCH_REQUIRE_REDIS=1.
func ClusterForTest(t testing.TB, cfg backends.RedisConfig) *Conn {
	t.Helper()
	cl, err := StartCluster(context.Background())
	if err != nil {
		if errors.Is(err, ErrNoRedisServer) && os.Getenv(RequireEnv) != "1" {
			t.Skipf("skipping: %v (set %s=1 to make this a failure)", err, RequireEnv)
		}
		t.Fatal(err)
	}
	cfg.Mode = backends.RedisCluster
	client, err := NewClient(cl.URL(), cfg)
	if err != nil {
		cl.Stop()
		t.Fatal(err)
	}
	c := &Conn{Client: client, Cluster: cl, URL: Redact(cl.URL())}
	t.Cleanup(func() { c.Close() })
	return c
}
