package main

import (
	"bytes"
	"strings"
	"testing"
)

// Help that was asked for goes to stdout with status 0, so that
// `authbench help run | less` shows it; a missing command or subcommand is
// an error: usage on stderr, status 2.
func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"--help"}, {"help", "help"}, {"help", "-h"}, {"-h", "--help"},
		{"help", "run"}, {"help", "check"}, {"help", "list"}, {"help", "report"},
		{"help", "compare"}, {"help", "keys"}, {"help", "token"},
		{"run", "-h"}, {"check", "--help"}, {"list", "-h"}, {"report", "-h"}, {"compare", "-h"},
		{"keys", "gen", "-h"}, {"token", "issue", "-h"}, {"token", "verify", "-h"}, {"token", "inspect", "-h"},
	} {
		var stdout, stderr bytes.Buffer
		code := authbench(args, &stdout, &stderr)
		if code != exitOK || !strings.Contains(stdout.String(), "sage") || stderr.Len() != 0 {
			t.Errorf("authbench %s: exit %d, stdout %d bytes, stderr %q", strings.Join(args, " "), code, stdout.Len(), stderr.String())
		}
	}
	for _, args := range [][]string{nil, {"keys"}, {"token"}} {
		var stdout, stderr bytes.Buffer
		code := authbench(args, &stdout, &stderr)
		if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "sage") {
			t.Errorf("authbench %s: exit %d, stdout %q, stderr %d bytes", strings.Join(args, " "), code, stdout.String(), stderr.Len())
		}
	}
}

func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var stdout, stderr bytes.Buffer
		if code := authbench(args, &stdout, &stderr); code != exitOK || stdout.String() != "authbench "+version+"\n" {
			t.Errorf("authbench %s: exit %d, %q %q", args[0], code, stdout.String(), stderr.String())
		}
	}
}

// With -v every description sits under its row and the columns stay
// aligned on every row, not only the first.
func TestListVerboseAligned(t *testing.T) {
	var stdout bytes.Buffer
	if code := authbench([]string{"list", "-v"}, &stdout, &bytes.Buffer{}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	col := strings.Index(lines[0], "STATEFUL")
	rows := 0
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " ") {
			continue // a description
		}
		rows++
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row not aligned with STATEFUL at column %d: %q", col, l)
		}
	}
	if rows < 2 || rows*2+1 != len(lines) {
		t.Errorf("%d rows in %d lines: want one description line under each row", rows, len(lines))
	}
}
