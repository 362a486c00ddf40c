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

// PrintStream writes what a stream received, one SSTable a line.
func PrintStream(w io.Writer, r StreamResult) {
	for _, s := range r.SSTables {
		fmt.Fprintf(w, "received %s.%s %s from %s: %s\n", s.Keyspace, s.Table, s.SSTable, s.From, strings.Join(s.Components, " "))
	}
	from := ""
	if len(r.Sources) > 0 {
		from = " from " + strings.Join(r.Sources, ", ")
	}
	fmt.Fprintf(w, "%s of %s: %d SSTable(s)%s; node %s %s\n", r.Operation, r.Node, len(r.SSTables), from, r.Status.State, dash(r.Status.OperationMode))
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
  rebuild NODE [SOURCE_DC]       nodetool rebuild: stream the node's ranges from one replica each
                                 (from SOURCE_DC only; --keyspace KS: one keyspace)
  repair NODE [KEYSPACE]         nodetool repair: stream from the other replicas what differs
  bootstrap NODE [--wait]        wipe a stopped node, stream its ranges to it, start it
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
	wait := fs.Bool("wait", false, "with start and bootstrap: block until the node is NORMAL")
	keyspace := fs.String("keyspace", "", "with rebuild: only this keyspace")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	rest := fs.Args()
	// Allow --wait after the node too.
	var pos []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--wait" || a == "-wait":
			*wait = true
			continue
		case (a == "--keyspace" || a == "-keyspace") && i+1 < len(rest):
			i++
			*keyspace = rest[i]
			continue
		case strings.HasPrefix(a, "--keyspace=") || strings.HasPrefix(a, "-keyspace="):
			_, *keyspace, _ = strings.Cut(a, "=")
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
	case "rebuild", "repair", "bootstrap":
		if len(pos) < 2 || len(pos) > 3 || (cmd == "bootstrap" && len(pos) != 2) {
			return fmt.Errorf("usage: rebuild NODE [SOURCE_DC] [--keyspace KS] | repair NODE [KEYSPACE] | bootstrap NODE [--wait]")
		}
		if *keyspace != "" && cmd != "rebuild" {
			return fmt.Errorf("--keyspace goes with rebuild (repair takes the keyspace as its argument)")
		}
		body := map[string]string{}
		switch {
		case cmd == "rebuild" && len(pos) == 3:
			body["source_dc"] = pos[2]
		case cmd == "repair" && len(pos) == 3:
			body["keyspace"] = pos[2]
		}
		if *keyspace != "" {
			body["keyspace"] = *keyspace
		}
		path := "/v1/nodes/" + pos[1] + "/" + cmd
		if cmd == "bootstrap" && *wait {
			path += "?wait=true"
		}
		var res StreamResult
		if err := ctl.Do("POST", path, body, &res); err != nil {
			return err
		}
		if *jsonOut {
			return show(res)
		}
		PrintStream(stdout, res)
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
