// Command ringside is the management sidecar for Apache Cassandra and its
// cluster simulator.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ringside/ringside/sim"
)

const usage = `ringside — the management sidecar for Apache Cassandra

Usage:
  ringside demo [flags]                    run a simulated 2-DC cluster with a sidecar beside every node
  ringside serve [--config FILE]           run the sidecar beside a Cassandra node
  ringside node stop|start|status [flags]  stop, start or show the local node through its sidecar
  ringside settings get|set KEY[=VAL]...   read or change runtime settings, on one node or many
  ringside bulk list|CMD [NAME=VALUE ...]  run a bulk command (flush, cleanup, ...) on many nodes
  ringside cluster restart|status|pause|resume|cancel  coordinated cluster restarts (waves, progress, ETA)
  ringside sim [flags]                     run a simulated Cassandra 4.1 cluster
  ringside sim ctl <command> ...           stop, kill, start, drain, slow, partition simulated nodes
  ringside sim nodetool [-h H] [-p P] CMD  nodetool (status, info, setters, …) against a simulated node
  ringside token --role ROLE ...           mint a JWT for testing (HS256 secret or RS/ES key)
  ringside version                         print the version

Run 'ringside <command> -h' for the flags of a command.

Exit status: 0 done; 1 failed (the message says why); 2 a usage mistake
(an unknown command, flag or argument: nothing was done); 3 from 'node
status' when Cassandra is not running (LSB); 130 interrupted while waiting
(the operation goes on in the sidecar; the message says how to follow it).
`

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = runServe(os.Args[2:])
	case "node":
		err = runNode(os.Args[2:], os.Stdout, os.Stderr)
	case "settings":
		err = runSettings(os.Args[2:], os.Stdout, os.Stderr)
	case "bulk":
		err = runBulk(os.Args[2:], os.Stdout, os.Stderr)
	case "cluster":
		err = runCluster(os.Args[2:], os.Stdout, os.Stderr)
	case "demo":
		err = runDemo(os.Args[2:])
	case "token":
		err = runToken(os.Args[2:], os.Stdout)
	case "sim":
		if len(os.Args) > 2 && os.Args[2] == "ctl" {
			err = sim.RunCtl(os.Args[3:], os.Stdout)
		} else if len(os.Args) > 2 && os.Args[2] == "nodetool" {
			os.Exit(sim.RunNodetool(os.Args[3:], os.Stdout, os.Stderr))
		} else {
			err = runSim(os.Args[2:])
		}
	case "version", "--version":
		fmt.Println("ringside", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "ringside: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if ee == nil || ee.err != nil {
			fmt.Fprintln(os.Stderr, "ringside:", err)
		}
		os.Exit(code)
	}
}

// exitError is an error that sets the exit status; with a nil err nothing
// more is printed (the command has said what it had to, or the status is
// the answer, as `ringside node status` exiting 3 when the node is down).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// strayArgs refuses positional arguments to a command that takes only
// flags: a usage mistake, exit status 2, before anything is started.
func strayArgs(fs *flag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q: %s takes only flags (see %s -h)", fs.Arg(0), fs.Name(), fs.Name())}
}
