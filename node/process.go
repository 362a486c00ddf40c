//go:build linux

package node

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
)

// FindProcess returns the pid of the one process whose command line (its
// arguments joined by single spaces, as pgrep -f sees them) matches
// pattern; 0 and no error when none does. More than one match is an error
// naming the pids: which is Cassandra is never guessed. The calling process
// is skipped, and processes that exit during the scan are ignored.
func FindProcess(pattern *regexp.Regexp) (int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("find process: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			// Gone since ReadDir, or a kernel thread or zombie (no cmdline).
			continue
		}
		b = bytes.ReplaceAll(bytes.TrimSuffix(b, []byte{0}), []byte{0}, []byte{' '})
		if pattern.Match(b) {
			pids = append(pids, pid)
		}
	}
	switch len(pids) {
	case 0:
		return 0, nil
	case 1:
		return pids[0], nil
	}
	slices.Sort(pids)
	return 0, fmt.Errorf("find process: %d processes match %q: pids %v", len(pids), pattern.String(), pids)
}

// zombie reports whether pid has exited but is not reaped yet (state Z in
// /proc/<pid>/stat, whose field 2 is "(comm)" and may contain spaces).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}
