package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/authbench/authbench/scenarios"
)

// setFlags collects repeated --set path=value flags in order.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

const checkUsage = `usage: authbench check [--set path=value]... SCENARIO...

Parses and validates each scenario (a file or a built-in name) without
running anything, and prints the size of its plan. Exit status 2 and
"file:line:col: message" on the first error of each scenario.
`

// cmdCheck implements `authbench check`.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sets setFlags
	fs.Var(&sets, "set", "override a scenario field: path=value (repeatable)")

	// Flags may follow the files: parse up to each file in turn.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, checkUsage)
				return 0
			}
			fmt.Fprintf(stderr, "authbench check: %v\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "authbench check: no scenario given (usage: authbench check [--set path=value]... SCENARIO...)")
		return 2
	}

	status := 0
	for _, file := range files {
		line, err := checkOne(file, sets)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 2
			continue
		}
		fmt.Fprintln(stdout, line)
	}
	return status
}

func checkOne(file string, sets []string) (string, error) {
	s, err := scenarios.Resolve(file)
	if err != nil {
		return "", err
	}
	if err := scenarios.ApplySets(s, sets); err != nil {
		return "", err
	}
	runs, err := scenarios.Plan(s)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: ok — %s (%s × %s × %s), about %s",
		file, plural(len(runs), "run"), plural(len(s.Backends), "backend"),
		plural(s.Points(), "point"), plural(s.Repeat, "repeat"),
		scenarios.RoughDuration(scenarios.EstimateDuration(runs))), nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
