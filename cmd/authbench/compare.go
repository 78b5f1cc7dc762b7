package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/authbench/authbench/internal/report"
	"github.com/authbench/authbench/internal/results"
)

const compareUsage = "usage: authbench compare [--format text|markdown|csv] [--out DIR] A B"

// cmdCompare implements `authbench compare A B`: per backend and point,
// median throughput and p99 in two runs, the change and whether it is
// significant. --out DIR also draws the change chart there.
func cmdCompare(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("compare", flag.ContinueOnError)
	format := flags.String("format", "text", "output format: text, markdown or csv")
	out := flags.String("out", "", "folder to draw the change chart into (compare.png, compare.svg)")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), `Usage: authbench compare [--format text|markdown|csv] [--out DIR] A B

Compares two run folders: for every backend and parameter point present in
both, the median validate throughput and p99 in A and B, the change, and
whether it is significant (Mann-Whitney U over the repeats, medians with
95% confidence intervals, as benchstat does). With too few repeats it says
so instead of guessing.

First it lists the settings A and B were run with that differ (scenario
fields, machine, Go, GOMAXPROCS, authbench version); with --format csv that
list goes to stderr. The p-values are Holm-Bonferroni adjusted over all the
tests of the comparison, so that the whole table keeps a 5% error rate.

Examples:
  authbench compare results/20261101T090000Z-compare results/latest
  authbench compare --format markdown --out /tmp/cmp old/ new/

Flags:
`)
		flags.PrintDefaults()
	}
	positional, status, ok := parseInterspersed(flags, args, stdout, stderr)
	if !ok {
		return status
	}
	if !slices.Contains(report.CompareFormats, *format) {
		fmt.Fprintf(stderr, "authbench compare: unknown format %q (want %s)\n", *format, strings.Join(report.CompareFormats, ", "))
		return 2
	}
	if len(positional) != 2 {
		fmt.Fprintf(stderr, "authbench compare: want two run folders (%s)\n", compareUsage)
		return 2
	}
	var sums [2]*results.Summary
	for i, dir := range positional {
		s, err := readRun(dir)
		if err != nil {
			fmt.Fprintf(stderr, "authbench compare: %v\n", err)
			return 1
		}
		sums[i] = s
	}
	c := report.Compare(sums[0], sums[1])
	c.NameA, c.NameB = runName(positional[0]), runName(positional[1])
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintf(stderr, "authbench compare: %v\n", err)
			return 1
		}
		if f := c.Figure(); f == nil {
			fmt.Fprintln(stderr, "authbench compare: no backend and point in both runs, no chart drawn")
		} else if err := f.Save(*out); err != nil {
			fmt.Fprintf(stderr, "authbench compare: %v\n", err)
			return 1
		}
	}
	if line := c.SettingsLine(); line != "" && *format == "csv" {
		// The csv is one table for a program; a reader still has to know.
		fmt.Fprintf(stderr, "authbench compare: %s\n", line)
	}
	if err := c.Write(stdout, *format); err != nil {
		fmt.Fprintf(stderr, "authbench compare: %v\n", err)
		return 1
	}
	return 0
}

// readRun reads a run folder's summary with errors that say which folder
// and what is wrong with it.
func readRun(dir string) (*results.Summary, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such run folder", dir)
		}
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	s, err := results.ReadSummary(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s (not a run folder, or the run did not finish writing)", dir, results.SummaryFile)
	}
	return s, err
}

// runName labels a run by its folder name (the time and scenario), which
// is what a reader recognises; "latest" is resolved to the run it points at.
func runName(dir string) string {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.Base(filepath.Clean(dir))
}
