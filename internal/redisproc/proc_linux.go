package redisproc

import "syscall"

// sysProcAttr puts the server in its own process group, so a terminal
// Ctrl-C reaches only authbench, and asks the kernel to SIGKILL it when the
// thread that started it dies. Go runtime threads do not exit while the
// process lives (Start never locks its OS thread), so in practice this fires
// when authbench itself dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
