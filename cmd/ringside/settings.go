package main

// ringside settings: the command-line client of GET, PUT and POST ?refresh=true /v1/settings
// (settings/http.go), on one node or fanned out to many.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ringside/ringside/client"
)

const settingsUsage = `Usage: ringside settings get [KEY ...] [--scope local|cluster] [--dc DC] [--rack RACK] [--hosts H,...] [flags]
       ringside settings set KEY=VALUE ... [--scope local|cluster] [--dc DC] [--rack RACK] [--hosts H,...] [flags]
       ringside settings refresh [--scope local|cluster] [--dc DC] [--rack RACK] [--hosts H,...] [flags]

Read or change Cassandra's runtime settings through the sidecar
(GET and PUT /v1/settings). KEYs are cassandra.yaml names, 4.1 or older
(compaction_throughput, compaction_throughput_mb_per_sec); get without a
KEY lists every row of system_views.settings.

set changes the running nodes through JMX (cassandra.yaml is not
rewritten), after checking every key and value: on any mistake nothing
changes anywhere. A VALUE that reads as a JSON number or true/false is
sent as such, anything else as a string:

  ringside settings set compaction_throughput=64MiB/s
  ringside settings set compaction_throughput_mb_per_sec=64 --scope cluster

refresh makes the running nodes follow their cassandra.yaml (POST
/v1/settings?refresh=true): every key whose value differs from the file
is set at runtime if it can be, and listed as needing a restart if not.
The file is read, never written.

By default only the node of the sidecar at --url; --scope cluster, --dc,
--rack and --hosts select nodes across the cluster, each reached through
its own sidecar.

Exit status: 0 when every selected node answered, 1 when any failed or
the sidecar refused the request, 2 for usage mistakes.

Flags:
`

// settingsCmd is one run of `ringside settings`.
type settingsCmd struct {
	sub     string   // get or set
	keys    []string // get: the keys asked; set: the keys changed, in order
	body    []byte   // set: the JSON object sent
	sel     selectorFlags
	json    bool
	api     *apiClient
	timeout time.Duration

	stdout, stderr io.Writer
}

// runSettings runs `ringside settings args...`. Its error carries the
// exit status (see exitError).
func runSettings(args []string, stdout, stderr io.Writer) error {
	c, err := parseSettings(args, os.Environ(), stdout, stderr)
	if c == nil || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx)
}

// parseSettings reads the arguments; (nil, nil) means -h was answered.
func parseSettings(args, env []string, stdout, stderr io.Writer) (*settingsCmd, error) {
	fs := newFlagSet("ringside settings", settingsUsage, stderr)
	c := &settingsCmd{stdout: stdout, stderr: stderr}
	c.sel.register(fs, "local")
	var cf clientFlags
	cf.register(fs, "")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "how long to wait for the sidecar's answer")
	pos, help, err := parseInterspersed(fs, args)
	if help {
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{code: 2}
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "ringside settings: "+format+"\n\n", a...)
		fs.Usage()
		return &exitError{code: 2}
	}
	if len(pos) == 0 {
		return nil, usageErr("which one: get, set or refresh?")
	}
	c.sub, pos = pos[0], pos[1:]
	switch c.sub {
	case "get":
		for _, k := range pos {
			if strings.Contains(k, "=") {
				return nil, usageErr("get takes keys, not %q: did you mean set?", k)
			}
			if !slices.Contains(c.keys, k) {
				c.keys = append(c.keys, k)
			}
		}
	case "refresh":
		if len(pos) > 0 {
			return nil, usageErr("refresh takes no arguments, not %q", pos[0])
		}
	case "set":
		if len(pos) == 0 {
			return nil, usageErr("set what? give KEY=VALUE ...")
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i, kv := range pos {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			switch {
			case !ok:
				return nil, usageErr("%q is not KEY=VALUE", kv)
			case k == "":
				return nil, usageErr("%q has no KEY", kv)
			case slices.Contains(c.keys, k):
				return nil, usageErr("%s is given more than once", k)
			}
			c.keys = append(c.keys, k)
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.Write(settingValue(v))
		}
		b.WriteByte('}')
		c.body = b.Bytes()
	default:
		return nil, usageErr("unknown subcommand %q: use get, set or refresh", c.sub)
	}
	if c.timeout <= 0 {
		return nil, usageErr("--timeout %s must be positive", c.timeout)
	}
	if err := c.sel.check(); err != nil {
		return nil, usageErr("%v", err)
	}
	c.json = cf.json
	if c.api, err = cf.client(env, stderr); err != nil {
		if fe := (*flagError)(nil); errors.As(err, &fe) {
			return nil, usageErr("%v", fe)
		}
		return nil, err
	}
	return c, nil
}

// settingValue is the JSON of a VALUE: a JSON number, true or false as
// such (also a JSON object, array or "quoted string"), anything else as a
// string.
func settingValue(v string) json.RawMessage {
	t := strings.TrimSpace(v)
	switch {
	case t == "true" || t == "false":
		return json.RawMessage(t)
	case t != "" && (t[0] == '-' || t[0] >= '0' && t[0] <= '9' || t[0] == '{' || t[0] == '[' || t[0] == '"') && json.Valid([]byte(t)):
		if t[0] == '"' || t[0] == '{' || t[0] == '[' {
			return json.RawMessage(t)
		}
		if _, err := strconv.ParseFloat(t, 64); err == nil {
			return json.RawMessage(t)
		}
	}
	b, _ := json.Marshal(v)
	return b
}

func (c *settingsCmd) run(ctx context.Context) error {
	sel := c.sel.selector()
	if c.sub == "refresh" {
		return c.refresh(ctx, sel)
	}
	what := "read the settings"
	if c.sub == "set" {
		what = "change the settings"
	}
	ans, err := within(ctx, c.api, c.timeout, func(ctx context.Context) (*client.Settings, error) {
		if c.sub == "set" {
			return c.api.SetSettings(ctx, sel, json.RawMessage(c.body))
		}
		return c.api.Settings(ctx, sel, c.keys...)
	})
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		if c.json && json.Valid(e.Body) {
			printJSON(c.stdout, e.Body)
		}
		return c.fail(e, what)
	}
	if err != nil {
		return err
	}
	if c.json {
		printJSON(c.stdout, ans.Raw)
	}
	if ans.Nodes == nil {
		if !c.json {
			c.printLocal(ans.Runtime)
		}
		return nil
	}
	failed := 0
	for _, n := range ans.Nodes {
		if !n.Success {
			failed++
		}
	}
	if !c.json {
		c.printNodes(ans.Nodes)
	}
	if failed > 0 {
		verb := "answered"
		if c.sub == "set" {
			verb = "changed"
		}
		return &exitError{code: 1, err: fmt.Errorf("%d of %d nodes failed (%d %s)", failed, len(ans.Nodes), len(ans.Nodes)-failed, verb)}
	}
	return nil
}

// fail explains an answer that is not settings.
func (c *settingsCmd) fail(e *client.APIError, what string) error {
	if e.StatusCode == http.StatusBadRequest {
		headline := "the sidecar refused to " + what
		if c.sub == "set" {
			headline += "; nothing was changed"
		}
		if err, ok := problemsError(headline, e); ok {
			return err
		}
		if e.Message != "" {
			return &exitError{code: 1, err: fmt.Errorf("%s: %s", headline, e.Message)}
		}
	}
	if e.Message != "" {
		if _, auth := c.api.authError(e); !auth {
			return &exitError{code: 1, err: fmt.Errorf("the sidecar could not %s (HTTP %d): %s", what, e.StatusCode, e.Message)}
		}
	}
	return c.api.refused(e)
}

// columns are the keys to show: those asked, in order, then any other the
// answers have, sorted.
func (c *settingsCmd) columns(runtimes ...map[string]json.RawMessage) []string {
	cols := append([]string(nil), c.keys...)
	var extra []string
	for _, r := range runtimes {
		for k := range r {
			if !slices.Contains(cols, k) && !slices.Contains(extra, k) {
				extra = append(extra, k)
			}
		}
	}
	slices.Sort(extra)
	return append(cols, extra...)
}

func (c *settingsCmd) printLocal(rt map[string]json.RawMessage) {
	var rows [][]string
	for _, k := range c.columns(rt) {
		if v, ok := rt[k]; ok {
			rows = append(rows, []string{k, renderScalar(v)})
		}
	}
	writeTable(c.stdout, []string{"KEY", "VALUE"}, rows)
}

// printNodes shows a fan-out answer: a row per node and a column per key,
// or, for every key (too many columns), a KEY VALUE block per node; then
// the nodes that failed, with why.
func (c *settingsCmd) printNodes(nodes []client.NodeSettings) {
	var ok, bad []client.NodeSettings
	var rts []map[string]json.RawMessage
	for _, n := range nodes {
		if n.Success {
			ok = append(ok, n)
			rts = append(rts, n.Runtime)
		} else {
			bad = append(bad, n)
		}
	}
	cols := c.columns(rts...)
	switch {
	case len(ok) == 0:
	case len(c.keys) > 0:
		header := append([]string{"NODE", "DC", "RACK"}, cols...)
		rows := make([][]string, len(ok))
		for i, n := range ok {
			row := []string{n.Endpoint, n.DC, n.Rack}
			for _, k := range cols {
				v, has := n.Runtime[k]
				if !has {
					row = append(row, "-")
					continue
				}
				row = append(row, renderScalar(v))
			}
			rows[i] = row
		}
		writeTable(c.stdout, header, rows)
	default:
		for i, n := range ok {
			if i > 0 {
				fmt.Fprintln(c.stdout)
			}
			fmt.Fprintf(c.stdout, "== %s  %s/%s\n", n.Endpoint, n.DC, n.Rack)
			var rows [][]string
			for _, k := range cols {
				if v, has := n.Runtime[k]; has {
					rows = append(rows, []string{k, renderScalar(v)})
				}
			}
			writeTable(c.stdout, []string{"KEY", "VALUE"}, rows)
		}
	}
	if len(bad) == 0 {
		return
	}
	if len(ok) > 0 {
		fmt.Fprintln(c.stdout)
	}
	fmt.Fprintf(c.stdout, "failed on %d of %d nodes:\n", len(bad), len(nodes))
	rows := make([][]string, len(bad))
	for i, n := range bad {
		rows[i] = []string{n.Endpoint, n.DC, n.Rack, nodeError(n.Status, n.Error)}
	}
	writeTable(c.stdout, []string{"NODE", "DC", "RACK", "ERROR"}, rows)
}

// nodeError is a node's error, with the HTTP status its sidecar answered.
func nodeError(status int, msg string) string {
	if msg == "" {
		msg = "(no reason given)"
	}
	if status != 0 && !strings.Contains(msg, "HTTP "+strconv.Itoa(status)) {
		return fmt.Sprintf("HTTP %d: %s", status, msg)
	}
	return msg
}

// renderScalar shows a JSON value: strings bare, null as null, objects
// and arrays compact.
func renderScalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "-"
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

func (c *settingsCmd) refresh(ctx context.Context, sel client.Selector) error {
	r, err := within(ctx, c.api, c.timeout, func(ctx context.Context) (*client.Refresh, error) {
		return c.api.RefreshSettings(ctx, sel)
	})
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		if c.json && json.Valid(e.Body) {
			printJSON(c.stdout, e.Body)
		}
		return c.fail(e, "refresh the settings")
	}
	if err != nil {
		return err
	}
	if c.json {
		printJSON(c.stdout, r.Raw)
	}
	if r.Local != nil {
		if !c.json {
			writeTable(c.stdout, []string{"KEY", "ACTION", "VALUE"}, refreshRows(r.Local))
			fmt.Fprintf(c.stdout, "%d key(s) already as cassandra.yaml says; the file was not written\n", r.Local.InSync)
		}
		return nil
	}
	failed := 0
	var rows, bad [][]string
	for _, n := range r.Nodes {
		if !n.Success || n.Runtime == nil {
			failed++
			bad = append(bad, []string{n.Endpoint, n.DC, n.Rack, nodeError(n.Status, n.Error)})
			continue
		}
		rs := refreshRows(n.Runtime)
		if len(rs) == 0 {
			rs = [][]string{{"-", "in sync", ""}}
		}
		for _, r := range rs {
			rows = append(rows, append([]string{n.Endpoint, n.DC, n.Rack}, r...))
		}
	}
	if !c.json {
		writeTable(c.stdout, []string{"NODE", "DC", "RACK", "KEY", "ACTION", "VALUE"}, rows)
		if len(bad) > 0 {
			fmt.Fprintf(c.stdout, "\nfailed on %d of %d nodes:\n", len(bad), len(r.Nodes))
			writeTable(c.stdout, []string{"NODE", "DC", "RACK", "ERROR"}, bad)
		}
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d nodes failed (%d refreshed)", failed, len(r.Nodes), len(r.Nodes)-failed)}
	}
	return nil
}

// refreshRows are a refresh's keys: applied (the runtime value now), needing
// a restart (file vs running), not applied (why), unknown.
func refreshRows(r *client.Refreshed) [][]string {
	var rows [][]string
	keys := make([]string, 0, len(r.Applied))
	for k := range r.Applied {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rows = append(rows, []string{k, "applied", renderScalar(r.Applied[k])})
	}
	for _, d := range r.NeedsRestart {
		want := d.OnDisk
		if d.Default != "" {
			want = d.Default + " (default)"
		}
		rows = append(rows, []string{d.Key, "needs restart", want + ", running " + d.Running})
	}
	bad := make([]string, 0, len(r.NotApplied))
	for k := range r.NotApplied {
		bad = append(bad, k)
	}
	slices.Sort(bad)
	for _, k := range bad {
		rows = append(rows, []string{k, "not applied", r.NotApplied[k]})
	}
	for _, k := range r.Unknown {
		rows = append(rows, []string{k, "unknown", "not in system_views.settings"})
	}
	return rows
}
