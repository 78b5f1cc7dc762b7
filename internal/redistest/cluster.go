package redistest

import (
	"context"
	"errors"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
)

// StartCluster starts a private three-master Redis Cluster for one test
// and connects a cluster client to it with cfg's pool size and time-outs;
// Cleanup closes both.
func StartCluster(t testing.TB, cfg backends.RedisConfig) *redisproc.Conn {
	t.Helper()
	cl, err := redisproc.StartCluster(context.Background())
	if errors.Is(err, redisproc.ErrNoRedisServer) {
		skipOrFail(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode = backends.RedisCluster
	client, err := redisproc.NewClient(cl.URL(), cfg)
	if err != nil {
		cl.Stop()
		t.Fatal(err)
	}
	c := &redisproc.Conn{Client: client, Cluster: cl, URL: redisproc.Redact(cl.URL())}
	t.Cleanup(func() { c.Close() })
	return c
}
