package main

// ringside bulk: the command-line client of the bulk command API
// (bulk/handler.go): list the commands, run one on many nodes as a job
// of the sidecar and follow it to its end.

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

const bulkUsage = `Usage: ringside bulk list [flags]
       ringside bulk CMD [NAME=VALUE ...] [--param NAME=VALUE ...] [--scope local|cluster] [--dc DC] [--rack RACK] [--hosts H,...] [--async] [flags]
       ringside bulk job JOB_ID [flags]

Run a bulk command (POST /v1/bulkcmd/CMD: flush, cleanup,
setcompactionthroughput, ...) on many nodes at once, each through its own
sidecar: by default on every node of the cluster; --dc, --rack, --hosts or
--scope local narrow it down. list shows the commands and their
parameters. VALUEs are typed as the command's parameters are: integers,
true or false, and a,b,c for lists.

  ringside bulk setcompactionthroughput rate_in_mb=64 --dc dc1
  ringside bulk flush keyspace=ks tables=t1,t2

The command runs as a job of the sidecar: its progress shows on stderr,
then each node's result. --async only starts the job and prints its id;
job JOB_ID follows a job (the sidecar keeps jobs in memory, for an hour
after they end, none across its restart).

Exit status: 0 when the command succeeded on every node, 1 when it failed
on any or could not run, 2 for usage mistakes.

Flags:
`

// bulkCmd is one run of `ringside bulk`.
type bulkCmd struct {
	sub    string   // "list", "job" or the command's name
	jobID  string   // job
	params []string // NAME=VALUE, --param ones first
	sel    selectorFlags
	async  bool
	json   bool
	poll   time.Duration
	api    *apiClient

	stdout, stderr io.Writer
	tty            bool // stderr is a terminal: redraw the progress line
	now            func() time.Time
}

// How long following a job tolerates a sidecar that does not answer.
var bulkUnreachableLimit = 15 * time.Second

// runBulk runs `ringside bulk args...`. Its error carries the exit status
// (see exitError).
func runBulk(args []string, stdout, stderr io.Writer) error {
	c, err := parseBulk(args, os.Environ(), stdout, stderr)
	if c == nil || err != nil {
		return err
	}
	c.tty = isTerminal(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx)
}

// parseBulk reads the arguments; (nil, nil) means -h was answered.
func parseBulk(args, env []string, stdout, stderr io.Writer) (*bulkCmd, error) {
	fs := newFlagSet("ringside bulk", bulkUsage, stderr)
	c := &bulkCmd{stdout: stdout, stderr: stderr, now: time.Now}
	var params multiFlag
	fs.Var(&params, "param", "a parameter of the command, `NAME=VALUE` (repeatable; the same as a bare NAME=VALUE)")
	fs.BoolVar(&c.async, "async", false, "start the command as a job and print its id, without waiting for it")
	fs.DurationVar(&c.poll, "poll", 300*time.Millisecond, "how often to poll the job's progress")
	c.sel.register(fs, "cluster")
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
		fmt.Fprintf(stderr, "ringside bulk: "+format+"\n\n", a...)
		fs.Usage()
		return &exitError{code: 2}
	}
	if len(pos) == 0 {
		return nil, usageErr("which command? (ringside bulk list shows them)")
	}
	c.sub, pos = pos[0], pos[1:]
	selGiven := c.sel.scope != "" || len(c.sel.dcs)+len(c.sel.racks)+len(c.sel.host) > 0
	switch c.sub {
	case "list", "job":
		if len(params) > 0 || c.async || selGiven {
			return nil, usageErr("%s takes no parameters, --async or node selection", c.sub)
		}
		if c.sub == "list" && len(pos) > 0 {
			return nil, usageErr("unexpected argument %q", pos[0])
		}
		if c.sub == "job" {
			if len(pos) != 1 {
				return nil, usageErr("job takes one JOB_ID")
			}
			c.jobID = pos[0]
		}
	default:
		if strings.HasPrefix(c.sub, "-") || strings.Contains(c.sub, "=") {
			return nil, usageErr("%q is not a command name", c.sub)
		}
		c.params = append(append(c.params, params...), pos...)
		for _, p := range c.params {
			if k, _, ok := strings.Cut(p, "="); !ok || strings.TrimSpace(k) == "" {
				return nil, usageErr("%q is not NAME=VALUE", p)
			}
		}
	}
	if c.poll <= 0 {
		return nil, usageErr("--poll %s must be positive", c.poll)
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

func (c *bulkCmd) run(ctx context.Context) error {
	switch c.sub {
	case "list":
		return c.list(ctx)
	case "job":
		return c.followJob(ctx, c.jobID, time.Time{})
	}
	return c.runCommand(ctx)
}

// commands reads GET /v1/bulkcmd; an *client.APIError is the caller's
// to explain.
func (c *bulkCmd) commands(ctx context.Context) (*client.BulkCommands, error) {
	return within(ctx, c.api, 30*time.Second, c.api.BulkCommands)
}

func (c *bulkCmd) list(ctx context.Context) error {
	l, err := c.commands(ctx)
	if err != nil {
		return c.api.failed(err)
	}
	if c.json {
		printJSON(c.stdout, l.Raw)
		return nil
	}
	var rows [][]string
	for _, cmd := range l.Commands {
		help := cmd.Help
		if cmd.Long {
			help += " (long: runs for minutes or hours)"
		}
		rows = append(rows, []string{cmd.Name, "", "", "", "", help})
		for _, p := range cmd.Params {
			req := "optional"
			switch {
			case p.Required:
				req = "required"
			case p.Default != nil:
				req = "default " + paramText(p.Default)
			}
			rows = append(rows, []string{"", p.Name, p.Type, req, paramRange(p), p.Help})
		}
	}
	writeTable(c.stdout, []string{"COMMAND", "PARAM", "TYPE", "REQUIRED/DEFAULT", "RANGE", "DESCRIPTION"}, rows)
	return nil
}

func paramRange(p client.BulkParam) string {
	switch {
	case p.Min != nil && p.Max != nil:
		return fmt.Sprintf("%d..%d", *p.Min, *p.Max)
	case p.Min != nil:
		return fmt.Sprintf(">= %d", *p.Min)
	case p.Max != nil:
		return fmt.Sprintf("<= %d", *p.Max)
	}
	return "-"
}

// paramText shows a default value: lists as a,b.
func paramText(v any) string {
	if l, ok := v.([]any); ok {
		s := make([]string, len(l))
		for i, e := range l {
			s[i] = fmt.Sprint(e)
		}
		return strings.Join(s, ",")
	}
	b, _ := json.Marshal(v)
	return renderScalar(b)
}

// body is the JSON object of the parameters, typed by the command's
// parameters (spec nil: unknown, every value guessed).
func (c *bulkCmd) body(spec *client.BulkCommand) ([]byte, error) {
	type member struct {
		name   string
		values []json.RawMessage // more than one: a strings parameter given again
		list   bool
	}
	var members []*member
	for _, kv := range c.params {
		k, v, _ := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		typ := ""
		if spec != nil {
			for _, p := range spec.Params {
				if p.Name == k {
					typ = p.Type
				}
			}
		}
		i := slices.IndexFunc(members, func(m *member) bool { return m.name == k })
		if i >= 0 && !members[i].list {
			return nil, &flagError{fmt.Sprintf("parameter %s is given more than once", k)}
		}
		if i < 0 {
			members = append(members, &member{name: k, list: typ == client.ParamStrings})
			i = len(members) - 1
		}
		members[i].values = append(members[i].values, paramValue(typ, v))
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(m.name)
		b.Write(kb)
		b.WriteByte(':')
		if len(m.values) == 1 {
			b.Write(m.values[0])
			continue
		}
		// A list given in pieces: tables=a tables=b,c.
		var all []json.RawMessage
		for _, v := range m.values {
			var l []json.RawMessage
			if json.Unmarshal(v, &l) != nil {
				l = []json.RawMessage{v}
			}
			all = append(all, l...)
		}
		lb, _ := json.Marshal(all)
		b.Write(lb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// paramValue is the JSON of one VALUE for a parameter of type typ ("":
// unknown): what does not read as the type goes as a string, for the
// sidecar to say what is wrong with it.
func paramValue(typ, v string) json.RawMessage {
	str := func(s string) json.RawMessage {
		b, _ := json.Marshal(s)
		return b
	}
	t := strings.TrimSpace(v)
	switch typ {
	case client.ParamString:
		return str(v)
	case client.ParamInt:
		if _, err := strconv.ParseInt(t, 10, 64); err == nil {
			return json.RawMessage(t)
		}
		return settingValue(v)
	case client.ParamBool:
		if b, err := strconv.ParseBool(t); err == nil {
			return json.RawMessage(strconv.FormatBool(b))
		}
		return str(v)
	case client.ParamStrings:
		if strings.HasPrefix(t, "[") && json.Valid([]byte(t)) {
			return json.RawMessage(t)
		}
		parts := []string{}
		for _, p := range strings.Split(v, ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
		b, _ := json.Marshal(parts)
		return b
	case client.ParamObject:
		if strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
			return json.RawMessage(t)
		}
		return str(v)
	}
	return settingValue(v)
}

func (c *bulkCmd) runCommand(ctx context.Context) error {
	// The parameters' types; without them (an older sidecar) values are
	// guessed, and the sidecar judges them anyway.
	var spec *client.BulkCommand
	l, err := c.commands(ctx)
	var e *client.APIError
	switch {
	case err == nil:
		i := slices.IndexFunc(l.Commands, func(ci client.BulkCommand) bool { return ci.Name == c.sub })
		if i < 0 {
			names := make([]string, len(l.Commands))
			for i, ci := range l.Commands {
				names[i] = ci.Name
			}
			return unknownCommand(c.sub, names)
		}
		spec = &l.Commands[i]
	case !errors.As(err, &e):
		return err // no answer at all
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return c.api.refused(e)
	}
	body, err := c.body(spec)
	if err != nil {
		fmt.Fprintf(c.stderr, "ringside bulk: %v\n", err)
		return &exitError{code: 2}
	}
	opts := client.BulkOptions{Selector: c.sel.selector(), Async: true}
	start := c.now()
	// No timeout: a sidecar that runs the command at once (without a job)
	// answers when it is done everywhere.
	post := func(ctx context.Context) (*client.BulkRun, error) {
		return c.api.RunBulk(ctx, c.sub, json.RawMessage(body), opts)
	}
	run, err := within(ctx, c.api, 0, post)
	switch {
	case err == nil && run.JobID != "":
		if c.async {
			if c.json {
				printJSON(c.stdout, run.Raw)
			} else {
				fmt.Fprintf(c.stdout, "%s: job %s started; follow with: ringside bulk job %s%s\n", c.sub, run.JobID, run.JobID, c.api.hintArgs())
			}
			return nil
		}
		return c.followJob(ctx, run.JobID, start)
	case err == nil:
		// A sidecar that ran the command synchronously anyway.
		return c.printAnswer(run)
	case !errors.As(err, &e):
		return err
	}
	sync := false
	switch e.StatusCode {
	case http.StatusBadRequest:
		if err, ok := problemsError(fmt.Sprintf("the sidecar refused the parameters of %s; it ran nowhere", c.sub), e); ok {
			c.printErrorJSON(e)
			return err
		}
		sync = strings.Contains(e.Message, "async")
	case http.StatusTooManyRequests:
		sync = spec != nil && !spec.Long
		if sync {
			fmt.Fprintf(c.stderr, "ringside: the sidecar runs too many jobs already; running %s without a job\n", c.sub)
		}
	case http.StatusNotFound:
		var known struct {
			Commands []string `json:"commands"`
		}
		if json.Unmarshal(e.Body, &known) == nil && known.Commands != nil {
			c.printErrorJSON(e)
			return unknownCommand(c.sub, known.Commands)
		}
	}
	if !sync {
		c.printErrorJSON(e)
		return c.refusal(e)
	}
	// The sidecar refuses ?async: run synchronously, without progress.
	if c.async {
		return &exitError{code: 1, err: fmt.Errorf("the sidecar at %s does not run %s as a job: run it without --async", c.api.base, c.sub)}
	}
	opts.Async = false
	run, err = within(ctx, c.api, 0, post)
	switch {
	case err == nil && run.JobID != "":
		return c.followJob(ctx, run.JobID, start)
	case err == nil:
		return c.printAnswer(run)
	case !errors.As(err, &e):
		return err
	}
	c.printErrorJSON(e)
	if err, ok := problemsError(fmt.Sprintf("the sidecar refused the parameters of %s; it ran nowhere", c.sub), e); ok {
		return err
	}
	return c.refusal(e)
}

// printErrorJSON shows a refusal's JSON with --json.
func (c *bulkCmd) printErrorJSON(e *client.APIError) {
	if c.json && json.Valid(e.Body) {
		printJSON(c.stdout, e.Body)
	}
}

// refusal explains a 4xx or 5xx of the bulk API.
func (c *bulkCmd) refusal(e *client.APIError) error {
	if e.Message != "" {
		if _, auth := c.api.authError(e); !auth {
			return &exitError{code: 1, err: fmt.Errorf("the sidecar did not run %s (HTTP %d): %s", c.sub, e.StatusCode, e.Message)}
		}
	}
	return c.api.refused(e)
}

func unknownCommand(name string, known []string) error {
	return &exitError{code: 1, err: fmt.Errorf("unknown command %q; the sidecar has: %s (ringside bulk list shows their parameters)", name, strings.Join(known, ", "))}
}

// printAnswer shows a synchronous answer.
func (c *bulkCmd) printAnswer(run *client.BulkRun) error {
	if c.json {
		printJSON(c.stdout, run.Raw)
	}
	return c.results(run.Answer.Command, run.Answer.Nodes)
}

// results prints each node's result (not with --json) and the summary,
// and is the exit status.
func (c *bulkCmd) results(command string, nodes []client.NodeResult) error {
	failed := 0
	rows := make([][]string, len(nodes))
	for i, n := range nodes {
		res, detail := "ok", renderValue(n.Value)
		if !n.Success {
			failed++
			res, detail = "FAILED", nodeError(n.Status, n.Error)
		}
		rows[i] = []string{n.Endpoint, n.DC, n.Rack, res, detail, strconv.FormatFloat(n.Seconds, 'f', 2, 64)}
	}
	if !c.json {
		writeTable(c.stdout, []string{"ENDPOINT", "DC", "RACK", "RESULT", "VALUE/ERROR", "SECONDS"}, rows)
		fmt.Fprintf(c.stdout, "command %s: %d succeeded, %d failed\n", command, len(nodes)-failed, failed)
	}
	if failed > 0 {
		return &exitError{code: 1} // the summary said it
	}
	return nil
}

// getJob reads GET /v1/jobs/{id}; answered is false when no answer came.
func (c *bulkCmd) getJob(ctx context.Context, id string) (v *client.Job, answered bool, err error) {
	v, err = within(ctx, c.api, 30*time.Second, func(ctx context.Context) (*client.Job, error) { return c.api.Job(ctx, id) })
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		if e.StatusCode == http.StatusNotFound && e.Message != "" {
			return nil, true, &exitError{code: 1, err: fmt.Errorf("the sidecar at %s has no job %s: %s", c.api.base, id, e.Message)}
		}
		return nil, true, c.api.refused(e)
	}
	return v, err == nil, err
}

// followJob polls the job until it is done, showing its progress on
// stderr, then prints its results. start is when the command was sent
// (zero: when the job started, by the sidecar's clock).
func (c *bulkCmd) followJob(ctx context.Context, id string, start time.Time) error {
	var p *jobProgress
	var unreachable time.Time
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	for {
		v, answered, err := c.getJob(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				if p != nil {
					p.end()
				}
				return &exitError{code: 130, err: fmt.Errorf("interrupted; the job goes on in the sidecar; follow with: ringside bulk job %s%s", id, c.api.hintArgs())}
			}
			if answered || p == nil {
				if p != nil {
					p.end()
				}
				return err
			}
			// The sidecar may be busy or restarting: try again for a while.
			if unreachable.IsZero() {
				unreachable = c.now()
				p.note("the sidecar does not answer; retrying")
			}
			if c.now().Sub(unreachable) >= bulkUnreachableLimit {
				p.end()
				return &exitError{code: 1, err: fmt.Errorf("%v\nthe job may go on in the sidecar; follow with: ringside bulk job %s%s", err, id, c.api.hintArgs())}
			}
		} else {
			unreachable = time.Time{}
			if p == nil {
				if start.IsZero() {
					start = v.Started
				}
				p = &jobProgress{w: c.stderr, tty: c.tty, start: start, now: c.now, seen: make([]bool, len(v.Nodes))}
				if !c.tty && v.State != client.JobDone {
					fmt.Fprintf(c.stderr, "%s: job %s on %s\n", v.Command, v.ID, plural(v.Total, "node"))
				}
			}
			if v.State == client.JobDone {
				p.update(v)
				p.end()
				if c.json {
					printJSON(c.stdout, v.Raw)
				}
				nodes := make([]client.NodeResult, len(v.Nodes))
				for i, n := range v.Nodes {
					nodes[i] = n.NodeResult
				}
				return c.results(v.Command, nodes)
			}
			p.update(v)
		}
		select {
		case <-ctx.Done():
			if p != nil {
				p.end()
			}
			return &exitError{code: 130, err: fmt.Errorf("interrupted; the job goes on in the sidecar; follow with: ringside bulk job %s%s", id, c.api.hintArgs())}
		case <-tick.C:
		}
	}
}

// jobProgress shows a job's progress: on a terminal a bar redrawn in
// place, otherwise a line per node as it finishes.
type jobProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
	now   func() time.Time
	seen  []bool // nodes reported (not a terminal)
	count int
	drawn bool
}

const barWidth = 24

func (p *jobProgress) update(v *client.Job) {
	if !p.tty {
		for i, n := range v.Nodes {
			if n.State != "done" || i >= len(p.seen) || p.seen[i] {
				continue
			}
			p.seen[i] = true
			p.count++
			res := "ok"
			if !n.Success {
				res = "FAILED: " + oneLine(nodeError(n.Status, n.Error))
			}
			fmt.Fprintf(p.w, "[%d/%d] %s %s/%s %s (%.2fs)\n", p.count, v.Total, n.Endpoint, n.DC, n.Rack, res, n.Seconds)
		}
		return
	}
	done, total := v.Done, v.Total
	filled := 0
	if total > 0 {
		filled = done * barWidth / total
	}
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		if filled > 0 {
			bar = bar[:filled-1] + ">"
		}
		bar += strings.Repeat(" ", barWidth-filled)
	}
	line := fmt.Sprintf("[%s] %d/%d nodes", bar, done, total)
	if n := len(v.Failure); n > 0 {
		line += fmt.Sprintf("  %d failed", n)
	}
	line += "  " + fmtDuration(p.now().Sub(p.start))
	fmt.Fprint(p.w, "\r"+line+"\x1b[K")
	p.drawn = true
}

func (p *jobProgress) note(msg string) {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, msg)
}

func (p *jobProgress) end() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// renderValue shows a node's result: an object as name=value pairs in
// its order, anything else as renderScalar does; long ones clipped.
func renderValue(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "-"
	}
	s := renderScalar(raw)
	if raw[0] == '{' {
		if pairs, ok := objectPairs(raw); ok {
			s = pairs
		}
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}

// objectPairs is {"a":1,"b":"x y"} as a=1 b="x y".
func objectPairs(raw json.RawMessage) (string, bool) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	var parts []string
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return "", false
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return "", false
		}
		s := renderScalar(v)
		if v[0] == '"' && (s == "" || strings.ContainsAny(s, " \t\"=")) {
			s = strconv.Quote(s)
		}
		parts = append(parts, fmt.Sprintf("%v=%s", kt, s))
	}
	if len(parts) == 0 {
		return "{}", true
	}
	return strings.Join(parts, " "), true
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
