package redisproc

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// waiter sleeps with microsecond precision. Go's timers cannot: when every
// goroutine is blocked the runtime's poller waits in whole milliseconds,
// so time.Sleep(100µs) takes about 1 ms. A timerfd is a file the poller
// watches like a socket, and the kernel fires it on time (≈10 µs late on
// a busy machine), without holding an OS thread while it waits.
type waiter struct {
	fd int
	f  *os.File
}

func newWaiter() (*waiter, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("proxy: timerfd: %w", err)
	}
	// A non-blocking descriptor makes os.File use the runtime poller.
	return &waiter{fd: fd, f: os.NewFile(uintptr(fd), "proxy-timer")}, nil
}

func (w *waiter) sleep(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(w.fd, 0, &spec, nil); err != nil {
		return fmt.Errorf("proxy: timerfd: %w", err)
	}
	var b [8]byte // the number of expirations
	_, err := w.f.Read(b[:])
	return err
}

func (w *waiter) close() { w.f.Close() }
