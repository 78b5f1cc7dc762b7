package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/authbench/authbench/backends"
)

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	long := fs.Bool("v", false, "also print each backend's description")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: authbench list [-v]

Lists the backends a scenario can name, with their family, whether the
server keeps state per credential, and the store look-ups one validation
costs.
`)
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "authbench list: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	// The table is aligned first and the descriptions put under their rows
	// afterwards: a line with fewer cells would end tabwriter's column block
	// and misalign every row after it.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKEND\tFAMILY\tSTATEFUL\tSTORE LOOK-UPS\tNEEDS REDIS\tNEEDS KEYS")
	all := backends.All()
	for _, e := range all {
		i := e.Info
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%s\t%s\n", i.Name, i.Family, yesNo(i.Stateful), i.StoreLookups, yesNo(i.NeedsRedis), yesNo(i.NeedsKeys))
	}
	tw.Flush()
	lines := strings.SplitAfter(table.String(), "\n")
	indent := strings.Repeat(" ", strings.Index(lines[0], "FAMILY"))
	io.WriteString(stdout, lines[0])
	for k, e := range all {
		io.WriteString(stdout, lines[k+1])
		if *long {
			fmt.Fprintf(stdout, "%s%s\n", indent, e.Info.Description)
		}
	}
	return exitOK
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
