package redisproc

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// sysProcAttr puts the server in its own process group, so a terminal
// Ctrl-C reaches only authbench, and asks the kernel to SIGKILL it when the
// thread that started it dies: startProcess makes that thread one that
// lives as long as the server, so in practice this fires when authbench
// itself dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// spawner starts the servers from one OS thread that lives as long as any
// of them. The kernel sends the parent-death signal when the thread that
// forked a child ends, not the process, and Go ends a thread whose
// goroutine exits while locked to it, as the open model's dispatcher does:
// a server forked from such a thread was killed in the middle of a plan.
var spawner struct {
	sync.Mutex
	live int         // servers started and not yet waited for
	jobs chan func() // to the spawning goroutine; nil when none runs
}

// startProcess starts cmd on the spawner's thread. The caller calls
// processEnded once cmd has been waited for.
func startProcess(cmd *exec.Cmd) error {
	spawner.Lock()
	if spawner.live == 0 {
		jobs := make(chan func())
		spawner.jobs = jobs
		go func() {
			// Never unlocked: the thread ends with this goroutine, after
			// the last server has ended.
			runtime.LockOSThread()
			for job := range jobs {
				job()
			}
		}()
	}
	spawner.live++
	jobs := spawner.jobs
	spawner.Unlock()

	errc := make(chan error, 1)
	jobs <- func() { errc <- cmd.Start() }
	if err := <-errc; err != nil {
		processEnded()
		return err
	}
	return nil
}

// processEnded lets the spawner's thread end once no server started from
// it is left.
func processEnded() {
	spawner.Lock()
	defer spawner.Unlock()
	spawner.live--
	if spawner.live == 0 {
		close(spawner.jobs)
		spawner.jobs = nil
	}
}
