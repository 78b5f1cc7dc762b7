package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchInstallsRedisWhenMissing runs the step `make bench` takes before
// the comparison with a PATH that has no redis-server: it must call the
// installer rather than let the Redis backends be skipped, and must not
// call it when redis-server is there or REDIS_URL names a server.
func TestBenchInstallsRedisWhenMissing(t *testing.T) {
	script, err := filepath.Abs("../../scripts/bench-prereqs.sh")
	if err != nil {
		t.Fatal(err)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := t.TempDir()
	for _, tool := range []string{"dirname"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	marker := filepath.Join(t.TempDir(), "installed")
	installer := filepath.Join(t.TempDir(), "install")
	if err := os.WriteFile(installer, []byte("#!"+bash+"\necho yes > "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) string {
		t.Helper()
		os.Remove(marker)
		cmd := exec.Command(bash, script)
		cmd.Env = append([]string{"PATH=" + bin, "INSTALL_REDIS=" + installer}, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bench-prereqs.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	installed := func() bool { _, err := os.Stat(marker); return err == nil }

	if out := run(); !installed() || !strings.Contains(out, "installing it") {
		t.Fatalf("redis-server missing: installer not run (output %q)", out)
	}
	if run("REDIS_URL=redis://127.0.0.1:1"); installed() {
		t.Fatal("REDIS_URL set: the installer ran anyway")
	}
	if err := os.WriteFile(filepath.Join(bin, "redis-server"), []byte("#!"+bash+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if run(); installed() {
		t.Fatal("redis-server present: the installer ran anyway")
	}
}

// TestBenchSaysWhatToDoWhenInstallFails: where redis-server cannot be
// installed, make bench goes on without the Redis backends but says so and
// what to do.
func TestBenchSaysWhatToDoWhenInstallFails(t *testing.T) {
	script, _ := filepath.Abs("../../scripts/bench-prereqs.sh")
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := t.TempDir()
	p, _ := exec.LookPath("dirname")
	os.Symlink(p, filepath.Join(bin, "dirname"))
	failing := filepath.Join(t.TempDir(), "install")
	os.WriteFile(failing, []byte("#!"+bash+"\nexit 1\n"), 0o755)
	cmd := exec.Command(bash, script)
	cmd.Env = []string{"PATH=" + bin, "INSTALL_REDIS=" + failing}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("a failed install must not stop make bench: %v\n%s", err, out)
	}
	for _, want := range []string{"could not install redis-server", "REDIS_URL"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
