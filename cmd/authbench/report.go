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
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: authbench report DIR

Redraws every chart (PNG and SVG) and report.md of a finished run folder
from its summary.json and hdr/ logs, without running anything.

Example:
  authbench report results/latest
`)
	}
	positional, status, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return status
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
