package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/authbench/authbench/internal/results"
)

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the new run folder to write (required)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: authbench merge DIR... --out DIR

Combines the run folders of every shard of one run (authbench run --shard
INDEX/COUNT on several machines) into one run folder: validate latency
histograms added (not percentiles averaged), counts and outcomes summed,
throughputs added, every shard's machine kept (merged_from in summary.json),
report and charts drawn from the merged data. Folders from different
scenarios, settings or versions, an incomplete shard or a missing one are
refused.

Flags:
`)
		fs.PrintDefaults()
	}
	dirs, status, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return status
	}
	if *out == "" || len(dirs) < 2 {
		fmt.Fprintln(stderr, "authbench merge: name at least two shard folders and --out DIR, e.g. authbench merge a/ b/ --out merged/")
		return exitUsage
	}
	sum, err := results.Merge(*out, dirs...)
	if err != nil {
		fmt.Fprintf(stderr, "authbench merge: %v\n", err)
		return exitFailure
	}
	if err := renderReport(*out); err != nil {
		fmt.Fprintf(stderr, "authbench merge: writing the report: %v (the merged measurements are in %s)\n", err, *out)
		return exitFailure
	}
	fmt.Fprintf(stdout, "merged %d shards, %d runs: %s\n", len(sum.MergedFrom), len(sum.Runs), *out)
	return exitOK
}
