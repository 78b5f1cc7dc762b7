package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses args with fs. A bad flag is one line on stderr (the
// flag package would print the whole usage after it, burying the
// message); -h prints the usage on stdout, since it was asked for. fs.Usage
// must print to fs.Output(). ok is false when the command should return
// status at once.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (status int, ok bool) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		usage()
		return exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "authbench %s: %v (see: authbench help %s)\n", fs.Name(), err, fs.Name())
		return exitUsage, false
	}
	return exitOK, true
}

// parseInterspersed is parseFlags for commands whose flags may also follow
// their arguments (authbench run quick --quiet): it returns the arguments
// that are not flags. Everything after "--" is an argument.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (positional []string, status int, ok bool) {
	for {
		if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
			return nil, status, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, exitOK, true
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), exitOK, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
