//go:build !unix

package runner

// processCPU is not available here: CPU figures are left out.
func processCPU() (user, sys float64, ok bool) { return 0, 0, false }
