package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A byte order mark, as Windows editors write one, is not part of the
// first key.
func TestByteOrderMark(t *testing.T) {
	s, err := ParseBytes("t.yaml", []byte("\ufeff"+base))
	if err != nil || s.Name != "t" {
		t.Fatalf("with a BOM: %v", err)
	}
	// Anywhere else it is still refused.
	if _, err := ParseBytes("t.yaml", []byte(base+"description: \ufeff\n")); err == nil {
		t.Error("a BOM inside the file was accepted")
	}
}

// Only a regular file is read: a FIFO would block check and run forever,
// and a directory is not "no such file".
func TestNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "scenario.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tt := range []struct{ arg, want string }{
		{fifo, fifo + ": is a named pipe (FIFO), not a scenario file"},
		{dir, dir + ": is a directory, not a scenario file"},
		{os.DevNull, os.DevNull + ": is a device or a socket, not a scenario file"},
	} {
		done := make(chan error, 1)
		go func() { _, err := Resolve(tt.arg); done <- err }()
		select {
		case err := <-done:
			if err == nil || err.Error() != tt.want {
				t.Errorf("Resolve(%s) = %v, want %s", tt.arg, err, tt.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Resolve(%s) still blocked after a minute", tt.arg)
		}
	}
	// A folder named like a built-in does not hide the built-in.
	t.Chdir(dir)
	if err := os.Mkdir("quick", 0o700); err != nil {
		t.Fatal(err)
	}
	if s, err := Resolve("quick"); err != nil || s.Name != "quick" {
		t.Errorf("Resolve(quick) with a folder quick/ here: %v", err)
	}
	if _, err := Resolve("./quick"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Resolve(./quick): %v", err)
	}
}
