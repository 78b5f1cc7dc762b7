package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/results"
)

func TestCmdCompare(t *testing.T) {
	out := filepath.Join(t.TempDir(), "charts")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{fixture, fixture}, "validate throughput (validations/s, higher is better)"},
		{[]string{"--format", "markdown", fixture, fixture}, "| backend | point | A | B | change | significance |"},
		{[]string{fixture, fixture, "--format=csv"}, "metric,unit,backend,point,a_median"},
		{[]string{"--out", out, fixture, fixture}, "too few repeats"},
	} {
		var stdout, stderr bytes.Buffer
		if code := cmdCompare(tc.args, &stdout, &stderr); code != 0 {
			t.Fatalf("compare %v: exit %d: %s", tc.args, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("compare %v: output lacks %q:\n%s", tc.args, tc.want, stdout.String())
		}
	}
	for _, f := range []string{"compare.png", "compare.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not drawn: %v", f, err)
		}
	}
}

// A and B run with different settings: the text output lists them before
// the results, the csv output on stderr; both are Holm-adjusted.
func TestCmdCompareSettings(t *testing.T) {
	s, err := results.ReadSummary(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "b")
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	s.Machine.GOMAXPROCS++
	if err := results.WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cmdCompare([]string{fixture, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	i, j := strings.Index(out, "machine.gomaxprocs"), strings.Index(out, "validate throughput")
	if i < 0 || i > j || !strings.Contains(out, "Holm-adjusted over") {
		t.Errorf("text output lacks the settings diff before the results, or the Holm note:\n%s", out)
	}
	stdout.Reset()
	if code := cmdCompare([]string{"--format", "csv", fixture, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("csv: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "different settings (1): machine.gomaxprocs") || strings.Contains(stdout.String(), "gomaxprocs") {
		t.Errorf("csv: stderr %q, want the settings line there and not in the csv", stderr.String())
	}
}

func TestCmdCompareErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{fixture}, 2, "want two run folders"},
		{[]string{"--format", "xml", fixture, fixture}, 2, `unknown format "xml"`},
		{[]string{"--bogus", fixture, fixture}, 2, "flag provided but not defined"},
		{[]string{filepath.Join(empty, "nope"), fixture}, 1, "no such run folder"},
		{[]string{fixture, empty}, 1, "no summary.json"},
	} {
		var stdout, stderr bytes.Buffer
		code := cmdCompare(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("compare %v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
