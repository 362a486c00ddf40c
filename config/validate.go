package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ConsistencyLevels are the names Cassandra accepts for a consistency
// level that availability can be judged at.
var ConsistencyLevels = []string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"}

// Validate checks every key and returns all the problems at once (joined
// *Error values), each naming the key and, when known, where its value
// came from.
func (c *Config) Validate() error {
	v := validator{c: c}

	v.hostPort("listen_address", c.ListenAddress, true)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		v.errorf("log_level", "%q is not a level; use debug, info, warn or error", c.LogLevel)
	}
	v.oneOf("log_format", c.LogFormat, "text", "json")

	cs := c.Cassandra
	v.hostPort("cassandra.cql_address", cs.CQLAddress, false)
	if cs.JolokiaURL != "" {
		u, err := url.Parse(cs.JolokiaURL)
		switch {
		case err != nil:
			v.errorf("cassandra.jolokia_url", "%q is not a URL: %v", cs.JolokiaURL, errors.Unwrap(err))
		case u.Scheme != "http" && u.Scheme != "https":
			v.errorf("cassandra.jolokia_url", "%q must be an http:// or https:// URL, e.g. http://127.0.0.1:8778/jolokia/ (or empty to use nodetool)", cs.JolokiaURL)
		case u.Host == "":
			v.errorf("cassandra.jolokia_url", "%q has no host", cs.JolokiaURL)
		}
	} else if strings.TrimSpace(cs.Nodetool) == "" {
		v.errorf("cassandra.nodetool", "is empty and so is cassandra.jolokia_url: ringside needs one of them to reach the node's JMX")
	}
	if strings.TrimSpace(cs.ConfigFile) == "" {
		v.errorf("cassandra.config_file", "is empty; name the node's cassandra.yaml (it is compared with the running settings)")
	}
	for i, d := range cs.DataDirectories {
		if strings.TrimSpace(d) == "" {
			v.errorf("cassandra.data_directories", "entry %d is empty", i+1)
		}
	}
	v.positive("cassandra.timeout", cs.Timeout)
	if v.positive("cassandra.nodetool_interval", cs.NodetoolInterval) && c.Health.RefreshInterval > 0 && cs.NodetoolInterval < c.Health.RefreshInterval {
		v.errorf("cassandra.nodetool_interval", "%s is shorter than health.refresh_interval (%s): nodetool runs at most once a refresh; use at least %s (default 60s: each run starts a JVM)", cs.NodetoolInterval, c.Health.RefreshInterval, c.Health.RefreshInterval)
	}
	switch cs.PIDSource {
	case "pidfile":
		if strings.TrimSpace(cs.PIDFile) == "" {
			v.errorf("cassandra.pid_file", "is empty but cassandra.pid_source is pidfile; name Cassandra's pid file or use pid_source: process_table")
		}
	case "process_table":
		if strings.TrimSpace(cs.ProcessPattern) == "" {
			v.errorf("cassandra.process_pattern", "is empty but cassandra.pid_source is process_table")
		} else if _, err := regexp.Compile(cs.ProcessPattern); err != nil {
			v.errorf("cassandra.process_pattern", "%q is not a regular expression: %v", cs.ProcessPattern, err)
		}
	default:
		v.oneOf("cassandra.pid_source", cs.PIDSource, "pidfile", "process_table")
	}
	if strings.TrimSpace(c.DataDir) == "" {
		v.errorf("data_dir", "is empty; ringside keeps the node's desired state there")
	}

	h := c.Health
	v.positive("health.refresh_interval", h.RefreshInterval)
	if v.positive("health.max_age", h.MaxAge) && h.RefreshInterval > 0 && h.MaxAge <= h.RefreshInterval {
		v.errorf("health.max_age", "%s must be longer than health.refresh_interval (%s), or answers would turn unhealthy between refreshes", h.MaxAge, h.RefreshInterval)
	}
	if h.RouteBackMinUptime < 0 {
		v.errorf("health.route_back_min_uptime", "%s is negative (0 means no minimum)", h.RouteBackMinUptime)
	}
	seen := map[string]bool{}
	for _, cl := range h.ConsistencyLevels {
		switch {
		case !isConsistencyLevel(cl):
			msg := fmt.Sprintf("%q is not a consistency level; use %s", cl, strings.Join(ConsistencyLevels, ", "))
			if s := suggest(cl, ConsistencyLevels); s != "" {
				msg = fmt.Sprintf("%q is not a consistency level (did you mean %s?)", cl, s)
			}
			v.errorf("health.consistency_levels", "%s", msg)
		case seen[cl]:
			v.errorf("health.consistency_levels", "%s is listed twice", cl)
		}
		seen[cl] = true
	}

	p := c.Peers
	if p.Port < 0 || p.Port > 65535 {
		v.errorf("peers.port", "%d is not a port (0 means the port of listen_address)", p.Port)
	}
	v.positive("peers.timeout", p.Timeout)
	if p.Concurrency < 1 {
		v.errorf("peers.concurrency", "%d: at least one peer must be asked at a time", p.Concurrency)
	}
	v.oneOf("peers.scheme", p.Scheme, "http", "https")

	l := c.Lifecycle
	if strings.TrimSpace(l.StartCommand) == "" {
		v.errorf("lifecycle.start_command", "is empty; e.g. \"systemctl start cassandra\"")
	}
	if strings.TrimSpace(l.StopCommand) == "" {
		v.errorf("lifecycle.stop_command", "is empty; e.g. \"systemctl stop cassandra\"")
	}
	if l.Grace < 0 {
		v.errorf("lifecycle.grace", "%s is negative (0 skips the grace)", l.Grace)
	}
	v.positive("lifecycle.drain_timeout", l.DrainTimeout)
	v.oneOf("lifecycle.on_drain_failure", l.OnDrainFailure, "continue", "abort")
	v.positive("lifecycle.stop_timeout", l.StopTimeout)
	v.positive("lifecycle.start_timeout", l.StartTimeout)
	if v.positive("lifecycle.restart_backoff", l.RestartBackoff) && v.positive("lifecycle.restart_backoff_max", l.RestartBackoffMax) && l.RestartBackoffMax < l.RestartBackoff {
		v.errorf("lifecycle.restart_backoff_max", "%s is shorter than lifecycle.restart_backoff (%s)", l.RestartBackoffMax, l.RestartBackoff)
	}

	b := c.Bulk
	v.positive("bulk.node_timeout", b.NodeTimeout)
	if b.JobsKept < 1 {
		v.errorf("bulk.jobs_kept", "%d: keep at least one finished job", b.JobsKept)
	}

	ds := c.Desires
	v.positive("desires.interval", ds.Interval)
	if v.positive("desires.lease_ttl", ds.LeaseTTL) && ds.LeaseTTL < 3*ds.Interval {
		v.errorf("desires.lease_ttl", "%s is shorter than 3 × desires.interval (%s): leases would lapse between renewals", ds.LeaseTTL, ds.Interval)
	}
	v.positive("desires.restart_timeout", ds.RestartTimeout)
	v.positive("desires.gate_timeout", ds.GateTimeout)
	v.positive("desires.restart_estimate", ds.RestartEstimate)
	v.positive("desires.expire_after", ds.ExpireAfter)

	sec := c.Security
	if (sec.TLSCertFile == "") != (sec.TLSKeyFile == "") {
		v.errorf("security.tls_cert_file", "security.tls_cert_file and security.tls_key_file go together")
	}
	if (sec.PeerCertFile == "") != (sec.PeerKeyFile == "") {
		v.errorf("security.peer_cert_file", "security.peer_cert_file and security.peer_key_file go together")
	}
	if sec.ClientCAFile != "" && sec.TLSCertFile == "" {
		v.errorf("security.client_ca_file", "mutual TLS needs TLS: set security.tls_cert_file and tls_key_file too")
	}
	if sec.TLSCertFile != "" && c.Peers.Scheme != "https" {
		v.errorf("peers.scheme", "is %q but this sidecar serves HTTPS (security.tls_cert_file): peers must be reached with https", c.Peers.Scheme)
	}
	for i, f := range sec.JWTPublicKeyFiles {
		if strings.TrimSpace(f) == "" {
			v.errorf("security.jwt_public_key_files", "entry %d is empty", i+1)
		}
	}
	if sec.MaxBodyBytes < 1024 {
		v.errorf("security.max_body_bytes", "%d is too small (at least 1024)", sec.MaxBodyBytes)
	}

	return errors.Join(v.errs...)
}

func isConsistencyLevel(s string) bool {
	for _, n := range ConsistencyLevels {
		if n == s {
			return true
		}
	}
	return false
}

type validator struct {
	c    *Config
	errs []error
}

func (v *validator) errorf(key, format string, args ...any) {
	origin := v.c.origin[key] // "" for defaults and values set in code
	v.errs = append(v.errs, &Error{Origin: origin, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) positive(key string, d time.Duration) bool {
	if d <= 0 {
		v.errorf(key, "%s must be positive, e.g. \"5s\"", d)
		return false
	}
	return true
}

func (v *validator) oneOf(key, val string, allowed ...string) {
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.errorf(key, "%q is not one of %s", val, strings.Join(allowed, ", "))
}

// hostPort checks "host:port" with a numeric port; the host may be empty
// (all interfaces), an IP address or a DNS name. Port 0 (any free port)
// only makes sense for a listening address.
func (v *validator) hostPort(key, addr string, listen bool) {
	example := `"127.0.0.1:9042"`
	if listen {
		example = `":5000" or "127.0.0.1:5000"`
	}
	if strings.Contains(addr, "://") {
		v.errorf(key, "%q is a URL; write host:port, e.g. %s", addr, example)
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errorf(key, "%q is not host:port (%s); write e.g. %s", addr, strings.TrimPrefix(err.Error(), "address "+addr+": "), example)
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (n == 0 && !listen) {
		v.errorf(key, "%q: %q is not a port number (1-65535); write e.g. %s", addr, port, example)
		return
	}
	if host == "" {
		if !listen {
			v.errorf(key, "%q has no host; write e.g. %s", addr, example)
		}
		return
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return
	}
	if !validHostname(host) {
		v.errorf(key, "%q: %q is neither an IP address nor a host name", addr, host)
	}
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
