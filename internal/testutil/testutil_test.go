package testutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	n := 0
	if err := Wait(time.Minute, func() error {
		if n++; n < 3 {
			return fmt.Errorf("try %d", n)
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("Wait = %v after %d calls, want nil after 3", err, n)
	}
	n = 0
	err := Wait(20*time.Millisecond, func() error { n++; return fmt.Errorf("try %d", n) })
	if err == nil || err.Error() != fmt.Sprintf("try %d", n) || n < 2 {
		t.Errorf("Wait = %v after %d calls, want the last error", err, n)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed   bool
	msg      string
	cleanups []func()
}

func (r *recorder) Helper()                      {}
func (r *recorder) Cleanup(f func())             { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(f string, args ...any) { r.failed, r.msg = true, fmt.Sprintf(f, args...) }
func (r *recorder) Fatalf(f string, args ...any) { r.Errorf(f, args...) }
func (r *recorder) Fatal(args ...any)            { r.Errorf("%v", fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, a ...any) {}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt.golden")
	got := filepath.Join(dir, "out.txt.got")
	os.WriteFile(path, []byte("old\n"), 0o644)

	// A mismatch fails, keeps the golden and writes NAME.got beside it.
	r := &recorder{}
	Golden(r, path, []byte("new\n"), "")
	if b, _ := os.ReadFile(got); !r.failed || string(b) != "new\n" {
		t.Errorf("mismatch: failed=%v, .got=%q", r.failed, b)
	}
	// -update naming another golden changes nothing.
	r = &recorder{}
	Golden(r, path, []byte("new\n"), "report.md")
	if b, _ := os.ReadFile(path); !r.failed || string(b) != "old\n" {
		t.Errorf("-update=report.md rewrote %s: %q", path, b)
	}
	// -update naming it rewrites it and removes the .got.
	r = &recorder{}
	Golden(r, path, []byte("new\n"), "out.txt")
	if b, _ := os.ReadFile(path); r.failed || string(b) != "new\n" {
		t.Errorf("-update=out.txt: failed=%v, golden %q", r.failed, b)
	}
	if _, err := os.Stat(got); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".got left after the update: %v", err)
	}
	// A match passes.
	r = &recorder{}
	Golden(r, path, []byte("new\n"), "")
	if r.failed {
		t.Errorf("match failed: %s", r.msg)
	}
}

func TestLeakCheck(t *testing.T) {
	r := &recorder{}
	LeakCheck(r)
	stop := make(chan struct{})
	go func() { <-stop }() // left running while the check runs
	for _, f := range r.cleanups {
		f()
	}
	close(stop)
	if !r.failed {
		t.Error("a goroutine left running was not reported")
	}
	// Without it, the check passes.
	r = &recorder{}
	LeakCheck(r)
	for _, f := range r.cleanups {
		f()
	}
	if r.failed {
		t.Errorf("no leak, but: %s", r.msg)
	}
}
