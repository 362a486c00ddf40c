package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

// `ringside sim nodetool [-h host] [-p port] <command> [args]` is the
// simulator's nodetool: it connects to a simulated node as Cassandra's
// nodetool connects to JMX, runs the command against that node's state,
// and prints what 4.1.6's nodetool prints, with its exit status (0; 1 for
// bad use, NodeTool.badUse; 2 for an exception, NodeTool.err). The node's
// "JMX" is its Jolokia agent's address (-p is the agent's port); a node
// that is down refuses the connection, and the message is NodeTool.connect's.
// Each node directory's bin/nodetool runs it with the node's -h and -p.

// nodetoolPath is where a simulated node's agent serves nodetool runs:
// a path of the simulator's own, next to the agent's /jolokia/.
const nodetoolPath = "/ringside-sim/nodetool"

// nodetoolRequest and nodetoolAnswer are the simulator's wire format
// between `ringside sim nodetool` and a node.
type nodetoolRequest struct {
	Args      []string `json:"args"`
	PrintPort bool     `json:"print_port"`
}

type nodetoolAnswer struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Exit   int    `json:"exit"`
}

// RunNodetool runs `ringside sim nodetool` with args (those after
// "nodetool") and returns the exit status.
func RunNodetool(args []string, stdout, stderr io.Writer) int {
	host, port := "127.0.0.1", "7199" // NodeTool.NodeToolCmd's defaults
	printPort := false
	var rest []string
	// Global options come before the command (NodeTool's -h, -p, -u,
	// -pw, -pwf, -pp); the simulated JMX has no authentication, so
	// credentials are accepted and not checked.
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "-h", "--host", "-p", "--port", "-u", "--username", "-pw", "--password", "-pwf", "--password-file":
			if !hasVal {
				if i+1 >= len(args) {
					fmt.Fprintf(stdout, "nodetool: option %s needs a value (ringside sim nodetool)\nSee 'nodetool help' or 'nodetool help <command>'.\n", name)
					return 1
				}
				i++
				val = args[i]
			}
			switch name {
			case "-h", "--host":
				host = val
			case "-p", "--port":
				port = val
			}
			continue
		case "-pp", "--print-port":
			printPort = true
			continue
		}
		break
	}
	rest = args[i:]
	if len(rest) == 0 {
		fmt.Fprintln(stdout, "usage: nodetool [(-h <host> | --host <host>)] [(-p <port> | --port <port>)] <command> [<args>]")
		fmt.Fprintln(stdout, "(ringside sim nodetool: the commands ringside uses, against a simulated node)")
		return 0
	}
	body, _ := json.Marshal(nodetoolRequest{Args: rest, PrintPort: printPort})
	cl := &http.Client{Timeout: 5 * time.Minute} // a drain or cleanup takes its time
	resp, err := cl.Post("http://"+net.JoinHostPort(host, port)+nodetoolPath, "application/json", bytes.NewReader(body))
	if err != nil {
		// NodeTool.connect: "Failed to connect to '%s:%s' - %s: '%s'." with
		// the root cause's simple class name and message (Java 8 wording).
		class, msg := "IOException", err.Error()
		if errors.Is(err, syscall.ECONNREFUSED) {
			class, msg = "ConnectException", "Connection refused (Connection refused)"
		}
		fmt.Fprintf(stderr, "nodetool: Failed to connect to '%s:%s' - %s: '%s'.\n", host, port, class, msg)
		return 1
	}
	defer resp.Body.Close()
	var ans nodetoolAnswer
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &ans) != nil {
		fmt.Fprintf(stderr, "nodetool: Failed to connect to '%s:%s' - IOException: 'not a simulated node (HTTP %d)'.\n", host, port, resp.StatusCode)
		return 1
	}
	io.WriteString(stdout, ans.Stdout)
	io.WriteString(stderr, ans.Stderr)
	return ans.Exit
}

// NodetoolPath is the node's bin/nodetool ("" without a directory).
func (n *Node) NodetoolPath() string {
	if n.dir() == "" {
		return ""
	}
	return n.dir() + string(os.PathSeparator) + "bin" + string(os.PathSeparator) + "nodetool"
}

// nodetoolScript is bin/nodetool: this node's -h and -p, then the
// caller's arguments (which may override them, as with nodetool).
func (n *Node) nodetoolScript(exe string) string {
	return fmt.Sprintf("#!/bin/sh\n# nodetool for simulated node %s: ringside sim nodetool against its agent.\nexec \"${RINGSIDE:-%s}\" sim nodetool -h %s -p %d \"$@\"\n",
		n.Addr, exe, n.Addr, n.c.cfg.JolokiaPort)
}
