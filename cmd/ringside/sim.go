package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ringside/ringside/sim"
)

func runSim(args []string) error {
	fs := flag.NewFlagSet("ringside sim", flag.ContinueOnError)
	cfgFile := fs.String("config", "", "YAML file describing the cluster (flags below override it)")
	topo := fs.String("topology", "", "datacenters as DC:RACKSxNODES_PER_RACK,… (default dc1:3x1,dc2:3x1)")
	numTokens := fs.Int("num-tokens", 0, "num_tokens per node (default 16)")
	tokens := fs.String("tokens", "", "token allocation: random (seeded) or even")
	seed := fs.Uint64("seed", 0, "random seed for tokens and host ids (default 1)")
	base := fs.String("address-base", "", "first node address; DC n adds n-1 to the third octet (default 127.0.1.1)")
	dir := fs.String("dir", "", "directory for node state (cassandra.yaml, data, pidfiles); default a temporary one, \"none\" for no disk state")
	control := fs.String("control", "", "control API address (default 127.0.0.1:8642)")
	name := fs.String("cluster-name", "", "cluster_name (default ringside)")
	auth := fs.String("auth", "", "enable PasswordAuthenticator with USER:PASSWORD")
	fd := fs.Duration("failure-detection", 0, "how long live nodes take to mark a silent node down (default 1s)")
	startTime := fs.Duration("start-time", 0, "how long a started node spends STARTING (default 2s)")
	jsonOut := fs.Bool("json", false, "print the node list as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg := sim.DefaultConfig()
	if *cfgFile != "" {
		var err error
		if cfg, err = sim.LoadConfig(*cfgFile); err != nil {
			return err
		}
	}
	if *topo != "" {
		dcs, err := sim.ParseTopology(*topo)
		if err != nil {
			return err
		}
		cfg.DCs = dcs
	}
	if *numTokens != 0 {
		cfg.NumTokens = *numTokens
	}
	if *tokens != "" {
		cfg.Tokens = *tokens
	}
	if *seed != 0 {
		cfg.Seed = *seed
	}
	if *base != "" {
		cfg.AddressBase = *base
	}
	if *control != "" {
		cfg.ControlAddr = *control
	}
	if *name != "" {
		cfg.ClusterName = *name
	}
	if *fd != 0 {
		cfg.FailureDetection = *fd
	}
	if *startTime != 0 {
		cfg.StartTime = *startTime
	}
	if *auth != "" {
		u, p, ok := strings.Cut(*auth, ":")
		if !ok || u == "" {
			return fmt.Errorf("--auth wants USER:PASSWORD")
		}
		cfg.Auth = &sim.AuthConfig{Username: u, Password: p}
	}
	switch {
	case *dir == "none":
		cfg.Dir = ""
	case *dir != "":
		cfg.Dir = *dir
	case cfg.Dir == "":
		d, err := os.MkdirTemp("", "ringside-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err := sim.New(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t0 := time.Now()
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Close()
	ctlErr := make(chan error, 1)
	go func() { ctlErr <- c.ServeControl(ctx) }()
	statuses := make([]sim.NodeStatus, 0, len(c.Nodes()))
	for _, n := range c.Nodes() {
		statuses = append(statuses, n.Status())
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(statuses)
	} else {
		fmt.Printf("Cluster %q: %d nodes up in %s (CQL port %d, Jolokia port %d)\n", cfg.ClusterName, len(statuses), time.Since(t0).Round(time.Millisecond), cfg.NativePort, cfg.JolokiaPort)
		printNodes(os.Stdout, statuses)
		fmt.Printf("\nControl API: http://%s/v1/nodes   node state under %s\n", cfg.ControlAddr, cfg.Dir)
		fmt.Printf("Try: ringside sim ctl --control %s kill %s\n", cfg.ControlAddr, statuses[0].Address)
		fmt.Println("Ctrl-C stops the cluster.")
	}
	select {
	case <-ctx.Done():
	case err := <-ctlErr:
		if err != nil {
			return err
		}
	}
	return nil
}

func printNodes(w io.Writer, st []sim.NodeStatus) {
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

func runSimCtl(args []string) error {
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
	ctl := &sim.Control{Addr: *control}
	need := func(n int) error {
		if len(pos) != n+1 {
			return fmt.Errorf("%s takes %d argument(s); see 'ringside sim ctl -h'", pos[0], n)
		}
		return nil
	}
	show := func(v any) error {
		if *jsonOut {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
		switch s := v.(type) {
		case []sim.NodeStatus:
			printNodes(os.Stdout, s)
		case sim.NodeStatus:
			printNodes(os.Stdout, []sim.NodeStatus{s})
		default:
			b, _ := json.Marshal(v)
			fmt.Println(string(b))
		}
		return nil
	}
	switch cmd := pos[0]; cmd {
	case "status":
		if len(pos) == 2 {
			var st sim.NodeStatus
			if err := ctl.Do("GET", "/v1/nodes/"+pos[1], nil, &st); err != nil {
				return err
			}
			return show(st)
		}
		var st []sim.NodeStatus
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
		var st sim.NodeStatus
		if err := ctl.Do("POST", path, nil, &st); err != nil {
			return err
		}
		return show(st)
	case "latency":
		if err := need(2); err != nil {
			return err
		}
		var st sim.NodeStatus
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
		fmt.Println("corrupted", out["corrupted"])
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
