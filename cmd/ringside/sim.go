package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
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
	fd := fs.Duration("failure-detection", 0, "by when live nodes have convicted a silent node; sets --gossip-interval to match")
	gossip := fs.Duration("gossip-interval", 0, "gossip round the phi failure detector learns (real: 1s, fast: 50ms)")
	phi := fs.Float64("phi-convict-threshold", 8, "phi_convict_threshold, 5..16")
	startTime := fs.Duration("start-time", 0, "how long a started node spends STARTING (real: 23s±12s, fast: 2s)")
	timing := fs.String("timing", "", "timing profile: real (default: a real 4.1.6 node's stop, start and failure detection; docs/sim.md) or fast; the duration flags override it")
	jsonOut := fs.Bool("json", false, "print the node list as JSON")
	lwtUnknown := fs.Float64("lwt-unknown-rate", 0, "share of LWT proposals made to reach fewer than a quorum (CAS_WRITE_UNKNOWN), 0..1, seeded by --seed")
	hintsEvery := fs.Duration("hints-dispatch-interval", 0, "period of the hints flush and HintsDispatchTrigger (real: 10s, fast: 500ms)")
	lwtCommit := fs.Float64("lwt-commit-timeout-rate", 0, "share of LWT commits made to time out (WriteTimeout SIMPLE), 0..1, seeded by --seed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := strayArgs(fs); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// The simulator runs at a real node's pace unless told otherwise.
	cfg := sim.DefaultConfig()
	if err := cfg.ApplyTiming("real"); err != nil {
		return err
	}
	if *cfgFile != "" {
		var err error
		if cfg, err = sim.LoadConfigOver(*cfgFile, cfg); err != nil {
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
	if *timing != "" {
		if err := cfg.ApplyTiming(*timing); err != nil {
			return err
		}
	}
	if given["failure-detection"] && given["gossip-interval"] {
		return fmt.Errorf("give --gossip-interval or --failure-detection, not both")
	}
	if given["failure-detection"] {
		if *fd <= 0 {
			return fmt.Errorf("--failure-detection must be positive, not %s", *fd)
		}
		cfg.FailureDetection = *fd
	}
	if given["gossip-interval"] {
		cfg.GossipInterval, cfg.FailureDetection = *gossip, 0
	}
	if given["phi-convict-threshold"] {
		cfg.PhiConvictThreshold = *phi
	}
	if *startTime != 0 {
		cfg.StartTime = *startTime
	}
	if given["lwt-unknown-rate"] {
		cfg.LWTUnknownRate = *lwtUnknown
	}
	if given["hints-dispatch-interval"] {
		cfg.HintsDispatchInterval = *hintsEvery
	}
	if given["lwt-commit-timeout-rate"] {
		cfg.LWTCommitTimeoutRate = *lwtCommit
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
		rc := c.Config()
		fmt.Printf("Timing %s: gossip every %s, phi_convict_threshold %g: a killed node is convicted within %s\n", rc.Timing, rc.GossipInterval, rc.PhiConvictThreshold, rc.FailureDetection.Round(100*time.Millisecond))
		sim.PrintNodes(os.Stdout, statuses)
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
