package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/authbench/authbench/internal/report"
)

// cmdReport implements `authbench report DIR`: it redraws the charts and
// rewrites report.md of a finished run from its files, running nothing.
func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		fmt.Fprintf(stderr, "authbench report: %v (usage: authbench report DIR)\n", err)
		return 2
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "authbench report: want one run folder (usage: authbench report DIR)")
		return 2
	}
	dir := positional[0]
	if err := report.Render(dir); err != nil {
		fmt.Fprintf(stderr, "authbench report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(dir, report.ReportFile))
	return 0
}
