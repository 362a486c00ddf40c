//go:build !unix

package node

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

// processAlive cannot probe a pid portably; the pidfile is then ignored.
func processAlive(int) bool { return false }
