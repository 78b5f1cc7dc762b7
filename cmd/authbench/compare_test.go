package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
