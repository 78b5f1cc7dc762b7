package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = "../../internal/report/testdata/run"

// copyRun copies the reference run into a temporary folder, since report
// writes into the folder it reads.
func copyRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCmdReport(t *testing.T) {
	dir := copyRun(t)
	var stdout, stderr bytes.Buffer
	if code := cmdReport([]string{dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"report.md", "throughput.png", "throughput.svg", "latency-spectrum.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if !strings.Contains(stdout.String(), "report.md") {
		t.Errorf("stdout %q", stdout.String())
	}
}

func TestCmdReportErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "want one run folder"},
		{[]string{"a", "b"}, 2, "want one run folder"},
		{[]string{"--bogus", "a"}, 2, "flag provided but not defined"},
		{[]string{filepath.Join(empty, "nope")}, 1, "no such run folder"},
		{[]string{empty}, 1, "no summary.json"},
	} {
		var stdout, stderr bytes.Buffer
		code := cmdReport(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("report %v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
