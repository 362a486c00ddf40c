package main

// ringside cluster: the command-line client of the cluster desire API
// (desire/http.go): ask for a restart, follow it, pause, resume, cancel.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ringside/ringside/client"
	"github.com/ringside/ringside/desire"
)

const clusterUsage = `Usage: ringside cluster restart [--by TIME | --within DURATION] [--older-than TIME] [--dc DC] [--rack RACK] [--nodes H,...] [--max-parallel N] [--cl CL,...] [--dry-run] [--force] [--watch] [flags]
       ringside cluster status [--watch] [flags]
       ringside cluster pause|resume|cancel [flags]

restart asks the cluster to restart every Cassandra process older than
--older-than (default: now), by --by (unix seconds or RFC 3339) or within
--within, never taking a token range below the consistency levels kept
(--cl; default: the sidecar's health.consistency_levels). With a far
deadline it restarts as few nodes at once as still finish in time; with a
near one as many as is safe (and --max-parallel allow). --dry-run shows the
planned waves without storing anything. Every sidecar restarts its own
node; the desire lives in the cluster (the ringside keyspace), so the
sidecar asked may go away.

status shows the current desire: its waves, the current one node by node,
a progress bar and the ETA; --watch follows it to its end.

  ringside cluster restart --within 2h --dc dc1
  ringside cluster status --watch

Exit status: 0 done (or accepted), 1 blocked, failed or refused, 2 usage.

Flags:
`

type clusterCmd struct {
	sub    string
	body   map[string]any
	watch  bool
	dryRun bool
	poll   time.Duration
	api    *apiClient
	json   bool

	stdout, stderr io.Writer
	tty            bool
	now            func() time.Time
}

func runCluster(args []string, stdout, stderr io.Writer) error {
	c, err := parseCluster(args, os.Environ(), stdout, stderr, time.Now)
	if c == nil || err != nil {
		return err
	}
	c.tty = isTerminal(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx)
}

func parseCluster(args, env []string, stdout, stderr io.Writer, now func() time.Time) (*clusterCmd, error) {
	fs := newFlagSet("ringside cluster", clusterUsage, stderr)
	c := &clusterCmd{stdout: stdout, stderr: stderr, now: now}
	by := fs.String("by", "", "restart by this `TIME` (unix seconds or RFC 3339)")
	within := fs.Duration("within", 0, "restart within this `DURATION` from now (instead of --by)")
	older := fs.String("older-than", "", "restart processes started before this `TIME` (default: now)")
	var dcs, racks, nodes, cls listFlag
	fs.Var(&dcs, "dc", "only the nodes of these datacenters: `DC[,DC...]`")
	fs.Var(&racks, "rack", "only these racks: `RACK[,DC:RACK...]`")
	fs.Var(&nodes, "nodes", "only these nodes: `HOST[,HOST...]` (host ids or addresses)")
	fs.Var(&cls, "cl", "consistency levels to keep: `CL[,CL...]` (default: the sidecar's health.consistency_levels)")
	maxPar := fs.Int("max-parallel", 0, "at most `N` nodes down at once (default: as many as is safe and the deadline needs)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "show the planned waves and ETA; store nothing")
	force := fs.Bool("force", false, "accept a restart that cannot keep the levels (one node at a time)")
	fs.BoolVar(&c.watch, "watch", false, "follow the desire until it ends")
	fs.DurationVar(&c.poll, "poll", time.Second, "how often --watch polls")
	var cf clientFlags
	cf.register(fs, "")
	pos, help, err := parseInterspersed(fs, args)
	if help {
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{code: 2}
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "ringside cluster: "+format+"\n\n", a...)
		fs.Usage()
		return &exitError{code: 2}
	}
	if len(pos) != 1 {
		return nil, usageErr("want one of restart, status, pause, resume, cancel")
	}
	c.sub = pos[0]
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	switch c.sub {
	case "restart":
		if (*by == "") == (*within == 0) {
			return nil, usageErr("give --by TIME or --within DURATION (one of them)")
		}
		c.body = map[string]any{"type": "restart"}
		if *by != "" {
			t, err := desire.ParseTime(*by)
			if err != nil {
				return nil, usageErr("--by: %v", err)
			}
			c.body["by"] = t.Unix()
		} else {
			if *within <= 0 {
				return nil, usageErr("--within %s: want a positive duration", *within)
			}
			c.body["by"] = now().Add(*within).Unix()
		}
		if *older != "" {
			t, err := desire.ParseTime(*older)
			if err != nil {
				return nil, usageErr("--older-than: %v", err)
			}
			c.body["older_than"] = t.UTC().Format(time.RFC3339Nano)
		}
		if given["max-parallel"] {
			if *maxPar < 1 {
				return nil, usageErr("--max-parallel %d: at least 1", *maxPar)
			}
			c.body["max_parallel"] = *maxPar
		}
		for k, v := range map[string]listFlag{"dc": dcs, "rack": racks, "nodes": nodes, "consistency_levels": cls} {
			if len(v) > 0 {
				c.body[k] = []string(v)
			}
		}
		if *force {
			c.body["force"] = true
		}
		if c.dryRun {
			c.body["dry_run"] = true
		}
	case "status", "pause", "resume", "cancel":
		for _, f := range []string{"by", "within", "older-than", "dc", "rack", "nodes", "cl", "max-parallel", "dry-run", "force"} {
			if given[f] {
				return nil, usageErr("--%s is for restart", f)
			}
		}
		if c.watch && c.sub != "status" {
			return nil, usageErr("--watch is for status and restart")
		}
	default:
		return nil, usageErr("unknown subcommand %q (restart, status, pause, resume, cancel)", c.sub)
	}
	api, err := cf.client(env, stderr)
	if err != nil {
		if fe, ok := err.(*flagError); ok {
			return nil, usageErr("%s", fe.msg)
		}
		return nil, err
	}
	c.api, c.json = api, cf.json
	return c, nil
}

func (c *clusterCmd) run(ctx context.Context) error {
	get := c.api.ClusterDesire
	var doc *client.ClusterDocument
	var err error
	switch c.sub {
	case "restart":
		doc, err = within(ctx, c.api, 60*time.Second, func(ctx context.Context) (*client.ClusterDocument, error) {
			return c.api.CreateClusterDesire(ctx, c.body)
		})
	case "status":
		doc, err = within(ctx, c.api, 30*time.Second, get)
	default:
		control := map[string]func(context.Context) (*client.ClusterDocument, error){
			"pause": c.api.PauseCluster, "resume": c.api.ResumeCluster, "cancel": c.api.CancelCluster,
		}[c.sub]
		doc, err = within(ctx, c.api, 30*time.Second, control)
	}
	if err != nil {
		return c.api.failed(err)
	}
	if c.json && !c.watch {
		printJSON(c.stdout, doc.Raw)
		return nil
	}
	if !c.watch || c.dryRun {
		c.print(doc)
		return c.status(doc)
	}
	for {
		if len(doc.Desires) == 0 {
			fmt.Fprintln(c.stdout, "no cluster desire")
			return nil
		}
		d := doc.Desires[0]
		if client.DesireEnded(d.State) || d.State == client.DesireBlocked {
			c.clearBar()
			c.print(doc)
			return c.status(doc)
		}
		c.bar(doc)
		select {
		case <-ctx.Done():
			return &exitError{code: 130, err: fmt.Errorf("interrupted; the desire goes on (ringside cluster status)")}
		case <-time.After(c.poll):
		}
		next, err := within(ctx, c.api, 30*time.Second, get)
		if e := (*client.APIError)(nil); errors.As(err, &e) {
			// A sidecar whose node is being restarted may answer 503 for
			// a while: keep the last document, ask again.
			continue
		}
		if err != nil {
			c.clearBar()
			fmt.Fprintln(c.stderr, "(sidecar not answering, retrying:", err, ")")
			continue
		}
		doc = next
	}
}

func (c *clusterCmd) status(doc *client.ClusterDocument) error {
	if len(doc.Desires) == 0 {
		return nil
	}
	switch d := doc.Desires[0]; d.State {
	case client.DesireBlocked:
		return &exitError{code: 1, err: fmt.Errorf("desire %s is BLOCKED: %s\nfix it, then: ringside cluster resume (or cancel)", d.ID, d.Reason)}
	case client.DesireCancelled, client.DesireExpired:
		return &exitError{code: 1, err: fmt.Errorf("desire %s is %s: %s", d.ID, d.State, d.Reason)}
	}
	return nil
}

func (c *clusterCmd) clearBar() {
	if c.tty {
		fmt.Fprint(c.stderr, "\r\x1b[K")
	}
}

// bar shows progress: redrawn in place on a terminal, a line per change otherwise.
func (c *clusterCmd) bar(doc *client.ClusterDocument) {
	d := doc.Desires[0]
	p := d.Progress
	filled := 0
	if p.Total > 0 {
		filled = p.Done * barWidth / p.Total
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled)
	line := fmt.Sprintf("[%s] %d/%d nodes  wave %d/%d  %s", bar, p.Done, p.Total, d.Wave+1, len(d.Waves), d.State)
	if p.Stopped > 0 {
		line += fmt.Sprintf("  restarting %d", p.Stopped)
	}
	if d.ETA != nil {
		line += "  ETA " + d.ETA.Local().Format("15:04:05")
	}
	if c.tty {
		fmt.Fprint(c.stderr, "\r"+line+"\x1b[K")
	} else {
		fmt.Fprintln(c.stderr, line)
	}
}

// print writes the desire, its waves and the current wave's nodes.
func (c *clusterCmd) print(doc *client.ClusterDocument) {
	w := c.stdout
	if len(doc.Desires) == 0 {
		fmt.Fprintln(w, "no cluster desire")
		return
	}
	d := doc.Desires[0]
	title := "desire " + d.ID
	if doc.DryRun {
		title = "dry run (nothing stored)"
	}
	fmt.Fprintf(w, "%s: %s %s", title, d.Type, d.State)
	if d.Reason != "" {
		fmt.Fprintf(w, " (%s)", d.Reason)
	}
	fmt.Fprintf(w, "\n  older than %s, by %s", d.OlderThan.Local().Format(time.RFC3339), time.Unix(d.By, 0).Local().Format(time.RFC3339))
	if d.ETA != nil {
		fmt.Fprintf(w, ", ETA %s", d.ETA.Local().Format(time.RFC3339))
	}
	if d.ByMet != nil && !*d.ByMet {
		fmt.Fprint(w, " (by will be missed)")
	}
	par := "as many as is safe"
	if d.Parallelism > 0 {
		par = fmt.Sprint(d.Parallelism)
	}
	fmt.Fprintf(w, "\n  keeping %s; at most %s node(s) at once; %d/%d nodes done\n\n", strings.Join(d.ConsistencyLevels, ", "), par, d.Progress.Done, d.Progress.Total)
	var rows [][]string
	for i, wave := range d.Waves {
		st := "planned"
		switch {
		case i < d.Wave || d.State == client.DesireDone:
			st = "done"
		case i == d.Wave:
			st = "current"
		}
		var names []string
		for _, h := range wave {
			if n := d.Nodes[h]; n != nil {
				names = append(names, n.Endpoint)
			}
		}
		dur := ""
		if i < len(d.WaveSeconds) {
			dur = fmtDuration(time.Duration(d.WaveSeconds[i] * float64(time.Second)))
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), st, fmt.Sprint(len(wave)), dur, strings.Join(names, " ")})
	}
	writeTable(w, []string{"WAVE", "STATE", "NODES", "TOOK", "ENDPOINTS"}, rows)
	if cur := d.Wave; cur >= 0 && cur < len(d.Waves) && !client.DesireEnded(d.State) {
		fmt.Fprintf(w, "\nwave %d:\n", cur+1)
		rows = nil
		for _, h := range d.Waves[cur] {
			n := d.Nodes[h]
			if n == nil {
				continue
			}
			step := n.Step
			if n.Skipped {
				step = "already newer"
			}
			if n.Error != "" {
				step = n.Error
			}
			rows = append(rows, []string{n.Endpoint, n.DC + "/" + n.Rack, n.State, step, h})
		}
		writeTable(w, []string{"ENDPOINT", "DC/RACK", "STATE", "STEP", "HOST ID"}, rows)
	}
}
