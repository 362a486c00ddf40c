package main

// ringside node: the command-line client of the local sidecar's lifecycle
// endpoints (lifecycle/http.go), for an operator on the node's host.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ringside/ringside/client"
)

const nodeUsage = `Usage: ringside node status|stop|start [--block] [--force] [--url URL | --config FILE] [--token-file FILE] [--cacert FILE] [--json] [--poll DURATION]

Stop, start or show the local Cassandra node through its sidecar (which
must be running: ringside serve).

  status  show the node's state, desire and last stop or start;
          exit status 0 when Cassandra runs, 3 when it does not, 1 on errors
  stop    fail the health checks for the grace period, drain, run the stop
          command and wait for the process to exit; refused (409) when this
          node going down would leave a keyspace unavailable at the kept
          consistency levels, unless --force
  start   run the start command and wait until the health checks pass

stop and start return once the sidecar has taken the request (exit status
0); with --block they follow it to its end and exit 0 only if it succeeded.

Flags:
`

// defaultNodeURL is where the sidecar listens by default (listen_address :5000).
const defaultNodeURL = "http://127.0.0.1:5000"

// Step order, for the [i/n] of the progress display.
var (
	nodeStopSteps  = []string{client.StepFailHealth, client.StepDrain, client.StepStopCommand, client.StepWaitExit}
	nodeStartSteps = []string{client.StepStartCmd, client.StepWaitHealth}
)

// How long a --block follow tolerates a sidecar it cannot reach (it may be
// restarting: the transition resumes when it is back).
const nodeUnreachableLimit = 30 * time.Second

// nodeCmd is one run of `ringside node`.
type nodeCmd struct {
	sub   string // status, stop or start
	block bool
	force bool
	json  bool
	poll  time.Duration
	*apiClient

	stdout, stderr io.Writer
	tty            bool // stderr is a terminal: redraw the progress line
	now            func() time.Time
}

// runNode runs `ringside node args...`. Its error carries the exit status
// (see exitError).
func runNode(args []string, stdout, stderr io.Writer) error {
	c, err := parseNode(args, os.Environ(), stdout, stderr)
	if c == nil || err != nil {
		return err
	}
	c.tty = isTerminal(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx)
}

// parseNode reads the arguments; (nil, nil) means -h was answered.
func parseNode(args, env []string, stdout, stderr io.Writer) (*nodeCmd, error) {
	fs := newFlagSet("ringside node", nodeUsage, stderr)
	block := fs.Bool("block", false, "stop, start: follow the transition until it ends, showing each step")
	force := fs.Bool("force", false, "stop: even if this node going down leaves a keyspace unavailable at the kept consistency levels")
	var cf clientFlags
	cf.register(fs, "; it must be a loopback address of this host")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often --block polls the status")

	// Flags may come before and after the subcommand.
	pos, help, err := parseInterspersed(fs, args)
	if help {
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{code: 2} // flag printed the error and the usage
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "ringside node: "+format+"\n\n", a...)
		fs.Usage()
		return &exitError{code: 2}
	}
	switch {
	case len(pos) == 0:
		return nil, usageErr("which one: status, stop or start?")
	case len(pos) > 1:
		return nil, usageErr("unexpected argument %q", pos[1])
	}
	c := &nodeCmd{sub: pos[0], block: *block, force: *force, json: cf.json, poll: *poll, stdout: stdout, stderr: stderr, now: time.Now}
	switch c.sub {
	case "status":
		if c.block {
			return nil, usageErr("--block applies to stop and start only")
		}
	case "stop":
	case "start":
		if *force {
			return nil, usageErr("--force applies to stop only")
		}
	default:
		return nil, usageErr("unknown subcommand %q: use status, stop or start", c.sub)
	}
	if c.poll <= 0 {
		return nil, usageErr("--poll %s must be positive", c.poll)
	}
	if c.apiClient, err = cf.client(env, stderr); err != nil {
		if fe := (*flagError)(nil); errors.As(err, &fe) {
			return nil, usageErr("%v", fe)
		}
		return nil, err
	}
	return c, nil
}

// normalizeNodeURL accepts http(s)://host:port[/prefix] or a bare host:port.
func normalizeNodeURL(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q must be an http:// or https:// URL", s)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q: give only scheme, host, port and an optional path prefix", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// listenURL is the URL that reaches a sidecar listening on addr from this
// host: an unspecified host (":5000", "0.0.0.0:5000", "[::]:5000") is
// reached on 127.0.0.1, since the lifecycle endpoints answer only loopback.
func listenURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen_address %q is not host:port: %v", addr, err)
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}).String(), nil
}

// isTerminal reports whether w is a character device (a terminal), without
// a dependency on golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// transitionOrder is the steps of t's type, in order.
func transitionOrder(t *client.Transition) []string {
	if t.Type == "stop" {
		return nodeStopSteps
	}
	return nodeStartSteps
}

// fail turns an answer that is not a lifecycle view into the error to exit
// with; with --json the sidecar's JSON goes to stdout first.
func (c *nodeCmd) fail(e *client.APIError) error {
	if e.Message == "" {
		return &exitError{code: 1, err: fmt.Errorf("unexpected answer to %s %s: HTTP %d: %s (is --url the ringside sidecar?)", e.Method, e.URL, e.StatusCode, clipBody(e.Body))}
	}
	if c.json {
		c.printJSON(e.Body)
	}
	var err error
	switch e.StatusCode {
	case http.StatusConflict:
		if strings.HasPrefix(e.Message, "stop refused:") {
			// The availability check: the way out is --force.
			err = errors.New(strings.Replace(e.Message, "add force=true", "add --force", 1))
			break
		}
		state := e.Field("state")
		if step := e.Field("step"); step != "" {
			state += " (step " + step + ")"
		}
		err = fmt.Errorf("%s\nthe node is %s; follow with: ringside node status%s", e.Message, state, c.hintArgs())
	case http.StatusUnauthorized, http.StatusForbidden:
		if ae, ok := c.authError(e); ok {
			err = ae
			break
		}
		err = fmt.Errorf("%s: %s\n--url must point at the sidecar on a loopback address of this host (e.g. %s), or the sidecar must set lifecycle.allow_remote: true", c.base, e.Message, defaultNodeURL)
	case http.StatusBadRequest:
		err = fmt.Errorf("the sidecar refused the request: %s", e.Message)
	case http.StatusNotFound:
		err = fmt.Errorf("%s %s: %s (does this sidecar serve the lifecycle endpoints? it may be an older ringside)", e.Method, e.URL, e.Message)
	default:
		err = fmt.Errorf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Message)
	}
	return &exitError{code: 1, err: err}
}

func clipBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

func (c *nodeCmd) printJSON(raw []byte) { printJSON(c.stdout, raw) }

func (c *nodeCmd) run(ctx context.Context) error {
	if c.sub == "status" {
		return c.status(ctx)
	}
	return c.transition(ctx)
}

// getStatus reads GET /v1/desires/node/status (200 running, 503 not);
// answered is false when no answer came.
func (c *nodeCmd) getStatus(ctx context.Context) (st *client.NodeStatus, answered bool, err error) {
	st, err = within(ctx, c.apiClient, 30*time.Second, c.NodeStatus)
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		return nil, true, c.fail(e)
	}
	return st, err == nil, err
}

func (c *nodeCmd) status(ctx context.Context) error {
	st, _, err := c.getStatus(ctx)
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(st.Raw)
	} else {
		c.printStatus(st)
	}
	if st.StatusCode != http.StatusOK {
		return &exitError{code: 3} // LSB: program is not running
	}
	return nil
}

func (c *nodeCmd) transition(ctx context.Context) error {
	// No timeout: without block, start answers once the start command
	// has run (bounded by the sidecar's lifecycle.start_timeout).
	t, err := within(ctx, c.apiClient, 0, func(ctx context.Context) (*client.Transition, error) {
		if c.sub == "start" {
			return c.StartNode(ctx, client.StartOptions{})
		}
		return c.StopNode(ctx, client.StopOptions{Force: c.force})
	})
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		return c.fail(e)
	}
	if err != nil {
		return err
	}
	if t.Outcome != client.OutcomeInProgress {
		// Ended already (a stop with nothing to stop, a start command that failed).
		if c.json {
			c.printJSON(t.Raw)
		} else {
			c.printTransition(t)
		}
		return transitionErr(t)
	}
	if c.block {
		return c.follow(ctx, t)
	}
	if c.json {
		c.printJSON(t.Raw)
		return nil
	}
	state := t.State
	if t.Step != "" {
		state += " (step " + t.Step + ")"
	}
	fmt.Fprintf(c.stdout, "%s requested: %s; follow with: ringside node status%s\n", t.Type, state, c.hintArgs())
	return nil
}

// transitionErr is the exit status of an ended transition.
func transitionErr(t *client.Transition) error {
	if t.Outcome == client.OutcomeSucceeded {
		return nil
	}
	msg := t.Error
	if msg == "" {
		msg = "(the sidecar gives no reason; see its log)"
	}
	return &exitError{code: 1, err: fmt.Errorf("the %s %s: %s", t.Type, t.Outcome, msg)}
}

// follow polls the status until the transition t (same type, same
// requested time) has ended, showing its progress on stderr, then prints
// how it went.
func (c *nodeCmd) follow(ctx context.Context, t *client.Transition) error {
	p := &nodeProgress{w: c.stderr, tty: c.tty}
	p.update(t)
	tick := time.NewTicker(c.poll)
	defer tick.Stop()
	var unreachable time.Time
	for {
		select {
		case <-ctx.Done():
			p.end()
			return &exitError{code: 130, err: fmt.Errorf("interrupted; the %s goes on in the sidecar; follow with: ringside node status%s", t.Type, c.hintArgs())}
		case <-tick.C:
		}
		st, answered, err := c.getStatus(ctx)
		if err != nil {
			if ctx.Err() != nil {
				continue // reported above
			}
			if !answered {
				// No answer: the sidecar may be restarting, and the
				// transition resumes when it is back.
				if unreachable.IsZero() {
					unreachable = c.now()
					p.note("the sidecar does not answer; retrying")
				}
				if c.now().Sub(unreachable) < nodeUnreachableLimit {
					continue
				}
			}
			p.end()
			return err
		}
		unreachable = time.Time{}
		last := st.Last
		if last == nil || last.Type != t.Type || !last.Requested.Equal(t.Requested) {
			p.end()
			if last != nil && last.Requested.After(t.Requested) {
				return &exitError{code: 1, err: fmt.Errorf("the %s requested at %s was superseded by a %s (trigger %s) requested at %s; see ringside node status%s",
					t.Type, fmtTime(t.Requested), last.Type, last.Trigger, fmtTime(last.Requested), c.hintArgs())}
			}
			return &exitError{code: 1, err: fmt.Errorf("the sidecar no longer reports the %s requested at %s; see ringside node status%s", t.Type, fmtTime(t.Requested), c.hintArgs())}
		}
		p.update(last)
		if last.Outcome == client.OutcomeInProgress {
			continue
		}
		p.end()
		if c.json {
			c.printJSON(last.Raw)
		} else {
			c.printTransition(last)
		}
		return transitionErr(last)
	}
}

// nodeProgress shows a transition's steps as they come: on a terminal one
// line redrawn in place, otherwise a line per step.
type nodeProgress struct {
	w       io.Writer
	tty     bool
	shown   int  // steps printed (not a terminal)
	drawn   bool // a line is on the terminal
	lastMsg string
}

func stepLabel(t *client.Transition, s string) string {
	order := transitionOrder(t)
	for i, o := range order {
		if o == s {
			return fmt.Sprintf("[%d/%d %s]", i+1, len(order), s)
		}
	}
	return "[" + s + "]"
}

func verbing(kind string) string {
	if kind == "stop" {
		return "stopping"
	}
	return "starting"
}

func (p *nodeProgress) update(t *client.Transition) {
	if !p.tty {
		for ; p.shown < len(t.Steps); p.shown++ {
			s := t.Steps[p.shown]
			fmt.Fprintf(p.w, "%s  %s  %.1fs\n", verbing(t.Type), stepLabel(t, s.Step), max(s.Started.Sub(t.Requested), 0).Seconds())
		}
		return
	}
	step := t.Step
	if step == "" && len(t.Steps) > 0 {
		step = t.Steps[len(t.Steps)-1].Step
	}
	line := verbing(t.Type)
	if step != "" {
		line += "  " + stepLabel(t, step)
	}
	if s, ok := t.Seconds(); ok {
		line += fmt.Sprintf("  %.1fs", s)
	}
	fmt.Fprint(p.w, "\r"+line+"\x1b[K")
	p.drawn = true
}

// note says something between the progress lines.
func (p *nodeProgress) note(msg string) {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, msg)
}

// end clears the progress line on a terminal.
func (p *nodeProgress) end() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// Human output.

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	return strings.ReplaceAll(s, "\t", " ")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
}

func fmtPID(p *int) string {
	if p == nil || *p == 0 {
		return "-"
	}
	return strconv.Itoa(*p)
}

func (c *nodeCmd) printStatus(st *client.NodeStatus) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(v)) }
	state := st.State
	if st.Step != "" {
		kind := "start"
		if st.State == client.NodeStopping {
			kind = "stop"
		}
		state += "  " + stepLabel(&client.Transition{Type: kind}, st.Step)
	}
	row("state", state)
	pid := fmtPID(st.PID)
	if pid == "-" {
		pid = "- (not running)"
	}
	if st.PIDError != "" {
		pid = "unknown: " + st.PIDError
	}
	row("pid", pid)
	row("since", fmt.Sprintf("%s (%s ago)", fmtTime(st.Since), fmtDuration(c.now().Sub(st.Since))))
	desired := "- (no stop or start requested yet)"
	if st.Desired != nil && *st.Desired != "" {
		desired = *st.Desired
	}
	row("desired", desired)
	if s := st.Supervision; s != nil {
		v := "off"
		if s.Enabled {
			v = fmt.Sprintf("on, %d restart(s)", s.Restarts)
		}
		if !s.LastRestart.IsZero() {
			v += ", last " + fmtTime(s.LastRestart)
		}
		if !s.NextAttempt.IsZero() {
			v += ", next attempt " + fmtTime(s.NextAttempt)
		}
		row("supervision", v)
	}
	if t := st.Last; t != nil {
		v := t.Type + " " + t.Outcome
		if secs, ok := t.Seconds(); ok {
			if t.Outcome == client.OutcomeInProgress {
				v += fmt.Sprintf(", %s so far", fmtDuration(time.Duration(secs*float64(time.Second))))
			} else {
				v += " in " + fmtDuration(time.Duration(secs*float64(time.Second)))
			}
		}
		v += ", requested " + fmtTime(t.Requested)
		if t.Trigger != "" && t.Trigger != "request" {
			v += " by " + t.Trigger
		}
		row("last transition", v)
		if t.Error != "" {
			row("  error", t.Error)
		}
		if t.Note != "" {
			row("  note", t.Note)
		}
	}
	for _, w := range st.Warnings {
		row("warning", w)
	}
	tw.Flush()
	writeTrimmed(c.stdout, buf.Bytes())
}

func (c *nodeCmd) printTransition(t *client.Transition) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(v)) }
	or := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	row("type", t.Type)
	if t.Trigger != "" && t.Trigger != "request" {
		row("trigger", t.Trigger)
	}
	row("outcome", t.Outcome)
	row("state", t.State)
	row("cassandra_pid", fmtPID(t.PID))
	executed := ""
	if t.Executed != nil {
		executed = *t.Executed
	}
	row("executed", or(executed))
	if t.Type == "stop" {
		row("healthchecks_failed", or(strings.Join(t.HealthchecksFailed, ", ")))
	} else {
		row("healthchecks_passed", or(strings.Join(t.HealthchecksPassed, ", ")))
	}
	if s, ok := t.Seconds(); ok {
		row("time_to_"+t.Type+"_in_s", strconv.FormatFloat(s, 'f', -1, 64))
	}
	if t.Resumed > 0 {
		row("resumed", fmt.Sprintf("after %d sidecar restart(s)", t.Resumed))
	}
	if t.Note != "" {
		row("note", t.Note)
	}
	if t.Error != "" {
		row("error", t.Error)
	}
	for _, w := range t.Warnings {
		row("warning", w)
	}
	if len(t.Steps) > 0 {
		// A line without a tab ends the column block: the steps align among
		// themselves.
		fmt.Fprintln(tw, "steps:")
		for _, s := range t.Steps {
			d := "-"
			if !s.Finished.IsZero() {
				d = fmtDuration(s.Finished.Sub(s.Started))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Step, s.Outcome, d, oneLine(s.Detail))
		}
	}
	tw.Flush()
	writeTrimmed(c.stdout, buf.Bytes())
}
