// Package demo starts a simulated Cassandra cluster with one ringside
// sidecar beside every node, all in one process: `ringside demo`, and the
// harness of the sidecar's end-to-end tests.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/ringside/ringside/config"
	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/sidecar"
	"github.com/ringside/ringside/sim"
)

// Options shape a demo.
type Options struct {
	// Sim is the cluster; zero value: sim.DefaultConfig with a temporary directory.
	Sim *sim.Config
	// Port the sidecars listen on at their node's address (default 5000, as in the CEP).
	Port int
	// Refresh is every sidecar's health refresh interval (default 1s).
	Refresh time.Duration
	// Configure may adjust each sidecar's configuration.
	Configure func(n *sim.Node, c *config.Config)
	Logger    *slog.Logger
	// KeepSystemReplication leaves system_auth, system_distributed and
	// system_traces as a new 4.1 cluster creates them (SimpleStrategy RF 1,
	// 3, 2). By default the demo moves them to NetworkTopologyStrategy with
	// RF min(3, nodes) per DC, as docs/before-you-start.md tells operators
	// to (with RF 1 and authentication on, ringside refuses to stop any
	// node that holds part of system_auth), and says so in
	// Demo.SystemReplication.
	KeepSystemReplication bool
	// Localhost, when set, makes the first node's sidecar answer on
	// localhost at Port too (127.0.0.1 and ::1), besides its node address,
	// so that CEP-1's `curl localhost:5000/…` examples work as written.
	Localhost bool
	// SampleData creates SampleKeyspace over every DC with a table and
	// some rows (Demo.Sample has the statements), for the README's flush
	// and cleanup examples.
	SampleData bool
	// Secure switches on TLS for every sidecar's API, mutual TLS between
	// sidecars (a cluster CA) and JWT bearer tokens (an HS256 secret); the
	// CA and a token per role are in Demo.Security.
	Secure bool
}

// Demo is a running cluster with its sidecars.
type Demo struct {
	Cluster  *sim.Cluster
	Sidecars []*Sidecar
	Security *Security // with Options.Secure
	// SystemReplication are the ALTER KEYSPACE statements the demo ran on
	// the system keyspaces (none with Options.KeepSystemReplication).
	SystemReplication []string
	// Sample are the statements Options.SampleData ran.
	Sample []string
	// LocalURL is the first sidecar's localhost URL (Options.Localhost).
	LocalURL string
	tmp      string
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Sidecar is one node's sidecar.
type Sidecar struct {
	Node   *sim.Node
	Config *config.Config
	URL    string // http://address:port
	// LocalPort, when set, is a port on localhost this sidecar also
	// answers on.
	LocalPort int
	sidecar   *sidecar.Sidecar
	cancel    context.CancelFunc
	done      chan struct{}
	log       *slog.Logger
}

// SidecarConfig is what a sidecar beside node n is configured with: the
// same settings an operator would write for a real node, pointed at the
// simulated one.
func SidecarConfig(n *sim.Node, c sim.Config, port int, refresh time.Duration) *config.Config {
	cfg := config.Default()
	cfg.ListenAddress = net.JoinHostPort(n.Addr.String(), fmt.Sprint(port))
	cfg.Cassandra.CQLAddress = netip.AddrPortFrom(n.Addr, uint16(c.NativePort)).String()
	cfg.Cassandra.JolokiaURL = fmt.Sprintf("http://%s/jolokia/", netip.AddrPortFrom(n.Addr, uint16(c.JolokiaPort)))
	if c.Auth != nil {
		cfg.Cassandra.Username, cfg.Cassandra.Password = c.Auth.Username, c.Auth.Password
	}
	if p := n.YAMLPath(); p != "" {
		cfg.Cassandra.ConfigFile = p
		cfg.Cassandra.PIDFile = n.PIDFile()
		cfg.Cassandra.DataDirectories = []string{n.DataDir()}
		// The node's own start and stop scripts, as the real packages'
		// systemctl commands; the sidecar's state beside the node's.
		dir := filepath.Dir(filepath.Dir(p))
		cfg.DataDir = filepath.Join(dir, "ringside")
		cfg.Lifecycle.StartCommand = filepath.Join(dir, "bin", "cassandra-start")
		cfg.Lifecycle.StopCommand = filepath.Join(dir, "bin", "cassandra-stop")
	} else {
		cfg.DataDir = filepath.Join(os.TempDir(), "ringside-demo-"+n.Addr.String())
	}
	// Short but real timings: a stop or start completes in seconds.
	cfg.Lifecycle.Grace = 2 * time.Second
	cfg.Lifecycle.DrainTimeout = 10 * time.Second
	cfg.Lifecycle.StopTimeout = 20 * time.Second
	cfg.Lifecycle.StartTimeout = 30 * time.Second
	cfg.Lifecycle.RestartBackoff = time.Second
	cfg.Lifecycle.RestartBackoffMax = 10 * time.Second
	cfg.Cassandra.Timeout = 2 * time.Second
	cfg.Health.RefreshInterval = refresh
	cfg.Health.MaxAge = 10 * refresh
	if cfg.Health.MaxAge < 5*time.Second {
		cfg.Health.MaxAge = 5 * time.Second
	}
	cfg.Peers.Timeout = time.Second
	// A cluster restart of the demo takes well under a minute.
	cfg.Desires.Interval = 500 * time.Millisecond
	cfg.Desires.LeaseTTL = 5 * time.Second
	cfg.Desires.RestartEstimate = 8 * time.Second
	cfg.Desires.RestartTimeout = time.Minute
	cfg.Desires.GateTimeout = time.Minute
	return cfg
}

// GossipInterval is the demo's simulated gossip round: a killed node is
// convicted after about a second (18.4 rounds at phi_convict_threshold 8).
const GossipInterval = 50 * time.Millisecond

// ShortTiming gives cfg the demo's timings: shaped like a real node's but
// short, so that stops, starts and failure detection finish in seconds.
func ShortTiming(cfg *sim.Config) {
	cfg.StartTime = 3 * time.Second
	cfg.StartJitter = time.Second
	cfg.DrainTime = time.Second
	cfg.GossipInterval, cfg.FailureDetection = GossipInterval, 0
}

// Start starts the cluster and a sidecar beside each node, and waits until
// every sidecar has refreshed once.
func Start(ctx context.Context, o Options) (*Demo, error) {
	d := &Demo{}
	scfg := sim.DefaultConfig()
	if o.Sim != nil {
		scfg = *o.Sim
	}
	if scfg.Dir == "" {
		dir, err := os.MkdirTemp("", "ringside-demo-")
		if err != nil {
			return nil, err
		}
		d.tmp, scfg.Dir = dir, dir
	}
	if o.Port == 0 {
		o.Port = 5000
	}
	if o.Refresh == 0 {
		o.Refresh = time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := sim.New(scfg, log.With("component", "sim"))
	if err != nil {
		d.Close()
		return nil, err
	}
	d.Cluster = c
	if err := c.Start(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if !o.KeepSystemReplication {
		stmts, err := networkTopologySystemKeyspaces(c)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.SystemReplication = stmts
	}
	if o.SampleData {
		stmts, err := sampleData(c)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.Sample = stmts
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.wg.Add(1)
	go func() { defer d.wg.Done(); c.ServeControl(runCtx) }()
	if o.Secure {
		sec, err := newSecurity(filepath.Join(scfg.Dir, "security"))
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("demo security: %w", err)
		}
		d.Security = sec
	}
	for _, n := range c.Nodes() {
		cfg := SidecarConfig(n, scfg, o.Port, o.Refresh)
		if d.Security != nil {
			if err := d.Security.configure(n, cfg); err != nil {
				d.Close()
				return nil, err
			}
		}
		if o.Configure != nil {
			o.Configure(n, cfg)
		}
		if err := cfg.Validate(); err != nil {
			d.Close()
			return nil, fmt.Errorf("sidecar of %s: %w", n.Addr, err)
		}
		scheme := "http://"
		if cfg.Security.TLSCertFile != "" {
			scheme = "https://"
		}
		sc := &Sidecar{Node: n, Config: cfg, URL: scheme + cfg.ListenAddress, log: log.With("sidecar", n.Addr.String())}
		if o.Localhost && len(d.Sidecars) == 0 {
			sc.LocalPort = o.Port
			d.LocalURL = fmt.Sprintf("%slocalhost:%d", scheme, o.Port)
		}
		if err := sc.Start(); err != nil {
			d.Close()
			return nil, err
		}
		d.Sidecars = append(d.Sidecars, sc)
	}
	for _, sc := range d.Sidecars {
		select {
		case <-sc.sidecar.Ready():
		case <-time.After(30 * time.Second):
			d.Close()
			return nil, fmt.Errorf("sidecar of %s did not refresh within 30s", sc.Node.Addr)
		case <-ctx.Done():
			d.Close()
			return nil, ctx.Err()
		}
	}
	return d, nil
}

// Start (re)starts this sidecar.
func (sc *Sidecar) Start() error {
	ln, err := net.Listen("tcp", sc.Config.ListenAddress)
	if err != nil {
		return fmt.Errorf("sidecar of %s: %w", sc.Node.Addr, err)
	}
	if sc.LocalPort != 0 {
		local, err := listenLocal(sc.LocalPort)
		if err != nil {
			ln.Close()
			return fmt.Errorf("sidecar of %s: %w", sc.Node.Addr, err)
		}
		ln = newMultiListener(append([]net.Listener{ln}, local...)...)
	}
	s, err := sidecar.New(sc.Config, sc.log)
	if err != nil {
		ln.Close()
		return fmt.Errorf("sidecar of %s: %w", sc.Node.Addr, err)
	}
	sc.sidecar = s
	ctx, cancel := context.WithCancel(context.Background())
	sc.cancel = cancel
	sc.done = make(chan struct{})
	go func() {
		defer close(sc.done)
		if err := sc.sidecar.Serve(ctx, ln); err != nil {
			sc.log.Error("sidecar stopped", "err", err)
		}
	}()
	return nil
}

// Stop stops this sidecar (its node keeps running).
func (sc *Sidecar) Stop() {
	if sc.cancel != nil {
		sc.cancel()
		<-sc.done
		sc.cancel = nil
	}
}

// Ready is closed once this sidecar has refreshed.
func (sc *Sidecar) Ready() <-chan struct{} { return sc.sidecar.Ready() }

// Close stops every sidecar and the cluster.
func (d *Demo) Close() {
	for _, sc := range d.Sidecars {
		sc.Stop()
	}
	if d.cancel != nil {
		d.cancel()
	}
	if d.Cluster != nil {
		d.Cluster.Close()
	}
	d.wg.Wait()
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
	}
}

// networkTopologySystemKeyspaces runs the ALTER KEYSPACE statements an
// operator runs on a new cluster (docs/before-you-start.md) and returns them.
// A fresh cluster holds nothing to repair after them.
func networkTopologySystemKeyspaces(c *sim.Cluster) ([]string, error) {
	s, err := session(c)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var done []string
	for _, ks := range []string{"system_auth", "system_distributed", "system_traces"} {
		q := fmt.Sprintf("ALTER KEYSPACE %s WITH replication = {'class': 'NetworkTopologyStrategy', %s}", ks, replicationPerDC(c))
		if err := s.Query(q).Exec(); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", q, err)
		}
		done = append(done, q+";")
	}
	return done, nil
}

// replicationPerDC is "'dc1': 3, 'dc2': 3": RF min(3, nodes) in every DC.
func replicationPerDC(c *sim.Cluster) string {
	perDC := map[string]int{}
	for _, n := range c.Nodes() {
		perDC[n.DC]++
	}
	var parts []string
	for _, dc := range c.Config().DCs {
		parts = append(parts, fmt.Sprintf("'%s': %d", dc.Name, min(3, perDC[dc.Name])))
	}
	return strings.Join(parts, ", ")
}

// session is a CQL session on the first node, as the cluster's superuser.
func session(c *sim.Cluster) (*gocql.Session, error) {
	n := c.Nodes()[0]
	cc := gocql.NewCluster(n.Addr.String())
	cc.Port = c.Config().NativePort
	cc.DisableInitialHostLookup = true
	cc.Metadata.CacheMode = gocql.Disabled
	if a := c.Config().Auth; a != nil {
		cc.Authenticator = gocql.PasswordAuthenticator{Username: a.Username, Password: a.Password}
	}
	s, err := cc.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("demo: connecting to %s: %w", n.Addr, err)
	}
	return s, nil
}

// SampleKeyspace is the user keyspace Options.SampleData creates.
const SampleKeyspace = "shop"

// sampleData creates SampleKeyspace with NetworkTopologyStrategy over
// every DC (RF min(3, nodes of the DC)), a table and some rows, written at
// ALL so that every replica holds them.
func sampleData(c *sim.Cluster) ([]string, error) {
	s, err := session(c)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	stmts := []string{
		fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {'class': 'NetworkTopologyStrategy', %s}", SampleKeyspace, replicationPerDC(c)),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.orders (customer text, placed timeuuid, item text, quantity int, PRIMARY KEY (customer, placed))", SampleKeyspace),
	}
	for _, q := range stmts {
		if err := s.Query(q).Exec(); err != nil {
			return nil, fmt.Errorf("demo: %s: %w", q, err)
		}
	}
	rows := 0
	for i, customer := range []string{"ada", "grace", "edsger", "barbara", "donald", "frances", "leslie", "ken"} {
		for j, item := range []string{"disk", "fan", "cable"} {
			q := fmt.Sprintf("INSERT INTO %s.orders (customer, placed, item, quantity) VALUES (?, now(), ?, ?)", SampleKeyspace)
			if err := s.Query(q, customer, item, 1+(i+j)%4).Consistency(gocql.All).Exec(); err != nil {
				return nil, fmt.Errorf("demo: inserting sample rows: %w", err)
			}
			rows++
		}
	}
	return append(addSemicolons(stmts), fmt.Sprintf("-- %d rows in %s.orders, written at ALL", rows, SampleKeyspace)), nil
}

func addSemicolons(stmts []string) []string {
	out := make([]string, len(stmts))
	for i, q := range stmts {
		out[i] = q + ";"
	}
	return out
}

// Targets is the nodes this sidecar knows (itself first).
func (sc *Sidecar) Targets() []fanout.Target { return sc.sidecar.Targets() }
