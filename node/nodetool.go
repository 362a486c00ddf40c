package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Nodetool runs Cassandra's nodetool, the fallback for nodes without a
// Jolokia agent. Its output formats are parsed by the Parse* functions
// (pure, checked against captured 4.1.6 output).
type Nodetool struct {
	// Path of the nodetool script; empty means "nodetool" from $PATH.
	Path string
	// Args come before the command, e.g. -h 127.0.0.1 -p 7199 -u user -pw secret.
	Args []string
	// Timeout bounds one command (a JVM starts for each); 0: the context only.
	Timeout time.Duration
}

// NodetoolError is a failed nodetool run: a non-zero exit status, or a
// command that could not run or was cut short (ExitCode -1, Err set).
type NodetoolError struct {
	Args     []string
	ExitCode int
	// Message is nodetool's error without its "nodetool: " or "error: "
	// prefix, e.g. "Keyspace [nosuchks] does not exist.".
	Message string
	// Output is everything the command printed (stderr, then stdout).
	Output string
	Err    error
}

func (e *NodetoolError) Error() string {
	cmd := "nodetool " + strings.Join(e.Args, " ")
	switch {
	case e.ExitCode < 0 && e.Err != nil:
		return fmt.Sprintf("%s: %v", cmd, e.Err)
	case e.Message != "":
		return fmt.Sprintf("%s: exit %d: %s", cmd, e.ExitCode, e.Message)
	}
	return fmt.Sprintf("%s: exit %d", cmd, e.ExitCode)
}

func (e *NodetoolError) Unwrap() error { return e.Err }

// ConnectFailed reports that nodetool could not reach the node's JMX port
// (NodeTool.connect: "nodetool: Failed to connect to 'host:port' - <Exception>: '<message>'.").
func (e *NodetoolError) ConnectFailed() bool {
	return strings.HasPrefix(e.Message, "Failed to connect to '")
}

// ParseNodetoolError turns a finished run into an error: nil for exit
// status 0, else a *NodetoolError whose Message is the first line nodetool
// reports: "nodetool: <message>" (bad use, unknown keyspace, connection
// failure), "error: <message>" (an exception, followed by its stack trace),
// or else the first non-empty line.
func ParseNodetoolError(args []string, exitCode int, output string) error {
	if exitCode == 0 {
		return nil
	}
	e := &NodetoolError{Args: args, ExitCode: exitCode, Output: output}
	first := ""
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if first == "" {
			first = line
		}
		if m, ok := strings.CutPrefix(line, "nodetool: "); ok {
			e.Message = m
			return e
		}
		if m, ok := strings.CutPrefix(line, "error: "); ok {
			e.Message = m
			return e
		}
		// Status.java prints "Error: <message>" for a bad keyspace.
		if m, ok := strings.CutPrefix(line, "Error: "); ok {
			e.Message = m
			return e
		}
	}
	e.Message = first
	return e
}

// Run runs `nodetool <Args> <args>` and returns its standard output.
func (n *Nodetool) Run(ctx context.Context, args ...string) (string, error) {
	if n.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.Timeout)
		defer cancel()
	}
	path := n.Path
	if path == "" {
		path = "nodetool"
	}
	full := append(append([]string{}, n.Args...), args...)
	cmd := exec.CommandContext(ctx, path, full...)
	// The nodetool script starts a JVM as its child: kill the whole group.
	setProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	var ee *exec.ExitError
	if ctx.Err() != nil || !errors.As(err, &ee) || ee.ExitCode() < 0 {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return "", &NodetoolError{Args: args, ExitCode: -1, Output: stderr.String() + stdout.String(), Err: err}
	}
	return stdout.String(), ParseNodetoolError(args, ee.ExitCode(), stderr.String()+stdout.String())
}

// StatusBinary runs `nodetool statusbinary`.
func (n *Nodetool) StatusBinary(ctx context.Context) (bool, error) {
	out, err := n.Run(ctx, "statusbinary")
	if err != nil {
		return false, err
	}
	return ParseStatusBinary(out)
}

// StatusGossip runs `nodetool statusgossip`.
func (n *Nodetool) StatusGossip(ctx context.Context) (bool, error) {
	out, err := n.Run(ctx, "statusgossip")
	if err != nil {
		return false, err
	}
	return ParseStatusGossip(out)
}

// Status runs `nodetool status [keyspace]`.
func (n *Nodetool) Status(ctx context.Context, keyspace ...string) ([]StatusRow, error) {
	out, err := n.Run(ctx, append([]string{"status"}, keyspace...)...)
	if err != nil {
		return nil, err
	}
	return ParseStatus(out)
}

// Info runs `nodetool info`.
func (n *Nodetool) Info(ctx context.Context) (*Info, error) {
	out, err := n.Run(ctx, "info")
	if err != nil {
		return nil, err
	}
	return ParseInfo(out)
}

// OperationMode runs `nodetool netstats`, whose first line is StorageService's OperationMode.
func (n *Nodetool) OperationMode(ctx context.Context) (string, error) {
	out, err := n.Run(ctx, "netstats")
	if err != nil {
		return "", err
	}
	return ParseNetstatsMode(out)
}

// Version runs `nodetool version`.
func (n *Nodetool) Version(ctx context.Context) (string, error) {
	out, err := n.Run(ctx, "version")
	if err != nil {
		return "", err
	}
	return ParseVersion(out)
}

// DescribeCluster runs `nodetool describecluster`.
func (n *Nodetool) DescribeCluster(ctx context.Context) (*ClusterDescription, error) {
	out, err := n.Run(ctx, "describecluster")
	if err != nil {
		return nil, err
	}
	return ParseDescribeCluster(out)
}

// GetCompactionThroughput runs `nodetool getcompactionthroughput` (MB/s).
func (n *Nodetool) GetCompactionThroughput(ctx context.Context) (int, error) {
	out, err := n.Run(ctx, "getcompactionthroughput")
	if err != nil {
		return 0, err
	}
	return ParseGetCompactionThroughput(out)
}
