package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/scenarios"
)

// Session backends need no key set: `token issue` must not ask for --keys,
// and what it writes to Redis lives under the CLI's own namespace.
func TestTokenSessionsWithoutKeys(t *testing.T) {
	conn := redistest.Start(t, backends.RedisConfig{Timeout: time.Second})
	t.Setenv("REDIS_URL", conn.Server.URL())
	for _, b := range []string{"session-redis", "session-redis-cached"} {
		code, out, errs := run(cmdToken, "issue", "--backend", b, "--sub", "alice")
		if code != 0 {
			t.Fatalf("%s: issue without --keys: exit %d: %s", b, code, errs)
		}
		tok := strings.TrimSpace(out)
		if code, out, errs := run(cmdToken, "verify", "--backend", b, tok); code != 0 || out != "accepted\n" {
			t.Errorf("%s: verify: exit %d, %q %q", b, code, out, errs)
		}
	}
	keys, err := conn.Client.Keys(context.Background(), "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys in Redis: %v %v", keys, err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, tokenNamespace) || !strings.HasSuffix(tokenNamespace, ":") {
			t.Errorf("key %q is not under the namespace %q", k, tokenNamespace)
		}
	}
}

// The token command connects with the connector a run uses: it pings with
// a time-out, so a server that accepts but never answers is an error,
// not a hang.
func TestTokenRedisConnectsWithTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	t.Setenv("REDIS_URL", "redis://"+ln.Addr().String())
	done := make(chan struct{})
	var code int
	var errs string
	go func() {
		defer close(done)
		code, _, errs = run(cmdToken, "issue", "--backend", "session-redis")
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("token issue still waiting for a silent Redis after a minute")
	}
	if code != tokenUndecided || !strings.Contains(errs, "does not answer PING") {
		t.Errorf("silent Redis: exit %d, %q", code, errs)
	}
}

// A credential made by hand must match one made during a run: the token
// command's defaults are the scenario's.
func TestTokenDefaultsAreTheScenarios(t *testing.T) {
	fs := newTokenFlagSet("issue", io.Discard, &tokenFlags{})
	d := scenarios.Defaults().Token
	want := map[string]string{
		"ttl": d.TTL.String(), "leeway": d.Leeway.String(), "issuer": d.Issuer,
		"audience": d.Audience, "claims-bytes": strconv.Itoa(d.ClaimsBytes), "keys": "",
	}
	for name, path := range tokenFlagPaths {
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("--%s (for %s) is not a flag", name, path)
			continue
		}
		if f.DefValue != want[name] {
			t.Errorf("--%s defaults to %q, the scenario's %s to %q", name, f.DefValue, path, want[name])
		}
	}
}
