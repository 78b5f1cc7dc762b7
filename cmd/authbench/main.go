// Command authbench measures what each way of authenticating a request
// costs — signed JWTs, encrypted JWE, server-side sessions in memory or in
// Redis, and the hybrids between them — and what each gives up when users
// log out and tokens are stolen.
//
// main only wires the subcommands; each lives in its own file as
// func(args, stdout, stderr) int, so tests run the whole CLI in-process.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// version is set at build time (make build: -ldflags "-X main.version=…").
var version = "dev"

// Exit statuses, documented in `authbench help` and the README.
const (
	exitOK          = 0
	exitFailure     = 1 // the run could not be done (or a token was rejected)
	exitUsage       = 2 // bad command line or scenario
	exitDegraded    = 3 // the run finished, but needs attention: errors above max_error_share, a false accept where revocation is immediate, an accepted attack, a store that stopped answering
	exitIncomplete  = 4 // a run failed: the folder holds the runs before it
	exitRequire     = 5 // the run finished, but the scenario's require: block is not met
	exitInterrupted = 130
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run scenarios and write a run folder under results/", cmdRun},
		{"list", "list the backends and their properties", cmdList},
		{"check", "check scenario files without running them", cmdCheck},
		{"report", "redraw the charts and report.md of a run folder", cmdReport},
		{"compare", "compare two run folders (significance with Mann-Whitney U)", cmdCompare},
		{"merge", "combine the run folders of the shards of one run (merge DIR... --out DIR)", cmdMerge},
		{"keys", "generate a key set (keys gen --out DIR)", cmdKeys},
		{"serve", "run one backend behind the HTTP validator server", cmdServe},
		{"token", "issue, verify or inspect a credential", cmdToken},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	os.Exit(authbench(os.Args[1:], os.Stdout, os.Stderr))
}

func authbench(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stderr)
		return exitUsage
	case args[0] == "--version" || args[0] == "-version":
		return cmdVersion(args[1:], stdout, stderr)
	case tkIsHelp(args[0]):
		// "help run" is "run --help"; "help help" and "help -h" are help.
		if len(args) > 1 && !tkIsHelp(args[1]) {
			return authbench([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "authbench: unknown command %q (try: authbench help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `authbench measures what each way of authenticating a request costs — JWT,
JWE, server-side sessions, and the hybrids between them — and what each gives
up when users log out and tokens are stolen.

Usage:
  authbench <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  authbench run quick                      run the built-in quick scenario
  authbench run --set load.clients=64 scenarios/compare.yaml
  authbench list                           what can be compared
  authbench help run                       flags of one command

Exit status: 0 ok; 1 failure; 2 bad command line or scenario;
3 the run finished but needs attention: an operation failed more often than
  max_error_share, a backend promising immediate revocation accepted a revoked
  credential, a token backend accepted a forged or tampered token of the attack
  catalogue, or a store stopped answering (see the warnings);
4 a run failed and ended the plan (the run folder holds the runs done before it);
5 the run finished but the scenario's require: block is not met;
130 interrupted (the run folder holds what was measured).
`)
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "authbench", version)
	return exitOK
}
