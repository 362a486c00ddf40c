package main

// What the command-line clients of the sidecar's API (ringside node,
// settings, bulk, cluster) share: where the sidecar is (--url, --config),
// how to trust it (https with --cacert or the CA of --config), how to
// authenticate (--token, --token-file), and what its refusals and
// transport failures mean for the operator. The requests themselves are
// the client package's; here are the flags, the hints and the output.
//
// The flags are the standard library's flag package, with
// parseInterspersed for flags after the subcommand, rather than a CLI
// framework such as spf13/cobra: there are about ten commands, each one flag
// set whose usage text is written by hand, and the tests pin that text
// and the exit statuses. A framework would add dependencies and change
// the help output for no gain at this size; shell completion, its main
// extra, is worth it once the command tree grows past what one usage
// screen per command shows.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ringside/ringside/client"
	"github.com/ringside/ringside/config"
)

// clientFlags are the flags every API client takes.
type clientFlags struct {
	url, config      string
	token, tokenFile string
	cacert           string
	json             bool
}

// register adds the flags to fs; urlNote ends the help of --url.
func (f *clientFlags) register(fs *flag.FlagSet, urlNote string) {
	fs.StringVar(&f.url, "url", "", "the sidecar's base `URL`, http:// or https:// (default: from --config, else "+defaultNodeURL+")"+urlNote)
	fs.StringVar(&f.config, "config", "", "the sidecar's ringside.yaml `FILE`: its listen_address gives the URL and, with security.tls_cert_file set, https\n"+
		"trusting security.peer_ca_file (else client_ca_file); --url, --cacert win over it")
	fs.StringVar(&f.token, "token", "", "a bearer `TOKEN` (JWT) for the API; other users may see it in the process list: prefer --token-file")
	fs.StringVar(&f.tokenFile, "token-file", "", "read the bearer token from this `FILE`")
	fs.StringVar(&f.cacert, "cacert", "", "PEM `FILE` of the CA that signed the sidecar's certificate, to verify an https sidecar\n(default: --config's CA, else the system's roots)")
	fs.BoolVar(&f.json, "json", false, "print the sidecar's JSON answer instead of a table")
}

// flagError is a mistake in the flags: the caller prints the usage and
// exits 2.
type flagError struct{ msg string }

func (e *flagError) Error() string { return e.msg }

// apiClient calls one sidecar's API, and knows the flags that say how,
// for its hints.
type apiClient struct {
	*client.Client
	base     string // the sidecar's base URL, no trailing slash
	addrArgs string // the --url or --config given, to repeat in hints
	authArgs string // --cacert, --token-file (never the token), to repeat in hints
	token    string
	caSource string // where the CA trusted comes from, for hints; "" for the system roots
}

// client resolves the flags; a *flagError is a usage mistake, other
// errors are *exitError with status 1. Warnings go to stderr (may be nil).
func (f *clientFlags) client(env []string, stderr io.Writer) (*apiClient, error) {
	c := &apiClient{}
	fail := func(format string, a ...any) (*apiClient, error) {
		return nil, &exitError{code: 1, err: fmt.Errorf(format, a...)}
	}
	switch {
	case f.token != "" && f.tokenFile != "":
		return nil, &flagError{"give --token or --token-file, not both"}
	case f.token != "":
		c.token = f.token
		c.authArgs += " --token …"
	case f.tokenFile != "":
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return fail("--token-file: %v", err)
		}
		c.token = string(b)
		c.authArgs += " --token-file " + f.tokenFile
	}
	if c.token != "" {
		tok, err := cleanToken(c.token)
		if err != nil {
			src := "--token"
			if f.tokenFile != "" {
				src = "--token-file " + f.tokenFile
			}
			return fail("%s: %v", src, err)
		}
		c.token = tok
	}

	caFile := ""
	switch {
	case f.url != "":
		base, err := normalizeNodeURL(f.url)
		if err != nil {
			return nil, &flagError{"--url: " + err.Error()}
		}
		c.base, c.addrArgs = base, " --url "+f.url
	case f.config != "":
		cfg, err := config.Load(f.config, env)
		if err != nil {
			return fail("%v\n(--config is read for the sidecar's listen_address and TLS settings; --url gives the address directly)", err)
		}
		scheme := "http"
		if cfg.Security.TLSCertFile != "" {
			scheme = "https"
			caFile = cfg.Security.PeerCAFile
			c.caSource = "security.peer_ca_file of " + f.config
			if caFile == "" {
				caFile = cfg.Security.ClientCAFile
				c.caSource = "security.client_ca_file of " + f.config
			}
			if caFile == "" {
				c.caSource = ""
			}
		}
		if c.base, err = listenURLScheme(cfg.ListenAddress, scheme); err != nil {
			return fail("%v", err)
		}
		c.addrArgs = " --config " + f.config
	default:
		c.base = defaultNodeURL
	}
	if f.cacert != "" {
		caFile, c.caSource = f.cacert, "--cacert "+f.cacert
		c.authArgs = " --cacert " + f.cacert + c.authArgs
	}

	var opts []client.Option
	if c.token != "" {
		opts = append(opts, client.WithToken(c.token))
	}
	if caFile != "" {
		pool, err := readCAFile(caFile)
		if err != nil {
			return fail("%s: %v", c.caSource, err)
		}
		opts = append(opts, client.WithRootCAs(pool))
	}
	var err error
	if c.Client, err = client.New(c.base, opts...); err != nil {
		return fail("%v", err)
	}

	u, _ := url.Parse(c.base)
	if u.Scheme == "http" && stderr != nil {
		if f.cacert != "" {
			fmt.Fprintf(stderr, "ringside: warning: --cacert is not used: %s is plain http\n", c.base)
		}
		if c.token != "" && !isLoopbackHost(u.Hostname()) {
			fmt.Fprintf(stderr, "ringside: warning: the bearer token goes to %s over plain http, readable on the network: use an https:// sidecar\n", u.Host)
		}
	}
	return c, nil
}

// cleanToken trims a token read from a flag or a file, and drops a
// "Bearer " someone pasted with it.
func cleanToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	switch {
	case s == "":
		return "", errors.New("the token is empty")
	case strings.ContainsAny(s, " \t\r\n"):
		return "", errors.New("not a single token (it contains blanks or several lines)")
	}
	return s, nil
}

func readCAFile(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// listenURLScheme is listenURL with https for a TLS sidecar.
func listenURLScheme(addr, scheme string) (string, error) {
	s, err := listenURL(addr)
	if err != nil || scheme == "http" {
		return s, err
	}
	return scheme + strings.TrimPrefix(s, "http"), nil
}

// hintArgs are the flags to repeat in a suggested command line.
func (c *apiClient) hintArgs() string { return c.addrArgs + c.authArgs }

// call sends one request (path may carry a query; body nil: none) and
// returns the answer, whatever its status. timeout 0: none beyond ctx.
// Its errors are *exitError (status 1) saying what went wrong and what
// to do.
func (c *apiClient) call(ctx context.Context, method, path string, body []byte, timeout time.Duration) (*client.Response, error) {
	return within(ctx, c, timeout, func(ctx context.Context) (*client.Response, error) {
		return c.Do(ctx, method, path, nil, body)
	})
}

// within runs one request of the client package with the CLI's timeout
// (0: none beyond ctx) and explains a failure to get an answer (an
// *exitError); an *client.APIError, the sidecar's answer, is the
// caller's to explain.
func within[T any](ctx context.Context, c *apiClient, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	v, err := f(ctx)
	return v, c.explain(ctx, timeout, err)
}

func (c *apiClient) explain(ctx context.Context, timeout time.Duration, err error) error {
	var (
		ae *client.APIError
		se *client.SchemeError
		te *client.TransportError
	)
	switch {
	case err == nil || errors.As(err, &ae):
		return err
	case errors.As(err, &se) && se.ServerTLS:
		err = fmt.Errorf("the sidecar at %s serves HTTPS: use --url https://%s (with --cacert for its CA)", c.base, strings.TrimPrefix(c.base, "http://"))
	case errors.As(err, &se):
		err = fmt.Errorf("the sidecar at %s does not speak TLS (%v): if it serves plain http, use --url http://%s", c.base, se.Err, strings.TrimPrefix(c.base, "https://"))
	case errors.As(err, &te) && te.ReadingBody:
	case errors.As(err, &te) && errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return &exitError{code: 130, err: fmt.Errorf("interrupted: %s %s", te.Method, te.URL)}
	case errors.As(err, &te) && errors.Is(err, context.DeadlineExceeded) && timeout > 0 && ctx.Err() != nil:
		err = fmt.Errorf("the sidecar at %s did not answer %s %s within %s", c.base, te.Method, strings.TrimPrefix(te.URL, c.base), timeout)
	case errors.As(err, &te):
		err = c.transportError(te.Err)
	}
	return &exitError{code: 1, err: err}
}

// transportError explains a request that got no HTTP answer.
func (c *apiClient) transportError(err error) error {
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknownCA):
		hint := "give --cacert FILE, the CA that signed it (the sidecar's security.client_ca_file or peer_ca_file), or --config with the sidecar's ringside.yaml"
		if c.caSource != "" {
			hint = "its certificate is not signed by the CA of " + c.caSource + ": give --cacert with the CA that signed it"
		}
		return fmt.Errorf("cannot verify the TLS certificate of the sidecar at %s: %v\n%s", c.base, err, hint)
	case errors.As(err, &hostname):
		return fmt.Errorf("the TLS certificate of the sidecar at %s is not valid for that address: %v\ngive --url with an address or name the certificate lists", c.base, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("the TLS certificate of the sidecar at %s is not valid: %v", c.base, err)
	}
	return fmt.Errorf("cannot reach the sidecar at %s: %v (is `ringside serve` running? if it listens elsewhere, give --url or --config)", c.base, err)
}

// authError explains a 401 or a 403 of the authorization middleware;
// ok is false for a 403 that is not about the token's role (the
// lifecycle's loopback check, a peer certificate).
func (c *apiClient) authError(e *client.APIError) (error, bool) {
	switch {
	case e.StatusCode == http.StatusUnauthorized && c.token == "":
		return fmt.Errorf("the sidecar at %s wants a bearer token: %s\ngive --token-file FILE (or --token TOKEN) with a JWT it trusts", c.base, e.Message), true
	case e.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("the sidecar at %s refused the token: %s\nis it expired, or signed for another cluster? get a fresh one (for tests: ringside token)", c.base, e.Message), true
	case e.NeededRole() != "":
		return fmt.Errorf("the sidecar at %s refused: %s\nthis needs a token with role %s (or higher)", c.base, e.Message, e.NeededRole()), true
	}
	return nil, false
}

// refused turns an answer the caller has no better use for into the error
// to exit with.
func (c *apiClient) refused(e *client.APIError) error {
	if e.Message == "" {
		return &exitError{code: 1, err: fmt.Errorf("unexpected answer to %s %s: HTTP %d: %s (is --url the ringside sidecar?)", e.Method, e.URL, e.StatusCode, clipBody(e.Body))}
	}
	if err, ok := c.authError(e); ok {
		return &exitError{code: 1, err: err}
	}
	return &exitError{code: 1, err: fmt.Errorf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Message)}
}

// failed is err as the error to exit with: an answer refused, or err
// itself (already explained by within).
func (c *apiClient) failed(err error) error {
	if e := (*client.APIError)(nil); errors.As(err, &e) {
		return c.refused(e)
	}
	return err
}

// problemsError is a 400 answer with "problems" (key → why), as the
// settings and bulk endpoints give them: a table of them.
func problemsError(headline string, e *client.APIError) (error, bool) {
	if len(e.Problems) == 0 {
		return nil, false
	}
	keys := sortedMapKeys(e.Problems)
	rows := make([][]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(body)"
		}
		rows[i] = []string{name, e.Problems[k]}
	}
	var b bytes.Buffer
	writeTable(&b, nil, rows)
	table := "  " + strings.ReplaceAll(strings.TrimRight(b.String(), "\n"), "\n", "\n  ")
	return &exitError{code: 1, err: fmt.Errorf("%s:\n%s", headline, table)}, true
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Output helpers.

// printJSON writes raw indented (as is when it is not JSON).
func printJSON(w io.Writer, raw []byte) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		w.Write(raw)
		return
	}
	buf.WriteByte('\n')
	w.Write(buf.Bytes())
}

// writeTrimmed writes a table without the padding tabwriter leaves after
// an empty last cell.
func writeTrimmed(w io.Writer, b []byte) {
	var out bytes.Buffer
	for line := range bytes.Lines(b) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	w.Write(out.Bytes())
}

// writeTable writes an aligned table (header nil: none), each cell on
// one line.
func writeTable(w io.Writer, header []string, rows [][]string) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	line := func(cells []string) {
		for i, s := range cells {
			if i > 0 {
				tw.Write([]byte{'\t'})
			}
			tw.Write([]byte(oneLine(s)))
		}
		tw.Write([]byte{'\n'})
	}
	if header != nil {
		line(header)
	}
	for _, r := range rows {
		line(r)
	}
	tw.Flush()
	writeTrimmed(w, buf.Bytes())
}

// parseInterspersed parses flags given before and after the positional
// arguments; help reports -h.
func parseInterspersed(fs *flag.FlagSet, args []string) (pos []string, help bool, err error) {
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			return nil, false, err
		}
		if fs.NArg() == 0 {
			return pos, false, nil
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
}

// listFlag is a repeatable flag of comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	if strings.TrimSpace(s) == "" {
		return errors.New("empty")
	}
	return nil
}

// multiFlag is a repeatable flag whose values are kept whole.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, " ") }

func (m *multiFlag) Set(s string) error {
	*m = append(*m, s)
	return nil
}

// selectorFlags choose the nodes of a fan-out (fanout.ParseSelector).
type selectorFlags struct {
	scope            string
	dcs, racks, host listFlag
}

func (s *selectorFlags) register(fs *flag.FlagSet, defaultScope string) {
	fs.StringVar(&s.scope, "scope", "", "`local|cluster`: only the node of the sidecar at --url, or every node (default "+defaultScope+"; --dc, --rack, --hosts imply cluster)")
	fs.Var(&s.dcs, "dc", "only the nodes of these datacenters: `DC[,DC...]`, repeatable")
	fs.Var(&s.racks, "rack", "only the nodes of these racks: `RACK[,DC:RACK...]` (a rack name, or one DC's rack), repeatable")
	fs.Var(&s.host, "hosts", "only these nodes: `HOST[,HOST...]` (host ids, addresses or endpoints), repeatable")
}

func (s *selectorFlags) check() error {
	switch s.scope {
	case "", "cluster":
	case "local":
		if len(s.dcs)+len(s.racks)+len(s.host) > 0 {
			return &flagError{"--scope local cannot be combined with --dc, --rack or --hosts"}
		}
	default:
		return &flagError{fmt.Sprintf("--scope %q: use local or cluster", s.scope)}
	}
	return nil
}

func (s *selectorFlags) selector() client.Selector {
	return client.Selector{Scope: s.scope, DCs: s.dcs, Racks: s.racks, Hosts: s.host}
}

// newFlagSet is a client subcommand's flag set: errors and -h go to
// stderr, the usage text before the flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}
