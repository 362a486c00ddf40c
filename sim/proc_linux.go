package sim

import (
	"net/netip"
	"os/exec"
	"runtime"
	"syscall"
)

type spawnReq struct {
	argv0 string
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
// with the simulator and never outlive it. argv[0] is
// "ringside-sim-node@<addr>" so that tools (and tests) can find a node's
// process in the process table by its command line, as they would a JVM's.
func spawnPlaceholder(addr netip.Addr) (*exec.Cmd, error) {
	spawnMu.Lock()
	if spawnCh == nil {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread()
			for r := range spawnCh {
				cmd := exec.Command("sleep", "infinity")
				cmd.Args[0] = r.argv0 // cmd.Path stays the resolved sleep binary
				cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
				err := cmd.Start()
				r.reply <- spawnRes{cmd, err}
			}
		}()
	}
	ch := spawnCh
	spawnMu.Unlock()
	r := spawnReq{argv0: "ringside-sim-node@" + addr.String(), reply: make(chan spawnRes, 1)}
	ch <- r
	res := <-r.reply
	return res.cmd, res.err
}
