//go:build !linux

package redisproc

import "time"

// waiter falls back on time.Sleep outside Linux, which is only as precise
// as the runtime's timers there (often a millisecond when idle): injected
// latencies below a millisecond are then approximate.
type waiter struct{}

func newWaiter() (*waiter, error) { return &waiter{}, nil }

func (*waiter) sleep(d time.Duration) error {
	time.Sleep(d)
	return nil
}

func (*waiter) close() {}
