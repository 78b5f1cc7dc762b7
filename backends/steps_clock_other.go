//go:build !linux

package backends

import "time"

// threadCPU is not available here: the step timings use the wall clock.
func threadCPU() (time.Duration, bool) { return 0, false }
