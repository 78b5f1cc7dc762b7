package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/authbench/authbench/backends"
)

func cmdList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	long := fs.Bool("v", false, "also print each backend's description")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: authbench list [-v]

Lists the backends a scenario can name, with their family, whether the
server keeps state per credential, and the store look-ups one validation
costs.
`)
		fs.PrintDefaults()
	}
	if status, ok := parseFlags(fs, args, stderr); !ok {
		return status
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "authbench list: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BACKEND\tFAMILY\tSTATEFUL\tSTORE LOOK-UPS\tNEEDS REDIS")
	for _, e := range backends.All() {
		i := e.Info
		fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%s\n", i.Name, i.Family, yesNo(i.Stateful), i.StoreLookups, yesNo(i.NeedsRedis))
		if *long {
			fmt.Fprintf(tw, "\t%s\n", i.Description)
		}
	}
	tw.Flush()
	return exitOK
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
