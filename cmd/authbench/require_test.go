package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRequireExitStatus: a scenario's require: block makes `authbench run`
// exit 4 when it is not met and 0 when it is, as k6's thresholds do.
func TestRequireExitStatus(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, require string
		want          int
		stderr        string
	}{
		{"met", "  backends: [jwt-hs256]\n  validate_p99: 10s\n  false_accepts: 0\n", exitOK, ""},
		{"required backend misses", "  backends: [jwt-hs256]\n  validate_p99: 1ns\n", exitRequire, "required backends miss a requirement: jwt-hs256 (validate p99"},
		{"none meets", "  throughput: 1000000000\n", exitRequire, "no backend meets every requirement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			body := "name: req\nbackends: [jwt-hs256]\nduration: 100ms\nwarmup: 0s\nrepeat: 1\nusers: 20\nload: {clients: 1}\nrequire:\n" + tc.require
			if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			status, _, stderr := runCLI(t, "run", "--quiet", "--out", filepath.Join(dir, "results"), file)
			if status != tc.want {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", status, tc.want, stderr)
			}
			if tc.stderr != "" && !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
		})
	}
}
