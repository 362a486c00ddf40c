package sim

import (
	"os/exec"
	"runtime"
	"syscall"
)

type spawnReq struct {
	reply chan spawnRes
}

type spawnRes struct {
	cmd *exec.Cmd
	err error
}

var spawnCh chan spawnReq

// spawnPlaceholder starts the stand-in process of a node's JVM. Children are
// forked from one goroutine locked to its OS thread for good, because
// Pdeathsig fires when the forking thread exits: this way placeholders die
// with the simulator and never outlive it.
func spawnPlaceholder() (*exec.Cmd, error) {
	spawnMu.Lock()
	if spawnCh == nil {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread()
			for r := range spawnCh {
				cmd := exec.Command("sleep", "infinity")
				cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
				err := cmd.Start()
				r.reply <- spawnRes{cmd, err}
			}
		}()
	}
	ch := spawnCh
	spawnMu.Unlock()
	r := spawnReq{reply: make(chan spawnRes, 1)}
	ch <- r
	res := <-r.reply
	return res.cmd, res.err
}
