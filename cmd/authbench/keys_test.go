package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/keys"
)

// run calls a command function and returns its status and output.
func run(cmd func([]string, io.Writer, io.Writer) int, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cmd(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeysGen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "k")
	code, out, errs := run(cmdKeys, "gen", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range keys.Files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o644)
		if f.Private {
			want = 0o600
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", f.Name, st.Mode().Perm(), want)
		}
		if !strings.Contains(out, f.Name) {
			t.Errorf("listing does not name %s:\n%s", f.Name, out)
		}
	}
	if _, err := keys.Load(dir, keys.All); err != nil {
		t.Errorf("written set does not load: %v", err)
	}

	// A second run refuses to overwrite and changes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, "hmac.pem"))
	code, _, errs = run(cmdKeys, "gen", "--out", dir)
	if code != 1 || !strings.Contains(errs, "--force") {
		t.Errorf("overwrite without --force: exit %d, %q", code, errs)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "hmac.pem"))
	if !bytes.Equal(before, after) {
		t.Error("hmac.pem changed although gen was refused")
	}
	// --force replaces, and a loosened mode is tightened again.
	os.Chmod(filepath.Join(dir, "hmac.pem"), 0o644)
	if code, _, errs = run(cmdKeys, "gen", "--out", dir, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, errs)
	}
	after, _ = os.ReadFile(filepath.Join(dir, "hmac.pem"))
	st, _ := os.Stat(filepath.Join(dir, "hmac.pem"))
	if bytes.Equal(before, after) || st.Mode().Perm() != 0o600 {
		t.Errorf("--force: key unchanged or mode %v", st.Mode().Perm())
	}
}

func TestKeysUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"--help"}, 0},
		{[]string{"gen", "--help"}, 0},
		{[]string{"rotate"}, 2},
		{[]string{"gen"}, 2},
		{[]string{"gen", "--out", "x", "extra"}, 2},
		{[]string{"gen", "--out", "x", "--rsa-bits", "1024"}, 2},
		{[]string{"gen", "--bogus"}, 2},
	} {
		code, _, errs := run(cmdKeys, tc.args...)
		if code != tc.code {
			t.Errorf("keys %v: exit %d, want %d (%s)", tc.args, code, tc.code, errs)
		}
		if code == 2 && strings.TrimSpace(errs) == "" {
			t.Errorf("keys %v: usage error without a message", tc.args)
		}
	}
}
