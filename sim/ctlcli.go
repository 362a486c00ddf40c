package sim

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// PrintNodes writes node statuses as a table.
func PrintNodes(w io.Writer, st []NodeStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tDC\tRACK\tSTATE\tMODE\tCQL\tGOSSIP\tPID\tHOST ID\tSEES DOWN")
	for _, s := range st {
		pid := "-"
		if s.PID != 0 {
			pid = fmt.Sprint(s.PID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%v\t%s\t%s\t%s\n", s.Address, s.DC, s.Rack, s.State, dash(s.OperationMode), s.NativeTransport, s.Gossip, pid, s.HostID, dash(strings.Join(s.Down, ",")))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

const ctlUsage = `Usage: ringside sim ctl [--control ADDR] [--json] <command> [args]

Commands:
  status [NODE]                  show nodes (all, or one)
  stop NODE                      graceful stop: drain, then exit
  kill NODE                      abrupt stop (peers notice after failure detection)
  start NODE [--wait]            start a stopped node (--wait: until NORMAL)
  drain NODE                     nodetool drain
  latency NODE DURATION          add latency to every request the node handles (0 removes it)
  corrupt NODE [missing|empty]   damage one SSTable of the node
  partition A,B,.. [C,D,..] ...  split the cluster into groups of nodes
  heal                           remove the partition
NODE is an address (127.0.1.1), an endpoint (127.0.1.1:7000) or a host id.
`

// RunCtl runs `ringside sim ctl` with args (those after "ctl"), writing
// results to stdout. It is here, not in cmd, so test binaries can serve the
// node directories' bin/ scripts too (see simtest.Main).
func RunCtl(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ringside sim ctl", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), ctlUsage); fs.PrintDefaults() }
	control := fs.String("control", "127.0.0.1:8642", "control API address of the running simulator")
	jsonOut := fs.Bool("json", false, "print results as JSON")
	wait := fs.Bool("wait", false, "with start: block until the node is NORMAL")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	// Allow --wait after the node too.
	var pos []string
	for _, a := range rest {
		if a == "--wait" || a == "-wait" {
			*wait = true
			continue
		}
		pos = append(pos, a)
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("missing command")
	}
	ctl := &Control{Addr: *control}
	need := func(n int) error {
		if len(pos) != n+1 {
			return fmt.Errorf("%s takes %d argument(s); see 'ringside sim ctl -h'", pos[0], n)
		}
		return nil
	}
	show := func(v any) error {
		if *jsonOut {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
		switch s := v.(type) {
		case []NodeStatus:
			PrintNodes(stdout, s)
		case NodeStatus:
			PrintNodes(stdout, []NodeStatus{s})
		default:
			b, _ := json.Marshal(v)
			fmt.Fprintln(stdout, string(b))
		}
		return nil
	}
	switch cmd := pos[0]; cmd {
	case "status":
		if len(pos) == 2 {
			var st NodeStatus
			if err := ctl.Do("GET", "/v1/nodes/"+pos[1], nil, &st); err != nil {
				return err
			}
			return show(st)
		}
		var st []NodeStatus
		if err := ctl.Do("GET", "/v1/nodes", nil, &st); err != nil {
			return err
		}
		return show(st)
	case "stop", "kill", "drain", "start":
		if err := need(1); err != nil {
			return err
		}
		path := "/v1/nodes/" + pos[1] + "/" + cmd
		if cmd == "start" && *wait {
			path += "?wait=true"
		}
		var st NodeStatus
		if err := ctl.Do("POST", path, nil, &st); err != nil {
			return err
		}
		return show(st)
	case "latency":
		if err := need(2); err != nil {
			return err
		}
		var st NodeStatus
		if err := ctl.Do("POST", "/v1/nodes/"+pos[1]+"/latency", map[string]string{"latency": pos[2]}, &st); err != nil {
			return err
		}
		return show(st)
	case "corrupt":
		if len(pos) < 2 || len(pos) > 3 {
			return fmt.Errorf("corrupt takes NODE [missing|empty]")
		}
		mode := "missing"
		if len(pos) == 3 {
			mode = pos[2]
		}
		var out map[string]string
		if err := ctl.Do("POST", "/v1/nodes/"+pos[1]+"/corrupt", map[string]string{"mode": mode}, &out); err != nil {
			return err
		}
		if *jsonOut {
			return show(out)
		}
		fmt.Fprintln(stdout, "corrupted", out["corrupted"])
		return nil
	case "partition":
		if len(pos) < 2 {
			return fmt.Errorf("partition takes one or more comma-separated groups of nodes")
		}
		var groups [][]string
		for _, g := range pos[1:] {
			groups = append(groups, strings.Split(g, ","))
		}
		var out any
		if err := ctl.Do("POST", "/v1/partition", map[string]any{"groups": groups}, &out); err != nil {
			return err
		}
		return show(out)
	case "heal":
		var out any
		if err := ctl.Do("POST", "/v1/heal", nil, &out); err != nil {
			return err
		}
		return show(out)
	default:
		return fmt.Errorf("unknown ctl command %q; see 'ringside sim ctl -h'", cmd)
	}
}
