package main

import (
	"bytes"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/results"
)

// runCLI runs authbench in-process and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := authbench(args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

// wantOneLine checks that stderr is exactly one line of text, holding
// want, and no sign of a panic or a usage dump.
func wantOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr is %d lines, want exactly one:\n%s", len(lines), stderr)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:", "Usage:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr contains %q: %s", bad, stderr)
		}
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not mention %q", stderr, want)
	}
}

// TestUsageErrors: every mistake on the command line is one clear line on
// stderr and exit status 2, before anything runs.
func TestUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	for _, tc := range []struct {
		name string
		args []string
		want string // a part of the one line
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"run", "--bogus", "quick"}, "-bogus"},
		{"unknown flag of list", []string{"list", "--x"}, "-x"},
		{"flag without its value", []string{"run", "--duration"}, "-duration"},
		{"no scenario", []string{"run"}, "name a scenario"},
		{"missing scenario file", []string{"run", "no/such/file.yaml"}, "no/such/file.yaml: no such file"},
		{"missing built-in", []string{"run", "nosuch"}, "not a built-in scenario"},
		{"--set path that does not exist", []string{"run", "--set", "load.nosuch=3", "quick"}, `unknown field "nosuch"`},
		{"--set top-level path that does not exist", []string{"run", "--set", "nosuch.path=3", "quick"}, `unknown field "nosuch"`},
		{"--set bad number", []string{"run", "--set", "load.clients=abc", "quick"}, "load.clients"},
		{"--set bad duration", []string{"run", "--set", "duration=soon", "quick"}, "duration"},
		{"--set negative", []string{"run", "--set", "load.clients=-4", "quick"}, "load.clients"},
		{"--set without =", []string{"run", "--set", "load.clients", "quick"}, "want path=value"},
		{"--set bad model", []string{"run", "--set", "load.model=sideways", "quick"}, "load.model"},
		{"--duration bad", []string{"run", "--duration", "xyz", "quick"}, "duration"},
		{"unknown backend", []string{"run", "--backends", "noop,nosuch", "quick"}, "nosuch"},
		{"conflicting options", []string{"run", "--set", "load.model=closed", "--set", "load.rate=100", "quick"}, "conflicts"},
		{"open model without rate", []string{"run", "--set", "load.model=open", "quick"}, "rate"},
		{"unexpected argument to list", []string{"list", "extra"}, "extra"},
		{"check of a missing file", []string{"check", "no/such.yaml"}, "no/such.yaml"},
		// Errors name the flag the user typed, not the --set it stands for.
		{"--duration 0", []string{"run", "--duration", "0", "quick"}, "--duration 0: duration:"},
		{"--backends ,", []string{"run", "--backends", ",", "quick"}, `--backends ,: backends: an empty item`},
		{"--backends empty", []string{"run", "--backends", "", "quick"}, `--backends "": backends: required`},
		{"--set huge value", []string{"run", "--set", "description=" + strings.Repeat("x", 120<<10), "quick"}, "--set description=xxx"},
		// Backends with and without options refuse an unknown option alike.
		{"option of a backend without options", []string{"run", "--set", "options.jwt-denylist-redis.max_bytes=4096", "quick"},
			`unknown field "max_bytes" in options.jwt-denylist-redis (jwt-denylist-redis takes no options)`},
		{"unknown option", []string{"run", "--set", "options.jwt-refresh.max_bytes=4096", "quick"},
			`unknown field "max_bytes" in options.jwt-refresh (known: refresh_ttl, reuse_grace)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] == "run" {
				args = append([]string{"run", "--out", out}, args[1:]...)
			}
			status, stdout, stderr := runCLI(t, args...)
			t.Logf("authbench %s → %d: %s", strings.Join(tc.args, " "), status, strings.TrimSpace(stderr))
			if status != exitUsage {
				t.Errorf("exit status %d, want %d", status, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout: %q, want nothing", stdout)
			}
			wantOneLine(t, stderr, tc.want)
			if len(stderr) > 1000 {
				t.Errorf("the message is %d bytes long: a long argument is echoed whole", len(stderr))
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a usage error left a results folder (stat: %v)", err)
	}
}

// TestRedisURLUnreachable: a redis.url that was given but does not answer
// is a one-line error (exit 1) before anything is measured, and no run
// folder is made.
func TestRedisURLUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	out := filepath.Join(t.TempDir(), "results")
	status, stdout, stderr := runCLI(t, "run", "--quiet", "--out", out, "--backends", "noop,session-redis",
		"--set", "repeat=1", "--set", "redis.url=redis://127.0.0.1:"+strconv.Itoa(port), "quick")
	t.Logf("exit %d; stderr: %s", status, strings.TrimSpace(stderr))
	if status != exitFailure {
		t.Errorf("exit status %d, want %d", status, exitFailure)
	}
	wantOneLine(t, stderr, "cannot be reached: dial tcp 127.0.0.1:"+strconv.Itoa(port)+": connect: connection refused")
	if strings.Contains(stdout, "[1/") {
		t.Errorf("something was measured: %s", stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("results folder made before the failure (stat: %v)", err)
	}
}

// TestNoRedisServer: without a URL and without redis-server on PATH the
// Redis backends are skipped with a warning (stderr and report.md) and the
// others run.
func TestNoRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // an empty folder: no redis-server
	t.Setenv("REDIS_URL", "")
	t.Setenv(redistest.RequireEnv, "")
	dir := t.TempDir()
	scenario := filepath.Join(dir, "mixed.yaml")
	if err := os.WriteFile(scenario, []byte(`name: mixed
backends: [noop, session-redis, jwt-denylist-pubsub]
duration: 300ms
warmup: 0s
repeat: 1
users: 10
load: {model: closed, clients: 1}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	status, stdout, stderr := runCLI(t, "run", "--quiet", "--out", out, scenario)
	t.Logf("exit %d\nstdout:\n%sstderr:\n%s", status, stdout, stderr)
	if status != exitOK {
		t.Fatalf("exit status %d, want %d", status, exitOK)
	}
	for _, b := range []string{"session-redis", "jwt-denylist-pubsub"} {
		if !strings.Contains(stderr, "warning: "+b+" skipped: ") || !strings.Contains(stderr, "redis-server not found") {
			t.Errorf("stderr does not warn that %s is skipped for want of redis-server", b)
		}
	}
	run := filepath.Join(out, "latest")
	sum, err := results.ReadSummary(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Runs) != 1 || sum.Runs[0].Backend != "noop" {
		t.Errorf("runs = %+v, want noop alone", sum.Runs)
	}
	md, err := os.ReadFile(filepath.Join(run, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "session-redis skipped") {
		t.Errorf("report.md does not say session-redis was skipped")
	}
}

// TestResultsFolderUnwritableCLI: --out where a regular file stands (a
// failure even for root) is one line and exit 1, and nothing is written.
func TestResultsFolderUnwritableCLI(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{file, filepath.Join(file, "results")} {
		status, _, stderr := runCLI(t, "run", "--quiet", "--out", out, "--backends", "noop",
			"--set", "repeat=1", "--duration", "200ms", "--set", "warmup=0s", "quick")
		t.Logf("--out %s → exit %d: %s", out, status, strings.TrimSpace(stderr))
		if status != exitFailure {
			t.Errorf("exit status %d, want %d", status, exitFailure)
		}
		wantOneLine(t, stderr, "not a directory")
	}
}

// Flags may follow the scenario names, as with most command-line tools.
func TestRunFlagsAfterScenario(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	quiet := fs.Bool("quiet", false, "")
	var sets stringList
	fs.Var(&sets, "set", "")
	pos, status, ok := parseInterspersed(fs, []string{"quick", "--quiet", "b.yaml", "--set", "x=1", "--", "--odd"}, io.Discard, io.Discard)
	if !ok || status != exitOK {
		t.Fatalf("status %d", status)
	}
	if !*quiet || len(sets) != 1 || strings.Join(pos, " ") != "quick b.yaml --odd" {
		t.Errorf("quiet=%v sets=%v positional=%q", *quiet, sets, pos)
	}
}

// A plan of many hours (a sweep typed wrong) is not started without --yes.
func TestRunAsksBeforeHours(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.yaml")
	yaml := "name: long\nbackends: [noop]\nduration: 24h\nrepeat: 1\nsweep:\n  load.clients: [1, 2, 4]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "results")
	status, stdout, stderr := runCLI(t, "run", "--quiet", "--out", out, path)
	if status != exitUsage {
		t.Errorf("status %d, want %d", status, exitUsage)
	}
	wantOneLine(t, stderr, "pass --yes to run it")
	if stdout != "" {
		t.Errorf("stdout %q: nothing should have started", stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a results folder was made: %v", err)
	}
}
