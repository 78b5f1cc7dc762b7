package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses args with fs. A bad flag is one line on stderr (the
// flag package would print the whole usage after it, burying the
// message); -h prints the usage. ok is false when the command should
// return status at once.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (status int, ok bool) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "authbench %s: %v (see: authbench help %s)\n", fs.Name(), err, fs.Name())
		return exitUsage, false
	}
	return exitOK, true
}
