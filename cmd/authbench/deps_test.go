package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The binary must not link test helpers: package testing registers its
// flags and brings its symbols (go tool nm bin/authbench | grep ' testing\.')
// into every authbench a user runs. Test helpers live in _test.go files and
// in internal/redistest, which only tests import.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, banned := range []string{"testing", "github.com/authbench/authbench/internal/redistest"} {
		if slices.Contains(deps, banned) {
			t.Errorf("authbench imports %s (see: go list -deps ./cmd/authbench)", banned)
		}
	}
}
