package main

// ringside node: the command-line client of the local sidecar's lifecycle
// endpoints (lifecycle/http.go), for an operator on the node's host.

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/ringside/ringside/lifecycle"
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
	nodeStopSteps  = []lifecycle.Step{lifecycle.StepFailHealth, lifecycle.StepDrain, lifecycle.StepStopCommand, lifecycle.StepWaitExit}
	nodeStartSteps = []lifecycle.Step{lifecycle.StepStartCmd, lifecycle.StepWaitHealth}
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

// The JSON the sidecar answers (lifecycle.Status.View, Transition.View).

type nodeStepView struct {
	Step     lifecycle.Step `json:"step"`
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Outcome  string         `json:"outcome"`
	Detail   string         `json:"detail"`
}

type nodeTransitionView struct {
	Type               string          `json:"type"`
	Trigger            string          `json:"trigger"`
	Outcome            string          `json:"outcome"`
	State              lifecycle.State `json:"state"`
	Requested          time.Time       `json:"requested"`
	Finished           time.Time       `json:"finished"`
	PID                *int            `json:"cassandra_pid"`
	Executed           *string         `json:"executed"`
	HealthchecksFailed []string        `json:"healthchecks_failed"`
	HealthchecksPassed []string        `json:"healthchecks_passed"`
	TimeToStop         *float64        `json:"time_to_stop_in_s"`
	TimeToStart        *float64        `json:"time_to_start_in_s"`
	Step               lifecycle.Step  `json:"step"`
	Steps              []nodeStepView  `json:"steps"`
	Error              string          `json:"error"`
	Warnings           []string        `json:"warnings"`
	Note               string          `json:"note"`
	Resumed            int             `json:"resumed"`
}

// seconds is time_to_stop_in_s or time_to_start_in_s.
func (t *nodeTransitionView) seconds() (float64, bool) {
	p := t.TimeToStart
	if t.Type == "stop" {
		p = t.TimeToStop
	}
	if p == nil {
		return 0, false
	}
	return *p, true
}

func (t *nodeTransitionView) order() []lifecycle.Step {
	if t.Type == "stop" {
		return nodeStopSteps
	}
	return nodeStartSteps
}

type nodeStatusView struct {
	PID         *int            `json:"cassandra_pid"`
	State       lifecycle.State `json:"state"`
	Step        lifecycle.Step  `json:"step"`
	Since       time.Time       `json:"since"`
	Desired     *string         `json:"desired"`
	Running     bool            `json:"cassandra_running"`
	PIDError    string          `json:"pid_error"`
	Supervision *struct {
		Enabled     bool      `json:"enabled"`
		Restarts    int       `json:"restarts"`
		LastRestart time.Time `json:"last_restart"`
		NextAttempt time.Time `json:"next_attempt"`
	} `json:"supervision"`
	Last     *nodeTransitionView `json:"last_transition"`
	Warnings []string            `json:"warnings"`
	// LastRaw is last_transition as the sidecar sent it, for --json.
	LastRaw json.RawMessage `json:"-"`
}

func (c *nodeCmd) do(ctx context.Context, method, path string) (*apiAnswer, error) {
	// No timeout on POST: without block, start answers once the start
	// command has run (bounded by the sidecar's lifecycle.start_timeout).
	timeout := time.Duration(0)
	if method == http.MethodGet {
		timeout = 30 * time.Second
	}
	return c.call(ctx, method, path, nil, timeout)
}

// fail turns an answer that is not a lifecycle view into the error to exit
// with; with --json the sidecar's JSON goes to stdout first.
func (c *nodeCmd) fail(a *apiAnswer) error {
	var e struct {
		Error string          `json:"error"`
		State lifecycle.State `json:"state"`
		Step  lifecycle.Step  `json:"step"`
	}
	if json.Unmarshal(a.body, &e) != nil || e.Error == "" {
		return &exitError{code: 1, err: fmt.Errorf("unexpected answer to %s: HTTP %d: %s (is --url the ringside sidecar?)", a.url, a.code, clipBody(a.body))}
	}
	if c.json {
		c.printJSON(a.body)
	}
	var err error
	switch a.code {
	case http.StatusConflict:
		if strings.HasPrefix(e.Error, "stop refused:") {
			// The availability check: the way out is --force.
			err = errors.New(strings.Replace(e.Error, "add force=true", "add --force", 1))
			break
		}
		state := string(e.State)
		if e.Step != "" {
			state += " (step " + string(e.Step) + ")"
		}
		err = fmt.Errorf("%s\nthe node is %s; follow with: ringside node status%s", e.Error, state, c.hintArgs())
	case http.StatusUnauthorized, http.StatusForbidden:
		if ae, ok := c.authError(a.code, e.Error); ok {
			err = ae
			break
		}
		err = fmt.Errorf("%s: %s\n--url must point at the sidecar on a loopback address of this host (e.g. %s), or the sidecar must set lifecycle.allow_remote: true", c.base, e.Error, defaultNodeURL)
	case http.StatusBadRequest:
		err = fmt.Errorf("the sidecar refused the request: %s", e.Error)
	case http.StatusNotFound:
		err = fmt.Errorf("%s: %s (does this sidecar serve the lifecycle endpoints? it may be an older ringside)", a.url, e.Error)
	default:
		err = fmt.Errorf("%s: HTTP %d: %s", a.url, a.code, e.Error)
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

// getStatus reads GET /v1/desires/node/status (200 running, 503 not).
func (c *nodeCmd) getStatus(ctx context.Context) (*nodeStatusView, *apiAnswer, error) {
	a, err := c.do(ctx, http.MethodGet, lifecycle.PathStatus)
	if err != nil {
		return nil, nil, err
	}
	if a.code != http.StatusOK && a.code != http.StatusServiceUnavailable {
		return nil, a, c.fail(a)
	}
	var st nodeStatusView
	var raw struct {
		Last json.RawMessage `json:"last_transition"`
	}
	if json.Unmarshal(a.body, &st) != nil || json.Unmarshal(a.body, &raw) != nil || st.State == "" {
		return nil, a, c.fail(a)
	}
	st.LastRaw = raw.Last
	return &st, a, nil
}

func (c *nodeCmd) status(ctx context.Context) error {
	st, a, err := c.getStatus(ctx)
	if err != nil {
		return err
	}
	if c.json {
		c.printJSON(a.body)
	} else {
		c.printStatus(st)
	}
	if a.code != http.StatusOK {
		return &exitError{code: 3} // LSB: program is not running
	}
	return nil
}

func (c *nodeCmd) transition(ctx context.Context) error {
	path := lifecycle.PathStop
	if c.force {
		path += "?force=true"
	}
	if c.sub == "start" {
		path = lifecycle.PathStart
	}
	a, err := c.do(ctx, http.MethodPost, path)
	if err != nil {
		return err
	}
	var t nodeTransitionView
	switch a.code {
	case http.StatusOK, http.StatusAccepted, http.StatusInternalServerError:
		if json.Unmarshal(a.body, &t) != nil || t.Type == "" || t.Outcome == "" {
			return c.fail(a)
		}
	default:
		return c.fail(a)
	}
	if t.Outcome != lifecycle.InProgress {
		// Ended already (a stop with nothing to stop, a start command that failed).
		if c.json {
			c.printJSON(a.body)
		} else {
			c.printTransition(&t)
		}
		return transitionErr(&t)
	}
	if c.block {
		return c.follow(ctx, &t, a.body)
	}
	if c.json {
		c.printJSON(a.body)
		return nil
	}
	state := string(t.State)
	if t.Step != "" {
		state += " (step " + string(t.Step) + ")"
	}
	fmt.Fprintf(c.stdout, "%s requested: %s; follow with: ringside node status%s\n", t.Type, state, c.hintArgs())
	return nil
}

// transitionErr is the exit status of an ended transition.
func transitionErr(t *nodeTransitionView) error {
	if t.Outcome == lifecycle.Succeeded {
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
func (c *nodeCmd) follow(ctx context.Context, t *nodeTransitionView, raw []byte) error {
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
		st, a, err := c.getStatus(ctx)
		if err != nil {
			if ctx.Err() != nil {
				continue // reported above
			}
			if a == nil {
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
		if last.Outcome == lifecycle.InProgress {
			continue
		}
		p.end()
		if c.json {
			c.printJSON(st.LastRaw)
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

func stepLabel(t *nodeTransitionView, s lifecycle.Step) string {
	order := t.order()
	for i, o := range order {
		if o == s {
			return fmt.Sprintf("[%d/%d %s]", i+1, len(order), s)
		}
	}
	return "[" + string(s) + "]"
}

func verbing(kind string) string {
	if kind == "stop" {
		return "stopping"
	}
	return "starting"
}

func (p *nodeProgress) update(t *nodeTransitionView) {
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
	if s, ok := t.seconds(); ok {
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

func (c *nodeCmd) printStatus(st *nodeStatusView) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(v)) }
	state := string(st.State)
	if st.Step != "" {
		kind := "start"
		if st.State == lifecycle.Stopping {
			kind = "stop"
		}
		state += "  " + stepLabel(&nodeTransitionView{Type: kind}, st.Step)
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
		if secs, ok := t.seconds(); ok {
			if t.Outcome == lifecycle.InProgress {
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

func (c *nodeCmd) printTransition(t *nodeTransitionView) {
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
	row("state", string(t.State))
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
	if s, ok := t.seconds(); ok {
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
