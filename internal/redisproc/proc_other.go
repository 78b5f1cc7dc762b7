//go:build unix && !linux

package redisproc

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the server in its own process group. Without a
// parent-death signal outside Linux, Stop is the only way it ends.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// startProcess starts cmd; any thread will do without a parent-death signal.
func startProcess(cmd *exec.Cmd) error { return cmd.Start() }

// processEnded has nothing to release outside Linux.
func processEnded() {}
