//go:build !unix

package node

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

// ProcessAlive cannot probe a pid portably; the pidfile is then ignored.
func ProcessAlive(int) bool { return false }
