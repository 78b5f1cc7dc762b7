package redisproc

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// A server outlives the thread that started it. Go ends a thread whose
// goroutine exits while locked to it (the open model's dispatcher does),
// and the kernel sends the parent-death signal when the thread that forked
// a child ends: a server forked from such a thread died in the middle of a
// plan, and the next run found its store gone.
func TestServerOutlivesStartingThread(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not found")
	}
	var srv *Server
	var err error
	for started := false; !started; {
		done := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			if syscall.Gettid() == os.Getpid() {
				// The main thread is never ended, so try another.
				runtime.UnlockOSThread()
				return
			}
			// Never unlocked: this thread ends with the goroutine.
			started = true
			srv, err = Start(context.Background())
		}()
		<-done
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	select {
	case <-srv.exited:
		t.Fatalf("redis-server ended when the thread that started it did: %v", srv.waitErr)
	case <-time.After(500 * time.Millisecond):
	}
	if err := ping(context.Background(), srv.Addr()); err != nil {
		t.Fatalf("redis-server no longer answers: %v", err)
	}
}
