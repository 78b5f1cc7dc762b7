package main

import (
	"strings"
	"testing"
)

// A malformed REDIS_URL is reported without its password.
func TestTokenRedisURLErrorHidesPassword(t *testing.T) {
	dir := keyDir(t)
	t.Setenv("REDIS_URL", "redis://:s3cretpw@127.0.0.1:bad/0")
	code, out, errs := run(cmdToken, "issue", "--backend", "jwt-denylist-redis", "--keys", dir)
	if code == 0 || strings.Contains(out+errs, "s3cretpw") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want a failure without the password", code, out, errs)
	}
}
