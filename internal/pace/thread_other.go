//go:build !linux

package pace

import "runtime"

// LockPrecise locks the calling goroutine to its thread; the goroutine
// must never unlock (see the Linux version).
func LockPrecise() { runtime.LockOSThread() }
