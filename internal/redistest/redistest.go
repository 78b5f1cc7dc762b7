// Package redistest starts private Redis servers for tests, as
// net/http/httptest starts HTTP servers. It lives apart from redisproc so
// that package testing never reaches the authbench binary.
//
// Tests always get a server of their own on a free loopback port, never
// REDIS_URL, so they may flush, kill or pause it. Without redis-server a
// test is skipped, or fails when AUTHBENCH_REQUIRE_REDIS=1 (CI sets it).
package redistest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
)

// RequireEnv names the environment variable that turns a missing
// redis-server into a test failure instead of a skip.
const RequireEnv = "AUTHBENCH_REQUIRE_REDIS"

// Start starts a private server for one test and connects to it with
// cfg's pool size and time-outs; Cleanup closes both.
func Start(t testing.TB, cfg backends.RedisConfig) *redisproc.Conn {
	t.Helper()
	srv, err := redisproc.Start(context.Background())
	if errors.Is(err, redisproc.ErrNoRedisServer) {
		skipOrFail(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	client, err := redisproc.NewClient(srv.URL(), cfg)
	if err != nil {
		srv.Stop()
		t.Fatal(err)
	}
	c := &redisproc.Conn{Client: client, Server: srv, URL: redisproc.Redact(srv.URL())}
	t.Cleanup(func() { c.Close() })
	return c
}

// NeedServer skips t (or fails it under AUTHBENCH_REQUIRE_REDIS=1) when
// redis-server is not on PATH: for tests that run a binary which starts
// its own server.
func NeedServer(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipOrFail(t, err)
	}
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%v (%s=1: a missing redis-server is a failure)", err, RequireEnv)
	}
	t.Skipf("skipping: %v (set %s=1 to make this a failure)", err, RequireEnv)
}
