package redisproc

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/authbench/authbench/backends"
)

// RequireEnv names the environment variable that turns a missing
// redis-server into a test failure instead of a skip (CI sets it).
const RequireEnv = "AUTHBENCH_REQUIRE_REDIS"

// ForTest starts a private server for one test and connects to it with
// cfg; Cleanup closes both. Tests always get a private server, never
// REDIS_URL, so they may kill or pause it. Without redis-server the test is
// skipped, or fails when AUTHBENCH_REQUIRE_REDIS=1.
func ForTest(t testing.TB, cfg backends.RedisConfig) *Conn {
	t.Helper()
	srv, err := Start(context.Background())
	if err != nil {
		if errors.Is(err, ErrNoRedisServer) && os.Getenv(RequireEnv) != "1" {
			t.Skipf("skipping: %v (set %s=1 to make this a failure)", err, RequireEnv)
		}
		t.Fatal(err)
	}
	client, err := NewClient(srv.URL(), cfg)
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	c := &Conn{Client: client, Server: srv, URL: Redact(srv.URL())}
	t.Cleanup(func() { c.Close() })
	return c
}
