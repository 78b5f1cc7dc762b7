package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// keyDir writes a fresh key set for a test.
func keyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if code, _, errs := run(cmdKeys, "gen", "--out", dir); code != 0 {
		t.Fatalf("keys gen: %s", errs)
	}
	return dir
}

var tokenBackendNames = []string{
	"jwt-hs256", "jwt-rs256", "jwt-es256", "jwt-eddsa",
	"jwe-dir", "jwe-rsa-oaep", "jwe-ecdh-es", "jwe-nested",
}

// TestIssueVerifyRoundTrip: keys gen → token issue → token verify, and a
// token made with another key set is refused with exit 1.
func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	mine, theirs := keyDir(t), keyDir(t)
	for _, b := range tokenBackendNames {
		t.Run(b, func(t *testing.T) {
			code, out, errs := run(cmdToken, "issue", "--backend", b, "--keys", mine, "--sub", "alice")
			if code != 0 {
				t.Fatalf("issue: exit %d: %s", code, errs)
			}
			tok := strings.TrimSpace(out)
			code, out, errs = run(cmdToken, "verify", "--backend", b, "--keys", mine, tok)
			if code != 0 || out != "accepted\n" {
				t.Fatalf("verify own token: exit %d, %q %q", code, out, errs)
			}
			// Same token, validator with another audience.
			code, out, _ = run(cmdToken, "verify", "--backend", b, "--keys", mine, "--audience", "billing", tok)
			if code != 1 || out != "rejected: wrong audience\n" {
				t.Errorf("other audience: exit %d, %q", code, out)
			}
			// A token from another key set.
			_, forged, _ := run(cmdToken, "issue", "--backend", b, "--keys", theirs, "--sub", "alice")
			code, out, _ = run(cmdToken, "verify", "--backend", b, "--keys", mine, strings.TrimSpace(forged))
			if code != 1 || !strings.HasPrefix(out, "rejected: ") {
				t.Errorf("token of another key set: exit %d, %q", code, out)
			}
		})
	}
}

func TestVerifyFromStdin(t *testing.T) {
	dir := keyDir(t)
	_, tok, _ := run(cmdToken, "issue", "--backend", "jwt-hs256", "--keys", dir)
	old := tokenStdin
	defer func() { tokenStdin = old }()
	tokenStdin = strings.NewReader(tok) // with its trailing newline
	if code, out, errs := run(cmdToken, "verify", "--backend", "jwt-hs256", "--keys", dir, "-"); code != 0 {
		t.Fatalf("exit %d: %q %q", code, out, errs)
	}
	tokenStdin = strings.NewReader("not-a-token")
	if code, out, _ := run(cmdToken, "verify", "--backend", "jwt-hs256", "--keys", dir, "-"); code != 1 || out != "rejected: malformed\n" {
		t.Errorf("garbage: exit %d, %q", code, out)
	}
}

func TestVerifyExpiredWithTTLAndLeeway(t *testing.T) {
	t.Parallel()
	dir := keyDir(t)
	// A token that expired before it was issued, beyond the leeway.
	_, tok, _ := run(cmdToken, "issue", "--backend", "jwt-eddsa", "--keys", dir, "--ttl", "1ns", "--leeway", "0s")
	code, out, _ := run(cmdToken, "verify", "--backend", "jwt-eddsa", "--keys", dir, "--leeway", "0s", strings.TrimSpace(tok))
	// With a 1ns TTL, exp is truncated to the second of issue: it is
	// expired at once without leeway, accepted with the default leeway.
	if code != 1 || out != "rejected: expired\n" {
		t.Errorf("no leeway: exit %d, %q", code, out)
	}
	if code, out, _ = run(cmdToken, "verify", "--backend", "jwt-eddsa", "--keys", dir, strings.TrimSpace(tok)); code != 0 {
		t.Errorf("default leeway: exit %d, %q", code, out)
	}
}

func TestTokenUsageErrors(t *testing.T) {
	t.Parallel()
	dir := keyDir(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "Usage"},
		{[]string{"--help"}, 0, "Examples"},
		{[]string{"frobnicate"}, 2, "unknown subcommand"},
		{[]string{"issue"}, 2, "--backend"},
		{[]string{"issue", "--backend", "nope", "--keys", dir}, 2, "unknown backend"},
		{[]string{"issue", "--backend", "jwt-hs256"}, 2, "--keys DIR is required"},
		{[]string{"issue", "--backend", "jwt-hs256", "--keys", dir, "extra"}, 2, "unexpected argument"},
		{[]string{"verify", "--backend", "jwt-hs256", "--keys", dir}, 2, "want one TOKEN"},
		{[]string{"verify", "--backend", "jwt-hs256", "--keys", filepath.Join(dir, "missing"), "x"}, 2, "missing"},
		{[]string{"verify", "--backend", "jwt-rs256", "--keys", dir, "--option", "bits=1000", "x"}, 2, "bits"},
		{[]string{"verify", "--backend", "jwt-rs256", "--keys", dir, "--option", "colour=red", "x"}, 2, "colour"},
		{[]string{"verify", "--backend", "jwt-rs256", "--keys", dir, "--option", "bits=3072", "x"}, 2, "2048 bits"},
		{[]string{"issue", "--backend", "jwt-hs256", "--keys", dir, "--ttl", "-1s"}, 2, "--ttl"},
		{[]string{"inspect"}, 2, "want one TOKEN"},
		{[]string{"inspect", "a.b"}, 1, "not a compact JWS"},
	} {
		code, out, errs := run(cmdToken, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.msg) {
			t.Errorf("token %v: exit %d, want %d with %q; got %q %q", tc.args, code, tc.code, tc.msg, out, errs)
		}
		if code == 2 && strings.Count(strings.TrimSpace(errs), "\n") > 0 && tc.args != nil {
			t.Errorf("token %v: usage error is more than one line: %q", tc.args, errs)
		}
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	dir := keyDir(t)
	_, jws, _ := run(cmdToken, "issue", "--backend", "jwt-hs256", "--keys", dir, "--sub", "zoe")
	code, out, _ := run(cmdToken, "inspect", strings.TrimSpace(jws))
	for _, want := range []string{"UNVERIFIED", `"alg": "HS256"`, `"sub": "zoe"`, "exp: "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect JWS: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	_, jwe, _ := run(cmdToken, "issue", "--backend", "jwe-dir", "--keys", dir, "--sub", "zoe")
	code, out, _ = run(cmdToken, "inspect", strings.TrimSpace(jwe))
	if code != 0 || !strings.Contains(out, "UNVERIFIED") || !strings.Contains(out, `"enc": "A256GCM"`) || strings.Contains(out, "zoe") {
		t.Errorf("inspect JWE: exit %d:\n%s", code, out)
	}
}
