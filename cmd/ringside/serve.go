package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/demo"
	"github.com/ringside/ringside/sidecar"
	"github.com/ringside/ringside/sim"
)

func newLogger(level, format string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("ringside serve", flag.ContinueOnError)
	path := fs.String("config", "", "ringside.yaml (default: built-in defaults; RINGSIDE_* environment variables override either)")
	check := fs.Bool("check", false, "validate the configuration and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := strayArgs(fs); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	if *check {
		fmt.Println("configuration OK")
		return nil
	}
	log := newLogger(cfg.LogLevel, cfg.LogFormat)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sc, err := sidecar.New(cfg, log)
	if err != nil {
		return err
	}
	return sc.Run(ctx)
}

func runDemo(args []string) error {
	fs := flag.NewFlagSet("ringside demo", flag.ContinueOnError)
	topo := fs.String("topology", "dc1:3x1,dc2:3x1", "datacenters as DC:RACKSxNODES_PER_RACK")
	port := fs.Int("port", 5000, "port of every sidecar, at its node's address")
	base := fs.String("address-base", "127.0.1.1", "first node address")
	control := fs.String("control", "127.0.0.1:8642", "simulator control API address")
	verbose := fs.Bool("v", false, "log what the simulator and sidecars do")
	secure := fs.Bool("secure", false, "TLS for every sidecar, mutual TLS between sidecars, JWT bearer tokens; prints the CA file and a token per role")
	timing := fs.String("timing", "", "simulator timing: real (a real 4.1.6 node's start, stop and failure detection) instead of the demo's short one")
	gossip := fs.Duration("gossip-interval", demo.GossipInterval, "simulated gossip round; a killed node is convicted after about 18.4 of them (real Cassandra: 1s)")
	localhost := fs.Bool("localhost", true, "the first node's sidecar also answers on localhost:PORT, as in CEP-1's curl examples")
	sample := fs.Bool("sample", true, "create the sample keyspace "+demo.SampleKeyspace+" (NetworkTopologyStrategy over every DC) with a table and some rows")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := strayArgs(fs); err != nil {
		return err
	}
	scfg := sim.DefaultConfig()
	dcs, err := sim.ParseTopology(*topo)
	if err != nil {
		return err
	}
	scfg.DCs = dcs
	scfg.AddressBase = *base
	scfg.ControlAddr = *control
	if *timing == "" {
		demo.ShortTiming(&scfg)
	} else if err := scfg.ApplyTiming(*timing); err != nil {
		return err
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "gossip-interval" })
	if given {
		scfg.GossipInterval, scfg.FailureDetection = *gossip, 0
	}
	if err := scfg.Validate(); err != nil {
		return err
	}
	var log *slog.Logger
	if *verbose {
		log = newLogger("info", "text")
	}
	// SIGPIPE too: with `ringside demo | head`, a write after head has
	// gone would otherwise kill the process before it removes its
	// temporary directory; the demo stops as on Ctrl-C instead.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	defer stop()
	t0 := time.Now()
	d, err := demo.Start(ctx, demo.Options{Sim: &scfg, Port: *port, Logger: log, Secure: *secure, Localhost: *localhost, SampleData: *sample})
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Printf("ringside demo: a simulated Cassandra %s cluster %q with a sidecar beside each node, up in %s\n\n", scfg.ReleaseVersion, scfg.ClusterName, time.Since(t0).Round(time.Millisecond))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tDC\tRACK\tCQL\tJOLOKIA\tSIDECAR")
	for _, sc := range d.Sidecars {
		n := sc.Node
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.Addr, n.DC, n.Rack, sc.Config.Cassandra.CQLAddress, sc.Config.Cassandra.JolokiaURL, sc.URL)
	}
	tw.Flush()
	if len(d.SystemReplication) > 0 {
		// Say it: a new 4.1 cluster has system_auth RF 1, system_distributed 3, system_traces 2.
		fmt.Println("\nThe demo raised the system keyspaces from a new cluster's SimpleStrategy RF 1, 3, 2 (why: docs/before-you-start.md):")
		for _, q := range d.SystemReplication {
			fmt.Println("  " + q)
		}
	}
	if len(d.Sample) > 0 {
		fmt.Println("\nSample data, for flush, cleanup and your own queries (cqlsh " + d.Sidecars[0].Config.Cassandra.CQLAddress + " works too):")
		for _, q := range d.Sample {
			fmt.Println("  " + q)
		}
	}
	first, other := d.Sidecars[0], d.Sidecars[len(d.Sidecars)-1]
	local := first.URL
	if d.LocalURL != "" {
		local = d.LocalURL
		fmt.Printf("\nThe first node's sidecar (%s) also answers on %s, as in CEP-1's examples;\nevery sidecar is at its node's address, as beside a real node.\n", first.URL, d.LocalURL)
	}
	if sec := d.Security; sec != nil {
		fmt.Printf(`
Secure: HTTPS with certificates from the cluster CA %[2]s, mutual TLS
between sidecars, and JWT bearer tokens (HS256, secret in %[3]s):
  export READ=%[4]s
  export OPERATE=%[5]s
  export ADMIN=%[6]s
Try:
  curl --cacert %[2]s %[1]s/v1/health/coordinator                 # health stays anonymous
  curl --cacert %[2]s -H "Authorization: Bearer $READ" %[1]s/v1/settings
  curl --cacert %[2]s -H "Authorization: Bearer $READ" -XPUT %[1]s/v1/settings -d '{"compaction_throughput_mb_per_sec": 12}'     # 403
  curl --cacert %[2]s -H "Authorization: Bearer $OPERATE" -XPOST '%[1]s/v1/bulkcmd/setcompactionthroughput' -d '{"rate_in_mb": 12}'
  ringside token --role operate --secret-file %[3]s              # mint more

`, local, sec.CAFile, sec.SecretFile, sec.Tokens["read"], sec.Tokens["operate"], sec.Tokens["admin"])
		fmt.Printf("Node state (cassandra.yaml, data, pidfiles) is under %s.\nCtrl-C stops everything.\n", d.Cluster.Config().Dir)
	} else {
		fmt.Printf(`
Try:
  curl -i %[1]s/v1/health/coordinator
  curl -i %[1]s/v1/health/replica
  curl -s %[1]s/v1/health/cluster
  curl -s %[1]s/metrics | grep ringside_
  curl -s %[1]s/v1/settings?key=compaction_throughput
  curl -s -XPUT %[1]s/v1/settings/ -d '{"compaction_throughput_mb_per_sec": 12}'
  curl -s -XPOST %[1]s/v1/bulkcmd/setcompactionthroughput -d '{"rate_in_mb": 12}'
  curl -s -XPOST '%[1]s/v1/bulkcmd/flush?dc=dc2' -d '{"keyspace": "%[6]s"}'
  ringside sim ctl --control %[3]s kill %[2]s      # then ask the coordinator and cluster health again
  ringside sim ctl --control %[3]s start %[2]s
  ringside sim ctl --control %[3]s corrupt %[4]s   # replica health of that node turns unhealthy
  curl -s -XPOST '%[1]s/v1/desires/node/stop?block'  # fail health, drain, stop: a few seconds here
  curl -s %[1]s/v1/desires/node/status
  ringside node start --block --url %[1]s
  curl -s -XPOST %[1]s/v1/desires/cluster -d "{\"type\": \"restart\", \"by\": $(( $(date +%%s) + 60 ))}"
  ringside cluster status --watch --url %[1]s     # waves, progress, ETA: one node at a time (by is a minute away), done in about 45 s

Node state (cassandra.yaml, data, pidfiles) is under %[5]s.
Ctrl-C stops everything.
`, local, other.Node.Addr, *control, first.Node.Addr, d.Cluster.Config().Dir, demo.SampleKeyspace)
	}
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "\nstopping") // stdout may be a closed pipe
	return nil
}
