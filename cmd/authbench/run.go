package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/authbench/authbench/internal/report"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/runner"
	"github.com/authbench/authbench/scenarios"
)

// Wired by the file that brings Redis; nil means the feature is absent
// and the runner says so.
var redisConnector runner.RedisConnector

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "results", "folder in which run folders are written")
	duration := fs.String("duration", "", "measured period of each run (overrides the scenario's duration)")
	backendList := fs.String("backends", "", "comma-separated backends to run (overrides the scenario's list)")
	quiet := fs.Bool("quiet", false, "no progress bars: one line per finished run")
	yes := fs.Bool("yes", false, fmt.Sprintf("run plans estimated at more than %s without asking", askAbove))
	shardFlag := fs.String("shard", "", "run shard INDEX/COUNT of the load (INDEX from 0): users, clients and rates divided; merge the folders with authbench merge")
	var sets stringList
	fs.Var(&sets, "set", "override a scenario field by its dotted path, e.g. --set load.clients=64 (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: authbench run [flags] SCENARIO...

Runs each scenario — a file, or the name of a built-in one (quick, compare, choose,
full, revocation, cluster, example-custom) — and writes a run folder
OUT/<UTC time>-<scenario>/ with summary.json, bench.txt, hdr/, report.md and
charts; OUT/latest points at the newest. A run never overwrites another.

Ctrl-C (or SIGTERM, SIGHUP, SIGQUIT) stops the current run and still writes
what was measured, marked as interrupted; a second signal exits at once.
A run that fails ends the plan: the runs done before it are written, marked
incomplete (exit status 4).

Examples:
  authbench run quick
  authbench run --duration 30s --backends jwt-hs256,session-redis compare
  authbench run --set load.model=open --set load.rate=20000 my.yaml

Flags:
`)
		fs.PrintDefaults()
	}
	scenarioArgs, status, ok := parseInterspersed(fs, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(scenarioArgs) == 0 {
		fmt.Fprintln(stderr, "authbench run: name a scenario file or a built-in scenario, e.g. authbench run quick")
		return exitUsage
	}
	// --duration and --backends are --set under another name; errors cite
	// them as the user typed them. Given but empty is an error, not "unset".
	var overrides []scenarios.Override
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration":
			overrides = append(overrides, scenarios.Override{Flag: flagText(f), Path: "duration", Value: *duration})
		case "backends":
			overrides = append(overrides, scenarios.Override{Flag: flagText(f), Path: "backends", Value: *backendList})
		}
	})
	setOverrides, err := scenarios.SetOverrides(sets)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	overrides = append(overrides, setOverrides...)
	var shard *results.Shard
	if *shardFlag != "" {
		sh, err := results.ParseShard(*shardFlag)
		if err != nil {
			fmt.Fprintf(stderr, "authbench run: %v\n", err)
			return exitUsage
		}
		shard = &sh
	}

	// Every scenario is read and checked before anything runs.
	type job struct {
		s    *scenarios.Scenario
		plan []scenarios.Run
	}
	var jobs []job
	for _, arg := range scenarioArgs {
		s, err := scenarios.Resolve(arg)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		if err := scenarios.ApplyOverrides(s, overrides); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		plan, err := scenarios.Plan(s)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		if shard != nil {
			if err := applyShard(plan, *shard); err != nil {
				fmt.Fprintf(stderr, "authbench run: %v\n", err)
				return exitUsage
			}
		}
		jobs = append(jobs, job{s, plan})
	}

	// A plan of many hours is more likely a typo in a sweep than intended.
	var total time.Duration
	for _, j := range jobs {
		total += scenarios.EstimateDuration(j.plan)
	}
	if total > askAbove && !*yes {
		fmt.Fprintf(stderr, "authbench run: the plan takes about %s (more than %s): check it with authbench check, or pass --yes to run it\n",
			scenarios.RoughDuration(total), askAbove)
		return exitUsage
	}

	ctx, stop := interruptible(stderr)
	defer stop()

	bars := !*quiet && isTerminal(stdout)
	status = exitOK
	for _, j := range jobs {
		fmt.Fprintf(stdout, "%s: %d runs, about %s\n", j.s.Name, len(j.plan), scenarios.RoughDuration(scenarios.EstimateDuration(j.plan)))
		res, err := runner.Run(ctx, j.s, j.plan, runner.Options{
			Out: *out, Stdout: stdout, Stderr: stderr, Bars: bars, Version: version,
			Redis: redisConnector, Shard: shard,
		})
		if res == nil {
			if errors.Is(err, runner.ErrInterrupted) {
				fmt.Fprintln(stdout, "interrupted before anything was measured")
				return exitInterrupted
			}
			fmt.Fprintf(stderr, "authbench run: %v\n", err)
			return exitFailure
		}
		// The measurements are on disk; the report is drawn from them.
		if rerr := renderReport(res.Dir); rerr != nil {
			fmt.Fprintf(stderr, "authbench run: writing the report: %s; the measurements are kept (authbench report %s tries again)\n", inFolder(rerr, res.Dir), res.Dir)
			return exitFailure
		}
		switch {
		case errors.Is(err, runner.ErrInterrupted):
			fmt.Fprintf(stdout, "interrupted: what was measured is in %s\n", res.Dir)
			return exitInterrupted
		case errors.Is(err, runner.ErrIncomplete):
			fmt.Fprintf(stderr, "authbench run: %v\n", err)
			fmt.Fprintf(stdout, "incomplete: the %d runs done are in %s\n", len(res.Summary.Runs), res.Dir)
			return exitIncomplete
		case err != nil: // not returned with an outcome today; never silently dropped
			fmt.Fprintf(stderr, "authbench run: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "results: %s\n", res.Dir)
		if res.Summary.Degraded {
			fmt.Fprintf(stderr, "warning: the run needs attention (see \"needs attention\" in the warnings of %s/report.md)\n", res.Dir)
			status = max(status, exitDegraded)
		}
		if _, ok, why := report.Fits(res.Summary); !ok {
			fmt.Fprintf(stderr, "authbench run: %s: requirements not met: %s\n", j.s.Name, why)
			status = exitRequire
		}
	}
	return status
}

// inFolder words an error about a file of dir by the file's name in dir,
// so that a message naming dir once does not repeat the long path.
func inFolder(err error, dir string) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if rel, rerr := filepath.Rel(dir, pe.Path); rerr == nil && filepath.IsLocal(rel) {
			return fmt.Sprintf("%s %s: %v", pe.Op, rel, pe.Err)
		}
	}
	return err.Error()
}

// flagText is a flag as the user gave it, for messages.
func flagText(f *flag.Flag) string {
	v := f.Value.String()
	if v == "" || strings.ContainsAny(v, " \t") {
		v = strconv.Quote(v)
	}
	return "--" + f.Name + " " + v
}

// interruptible returns a context cancelled by the first SIGINT, SIGTERM,
// SIGHUP (the terminal closed) or SIGQUIT; a second one exits at once.
// Each would otherwise kill the process and lose every finished run.
func interruptible(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			fmt.Fprintf(stderr, "\n%s: stopping; writing what was measured (again to exit at once)\n", s)
			cancel()
		case <-done:
			return
		}
		select {
		case <-sig:
			fmt.Fprintln(stderr, "exiting at once: the run folder is left incomplete")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// askAbove is the estimated length of a plan above which run wants --yes.
const askAbove = 3 * time.Hour
