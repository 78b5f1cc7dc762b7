// Package testutil holds the helpers that authbench's tests share: a check
// that a test leaves no goroutine behind, a poll for a condition that
// becomes true by itself (a store recovering, a message arriving), and
// golden files that change only on purpose.
//
// It is imported by _test.go files only, so package testing never reaches
// the authbench binary.
package testutil

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// LeakGrace is how long a leak check waits for goroutines to end by
// themselves. go-redis probes a dead server from a goroutine that sees its
// pool closed only after its next 1 s sleep.
const LeakGrace = 3 * time.Second

// LeakCheck verifies, after every other cleanup of the test (so after the
// servers and clients the test closes), that the test left no goroutine
// behind: a request blocked on a dead store, a subscriber, a pool reaper.
// Goroutines that were running when LeakCheck was called are ignored.
func LeakCheck(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	opts = append(opts, goleak.IgnoreCurrent())
	t.Cleanup(func() {
		if err := Wait(LeakGrace, func() error { return goleak.Find(opts...) }); err != nil {
			t.Errorf("goroutines left behind: %v", err)
		}
	})
}

// VerifyTestMain runs the tests of a package and then fails it if they left
// a goroutine behind (after LeakGrace). Use it as the whole of TestMain; m
// is the *testing.M, or something that runs it with set-up around it.
func VerifyTestMain(m interface{ Run() int }, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		if err := Wait(LeakGrace, func() error { return goleak.Find(opts...) }); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Eventually polls cond until it returns nil, and fails the test with
// cond's last error if that does not happen within the time given.
func Eventually(t testing.TB, within time.Duration, cond func() error) {
	t.Helper()
	if err := Wait(within, cond); err != nil {
		t.Fatalf("not within %v: %v", within, err)
	}
}

// Wait polls cond, first every millisecond and then less often, until it
// returns nil (Wait returns nil) or the time given has passed (Wait returns
// cond's last error). cond is called at least once, and once more at the end.
func Wait(within time.Duration, cond func() error) error {
	deadline := time.Now().Add(within)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		err := cond()
		if err == nil {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		time.Sleep(min(delay, left))
	}
}

// Golden compares got with the golden file path (testdata/NAME.golden).
// On a mismatch it writes got beside it as testdata/NAME.got (git-ignored)
// for diffing. update is the value of the test's -update flag: the golden
// is rewritten only when update names it (NAME, e.g. -update=report.md), so
// goldens change one at a time and on purpose.
func Golden(t testing.TB, path string, got []byte, update string) {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(path), ".golden")
	gotPath := strings.TrimSuffix(path, ".golden") + ".got"
	if update == name {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(gotPath)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		_ = os.WriteFile(gotPath, got, 0o644)
		t.Fatalf("%v (wrote %s; go test -update=%s creates the golden)", err, gotPath, name)
	}
	if bytes.Equal(got, want) {
		_ = os.Remove(gotPath)
		return
	}
	if err := os.WriteFile(gotPath, got, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("%s differs from its golden: diff %s %s (go test -update=%s accepts it)", name, path, gotPath, name)
}
