//go:build unix && !linux

package redisproc

import "syscall"

// sysProcAttr puts the server in its own process group. Without a
// parent-death signal outside Linux, Stop is the only way it ends.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
