//go:build unix

package node

import (
	"errors"
	"os/exec"
	"syscall"
)

func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the process group, so the JVM dies with the script.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// ProcessAlive reports whether pid exists; EPERM means it exists but
// belongs to another user (the sidecar need not run as cassandra). A
// zombie is not alive: it has exited, only its parent has not reaped it
// yet (the simulator reaps its stand-in processes late).
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && !zombie(pid)
}
