package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/authbench/authbench/scenarios"
)

const checkUsage = `Usage: authbench check [--set path=value]... SCENARIO...

Parses and validates each scenario (a file or a built-in name) without
running anything, and prints the size of its plan. Exit status 2 and
"file:line:col: message" on the first error of each scenario.

Flags:
`

// cmdCheck implements `authbench check`.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var sets stringList
	fs.Var(&sets, "set", "override a scenario field: path=value (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), checkUsage)
		fs.PrintDefaults()
	}
	files, status, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "authbench check: no scenario given (usage: authbench check [--set path=value]... SCENARIO...)")
		return 2
	}

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
	return fmt.Sprintf("%s: ok — %s (%s), about %s",
		file, plural(len(runs), "run"), s.Shape(),
		scenarios.RoughDuration(scenarios.EstimateDuration(runs))), nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
