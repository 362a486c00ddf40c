package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Parsers of nodetool 4.1 output. Every format here is checked against
// testdata/cassandra-4.1.6/nodetool.txt (captured from a real node); they
// tolerate extra lines (JVM warnings, notes) around what they look for.

// lines splits output into lines without trailing "\r" or spaces.
func lines(out string) []string {
	ls := strings.Split(out, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t\r")
	}
	return ls
}

func firstLine(out string) string {
	for _, l := range lines(out) {
		if strings.TrimSpace(l) != "" {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// StatusRow is one node line of `nodetool status`.
type StatusRow struct {
	Datacenter string `json:"datacenter"`
	// Status is "U" (up: in LiveNodes), "D" (down: in UnreachableNodes) or
	// "?" (neither).
	Status string `json:"status"`
	// State is "N" normal, "L" leaving, "J" joining or "M" moving.
	State   string `json:"state"`
	Address string `json:"address"` // as printed: an IP, host:port with -pp, a name with -r
	Load    string `json:"load"`    // e.g. "280.24 KiB", "?" when unknown
	Tokens  int    `json:"tokens"`  // vnodes: the token count
	Token   string `json:"token,omitempty"`
	// Owns is "?" or a percentage such as "51.2%"; OwnsEffective: the
	// column was "Owns (effective)" (status <keyspace>).
	Owns          string `json:"owns"`
	OwnsEffective bool   `json:"owns_effective"`
	HostID        string `json:"host_id"`
	Rack          string `json:"rack"`
}

// Up reports the U status.
func (r StatusRow) Up() bool { return r.Status == "U" }

// ParseStatus parses `nodetool status [keyspace]`: one block per
// datacenter ("Datacenter: dc1", a legend, a header, then a line per node
// such as "UN  127.0.0.1  297.98 KiB  16  ?  5704d1d8-…  rack1").
func ParseStatus(out string) ([]StatusRow, error) {
	rows := []StatusRow{}
	dc := ""
	var cols []string // header columns after "--"
	blocks := 0
	for _, l := range lines(out) {
		if name, ok := strings.CutPrefix(l, "Datacenter: "); ok {
			dc = strings.TrimSpace(name)
			cols = nil
			blocks++
			continue
		}
		if strings.HasPrefix(l, "--  ") && blocks > 0 {
			cols = splitColumns(l[4:])
			if !slices.Contains(cols, "Address") {
				return nil, fmt.Errorf("nodetool status: header without Address: %q", l)
			}
			continue
		}
		if cols == nil || len(l) < 3 || !isStatusCode(l[:2]) || l[2] != ' ' {
			continue
		}
		r, err := parseStatusRow(dc, cols, strings.Fields(l))
		if err != nil {
			return nil, fmt.Errorf("nodetool status: %w in %q", err, l)
		}
		rows = append(rows, r)
	}
	if blocks == 0 {
		return nil, fmt.Errorf("nodetool status: no Datacenter block in output %q", firstLine(out))
	}
	return rows, nil
}

// splitColumns splits a header at runs of two or more spaces (titles such
// as "Host ID" and "Owns (effective)" contain one).
func splitColumns(h string) []string {
	var cols []string
	for _, c := range strings.Split(h, "  ") {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

func isStatusCode(s string) bool {
	return strings.ContainsRune("UD?", rune(s[0])) && strings.ContainsRune("NLJM?", rune(s[1]))
}

// parseStatusRow reads the fields by the header's columns. Fields are
// whitespace-separated; Load is one field ("?") or two (number and unit),
// Rack is the rest of the line.
func parseStatusRow(dc string, cols, f []string) (StatusRow, error) {
	r := StatusRow{Datacenter: dc, Status: f[0][:1], State: f[0][1:2]}
	i := 1
	next := func() (string, error) {
		if i >= len(f) {
			return "", fmt.Errorf("missing fields")
		}
		i++
		return f[i-1], nil
	}
	for ci, c := range cols {
		var err error
		switch {
		case c == "Address":
			r.Address, err = next()
		case c == "Load":
			r.Load, err = next()
			if err == nil && r.Load != "?" && i < len(f) && isUnit(f[i]) {
				r.Load += " " + f[i]
				i++
			}
		case c == "Tokens":
			var s string
			if s, err = next(); err == nil {
				if r.Tokens, err = strconv.Atoi(s); err != nil {
					err = fmt.Errorf("tokens %q", s)
				}
			}
		case strings.HasPrefix(c, "Owns"):
			r.Owns, err = next()
			r.OwnsEffective = c == "Owns (effective)"
		case c == "Host ID":
			r.HostID, err = next()
		case c == "Token":
			r.Token, err = next()
		case c == "Rack" && ci == len(cols)-1:
			if i >= len(f) {
				return r, fmt.Errorf("missing rack")
			}
			r.Rack = strings.Join(f[i:], " ")
			i = len(f)
		default:
			_, err = next()
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// isUnit: FileUtils.stringifyFileSize units ("bytes", "KiB", "MiB", …).
func isUnit(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !unicode.IsLetter(c) {
			return false
		}
	}
	return true
}

// Info is `nodetool info`.
type Info struct {
	ID                    string `json:"id"`
	GossipActive          bool   `json:"gossip_active"`
	NativeTransportActive bool   `json:"native_transport_active"`
	Load                  string `json:"load"`
	GenerationNo          int64  `json:"generation_no"`
	UptimeSeconds         int64  `json:"uptime_seconds"` // -1 when "N/A"
	DataCenter            string `json:"datacenter"`
	Rack                  string `json:"rack"`
	Exceptions            int64  `json:"exceptions"`
	// Tokens are listed with -T (or when the node has one token).
	Tokens []string `json:"tokens,omitempty"`
	// Fields has every "Name : value" line (the last one for repeated names).
	Fields map[string]string `json:"fields"`
}

// ParseInfo parses `nodetool info`: lines "%-23s: %s".
func ParseInfo(out string) (*Info, error) {
	in := &Info{Fields: map[string]string{}, UptimeSeconds: -1}
	for _, l := range lines(out) {
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		in.Fields[k] = v
		if k == "Token" && !strings.HasPrefix(v, "(") {
			in.Tokens = append(in.Tokens, v)
		}
	}
	for _, req := range []string{"ID", "Gossip active", "Native Transport active"} {
		if _, ok := in.Fields[req]; !ok {
			return nil, fmt.Errorf("nodetool info: no %q line in output %q", req, firstLine(out))
		}
	}
	var err error
	in.ID = in.Fields["ID"]
	if in.GossipActive, err = strconv.ParseBool(in.Fields["Gossip active"]); err != nil {
		return nil, fmt.Errorf("nodetool info: Gossip active: %w", err)
	}
	if in.NativeTransportActive, err = strconv.ParseBool(in.Fields["Native Transport active"]); err != nil {
		return nil, fmt.Errorf("nodetool info: Native Transport active: %w", err)
	}
	in.Load = in.Fields["Load"]
	in.DataCenter = in.Fields["Data Center"]
	in.Rack = in.Fields["Rack"]
	if v, ok := in.Fields["Generation No"]; ok {
		if in.GenerationNo, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("nodetool info: Generation No: %w", err)
		}
	}
	if v, ok := in.Fields["Uptime (seconds)"]; ok && v != "N/A" {
		if in.UptimeSeconds, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("nodetool info: Uptime (seconds): %w", err)
		}
	}
	if v, ok := in.Fields["Exceptions"]; ok {
		if in.Exceptions, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("nodetool info: Exceptions: %w", err)
		}
	}
	return in, nil
}

// parseRunning reads "running" / "not running" (StatusBinary, StatusGossip).
func parseRunning(cmd, out string) (bool, error) {
	for _, l := range lines(out) {
		switch strings.TrimSpace(l) {
		case "running":
			return true, nil
		case "not running":
			return false, nil
		}
	}
	return false, fmt.Errorf("nodetool %s: unexpected output %q", cmd, firstLine(out))
}

// ParseStatusBinary parses `nodetool statusbinary` (native transport).
func ParseStatusBinary(out string) (bool, error) { return parseRunning("statusbinary", out) }

// ParseStatusGossip parses `nodetool statusgossip`.
func ParseStatusGossip(out string) (bool, error) { return parseRunning("statusgossip", out) }

// valueAfter finds the first line starting with prefix and returns the rest.
func valueAfter(out, prefix string) (string, bool) {
	for _, l := range lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// ParseGetCompactionThroughput parses "Current compaction throughput: 64 MB/s".
func ParseGetCompactionThroughput(out string) (int, error) {
	v, ok := valueAfter(out, "Current compaction throughput: ")
	num, unit, _ := strings.Cut(v, " ")
	if !ok || unit != "MB/s" {
		return 0, fmt.Errorf("nodetool getcompactionthroughput: unexpected output %q", firstLine(out))
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, fmt.Errorf("nodetool getcompactionthroughput: %w", err)
	}
	return n, nil
}

// ParseVersion parses "ReleaseVersion: 4.1.6".
func ParseVersion(out string) (string, error) {
	v, ok := valueAfter(out, "ReleaseVersion: ")
	if !ok || v == "" {
		return "", fmt.Errorf("nodetool version: unexpected output %q", firstLine(out))
	}
	return v, nil
}

// ParseNetstatsMode parses the first line of `nodetool netstats`,
// "Mode: NORMAL" (StorageService.getOperationMode).
func ParseNetstatsMode(out string) (string, error) {
	v, ok := valueAfter(out, "Mode: ")
	if !ok || v == "" {
		return "", fmt.Errorf("nodetool netstats: no Mode line in output %q", firstLine(out))
	}
	return v, nil
}

// ParseGetMaxHintWindow parses "Current max hint window: 10800000 ms" (milliseconds).
func ParseGetMaxHintWindow(out string) (int64, error) {
	v, ok := valueAfter(out, "Current max hint window: ")
	num, ok2 := strings.CutSuffix(v, " ms")
	if !ok || !ok2 {
		return 0, fmt.Errorf("nodetool getmaxhintwindow: unexpected output %q", firstLine(out))
	}
	return strconv.ParseInt(num, 10, 64)
}

// ParseStatusHandoff parses "Hinted handoff is running" / "… is not running".
func ParseStatusHandoff(out string) (bool, error) {
	v, ok := valueAfter(out, "Hinted handoff is ")
	switch {
	case ok && v == "running":
		return true, nil
	case ok && v == "not running":
		return false, nil
	}
	return false, fmt.Errorf("nodetool statushandoff: unexpected output %q", firstLine(out))
}

// ParseGetConcurrentCompactors parses "Current concurrent compactors in the
// system is: " followed by the number on the next line.
func ParseGetConcurrentCompactors(out string) (int, error) {
	ls := lines(out)
	for i, l := range ls {
		if strings.HasPrefix(l, "Current concurrent compactors in the system is:") {
			v := strings.TrimSpace(strings.TrimPrefix(l, "Current concurrent compactors in the system is:"))
			if v == "" && i+1 < len(ls) {
				v = strings.TrimSpace(ls[i+1])
			}
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("nodetool getconcurrentcompactors: unexpected output %q", firstLine(out))
}

// ParseCompactionStats returns the pending tasks of `nodetool compactionstats`
// ("pending tasks: 0"; running compactions follow in a table, not parsed).
func ParseCompactionStats(out string) (int, error) {
	v, ok := valueAfter(out, "pending tasks: ")
	if !ok {
		return 0, fmt.Errorf("nodetool compactionstats: unexpected output %q", firstLine(out))
	}
	return strconv.Atoi(v)
}

// ClusterDescription is `nodetool describecluster`.
type ClusterDescription struct {
	Name                  string `json:"name"`
	Snitch                string `json:"snitch"`
	DynamicEndpointSnitch string `json:"dynamic_endpoint_snitch"`
	Partitioner           string `json:"partitioner"`
	// SchemaVersions: schema version (or "UNREACHABLE") → addresses.
	SchemaVersions map[string][]string `json:"schema_versions"`
	// Stats for all nodes.
	Live        int `json:"live"`
	Joining     int `json:"joining"`
	Moving      int `json:"moving"`
	Leaving     int `json:"leaving"`
	Unreachable int `json:"unreachable"`
	// DataCenters: name → node and down counts.
	DataCenters map[string]DCCount `json:"datacenters"`
	// DatabaseVersions: release version → address:port list.
	DatabaseVersions map[string][]string `json:"database_versions"`
	// Keyspaces: name → replication.
	Keyspaces map[string]KeyspaceReplication `json:"keyspaces"`
	// Notes are "Error: …" lines nodetool prints without failing (e.g.
	// "Non-system keyspaces don't have the same replication settings, …").
	Notes []string `json:"notes,omitempty"`
}

// DCCount is a "dc1 #Nodes: 2 #Down: 0" line.
type DCCount struct {
	Nodes int `json:"nodes"`
	Down  int `json:"down"`
}

// KeyspaceReplication is "Replication class: NetworkTopologyStrategy {dc1=1}".
type KeyspaceReplication struct {
	Class   string            `json:"class"`
	Options map[string]string `json:"options"`
}

// ParseDescribeCluster parses `nodetool describecluster`.
func ParseDescribeCluster(out string) (*ClusterDescription, error) {
	d := &ClusterDescription{
		SchemaVersions:   map[string][]string{},
		DataCenters:      map[string]DCCount{},
		DatabaseVersions: map[string][]string{},
		Keyspaces:        map[string]KeyspaceReplication{},
	}
	section := ""
	sub := ""
	seen := false
	for _, l := range lines(out) {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "\t") {
			if m, ok := strings.CutPrefix(l, "Error: "); ok {
				d.Notes = append(d.Notes, m)
				continue
			}
			section, sub = strings.TrimSuffix(strings.TrimSpace(l), ":"), ""
			if section == "Cluster Information" {
				seen = true
			}
			continue
		}
		body := strings.TrimLeft(l, "\t")
		nested := strings.HasPrefix(l, "\t\t")
		var err error
		switch section {
		case "Cluster Information":
			if nested && sub == "Schema versions" {
				k, v, ok := strings.Cut(body, ": ")
				if !ok {
					return nil, fmt.Errorf("nodetool describecluster: schema version line %q", l)
				}
				d.SchemaVersions[k] = parseBracketList(v)
				continue
			}
			k, v, _ := strings.Cut(body, ":")
			v = strings.TrimSpace(v)
			switch k {
			case "Name":
				d.Name = v
			case "Snitch":
				d.Snitch = v
			case "DynamicEndPointSnitch":
				d.DynamicEndpointSnitch = v
			case "Partitioner":
				d.Partitioner = v
			case "Schema versions":
				sub = k
			}
		case "Stats for all nodes":
			k, v, _ := strings.Cut(body, ":")
			var n int
			if n, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("nodetool describecluster: %q: %w", l, err)
			}
			switch k {
			case "Live":
				d.Live = n
			case "Joining":
				d.Joining = n
			case "Moving":
				d.Moving = n
			case "Leaving":
				d.Leaving = n
			case "Unreachable":
				d.Unreachable = n
			}
		case "Data Centers":
			// "dc1 #Nodes: 2 #Down: 0"
			name, rest, ok1 := strings.Cut(body, " #Nodes: ")
			nodes, down, ok2 := strings.Cut(rest, " #Down: ")
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("nodetool describecluster: datacenter line %q", l)
			}
			var c DCCount
			if c.Nodes, err = strconv.Atoi(strings.TrimSpace(nodes)); err == nil {
				c.Down, err = strconv.Atoi(strings.TrimSpace(down))
			}
			if err != nil {
				return nil, fmt.Errorf("nodetool describecluster: datacenter line %q: %w", l, err)
			}
			d.DataCenters[name] = c
		case "Database versions":
			k, v, ok := strings.Cut(body, ": ")
			if !ok {
				return nil, fmt.Errorf("nodetool describecluster: version line %q", l)
			}
			d.DatabaseVersions[k] = parseBracketList(v)
		case "Keyspaces":
			// "ks3 -> Replication class: NetworkTopologyStrategy {dc2=1, dc1=2}"
			name, rest, ok := strings.Cut(body, " -> Replication class: ")
			if !ok {
				return nil, fmt.Errorf("nodetool describecluster: keyspace line %q", l)
			}
			class, opts, _ := strings.Cut(rest, " ")
			d.Keyspaces[name] = KeyspaceReplication{Class: class, Options: parseBraceMap(opts)}
		}
	}
	if !seen {
		return nil, fmt.Errorf("nodetool describecluster: no Cluster Information in output %q", firstLine(out))
	}
	return d, nil
}

// parseBracketList reads "[a, b, c]" (Java's List.toString).
func parseBracketList(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	out := []string{}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// parseBraceMap reads "{a=1, b=2}" (Java's Map.toString).
func parseBraceMap(s string) map[string]string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	m := map[string]string{}
	for _, e := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(e), "="); ok {
			m[k] = v
		}
	}
	return m
}

// GossipEndpoint is one endpoint of `nodetool gossipinfo`.
type GossipEndpoint struct {
	// Header is the endpoint line as printed, "hostname/address" (the
	// hostname may be empty).
	Header     string `json:"header"`
	Address    string `json:"address"`
	Generation int64  `json:"generation"`
	Heartbeat  int64  `json:"heartbeat"`
	// States: application state name → value (the version is dropped),
	// e.g. STATUS_WITH_PORT → "NORMAL,-1695229305146359823".
	States map[string]string `json:"states"`
}

// ParseGossipInfo parses `nodetool gossipinfo`: an unindented
// "name/address" line per endpoint, then "  generation:N", "  heartbeat:N"
// and "  STATE:version:value" lines.
func ParseGossipInfo(out string) ([]GossipEndpoint, error) {
	eps := []GossipEndpoint{}
	for _, l := range lines(out) {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, " ") {
			_, addr, ok := strings.Cut(l, "/")
			if !ok {
				return nil, fmt.Errorf("nodetool gossipinfo: endpoint line %q", l)
			}
			eps = append(eps, GossipEndpoint{Header: l, Address: addr, States: map[string]string{}})
			continue
		}
		if len(eps) == 0 {
			return nil, fmt.Errorf("nodetool gossipinfo: state before any endpoint: %q", l)
		}
		ep := &eps[len(eps)-1]
		parts := strings.SplitN(strings.TrimSpace(l), ":", 3)
		var err error
		switch {
		case len(parts) == 2 && parts[0] == "generation":
			ep.Generation, err = strconv.ParseInt(parts[1], 10, 64)
		case len(parts) == 2 && parts[0] == "heartbeat":
			ep.Heartbeat, err = strconv.ParseInt(parts[1], 10, 64)
		case len(parts) == 3:
			ep.States[parts[0]] = parts[2]
		default:
			err = fmt.Errorf("unexpected line")
		}
		if err != nil {
			return nil, fmt.Errorf("nodetool gossipinfo: %q: %w", l, err)
		}
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("nodetool gossipinfo: no endpoints in output %q", firstLine(out))
	}
	return eps, nil
}

// ThreadPool is a pool line of `nodetool tpstats`.
type ThreadPool struct {
	Name           string `json:"name"`
	Active         int64  `json:"active"`
	Pending        int64  `json:"pending"`
	Completed      int64  `json:"completed"`
	Blocked        int64  `json:"blocked"`
	AllTimeBlocked int64  `json:"all_time_blocked"`
}

// DroppedMessages is a message-type line of `nodetool tpstats`.
type DroppedMessages struct {
	Type    string  `json:"type"`
	Dropped int64   `json:"dropped"`
	P50     float64 `json:"p50_micros"`
	P95     float64 `json:"p95_micros"`
	P99     float64 `json:"p99_micros"`
	Max     float64 `json:"max_micros"`
}

// Tpstats is `nodetool tpstats`.
type Tpstats struct {
	Pools   []ThreadPool      `json:"pools"`
	Dropped []DroppedMessages `json:"dropped"`
}

// ParseTpstats parses `nodetool tpstats`: the "Pool Name" table, then the
// "Message type" table of dropped messages and queue latencies.
func ParseTpstats(out string) (*Tpstats, error) {
	t := &Tpstats{Pools: []ThreadPool{}, Dropped: []DroppedMessages{}}
	table := ""
	for _, l := range lines(out) {
		switch {
		case strings.HasPrefix(l, "Pool Name "):
			table = "pools"
			continue
		case strings.HasPrefix(l, "Message type "):
			table = "dropped"
			continue
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "Latencies waiting"):
			continue
		}
		f := strings.Fields(l)
		switch table {
		case "pools":
			if len(f) != 6 {
				return nil, fmt.Errorf("nodetool tpstats: pool line %q", l)
			}
			var n [5]int64
			for i := range n {
				var err error
				if n[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
					return nil, fmt.Errorf("nodetool tpstats: pool line %q: %w", l, err)
				}
			}
			t.Pools = append(t.Pools, ThreadPool{Name: f[0], Active: n[0], Pending: n[1], Completed: n[2], Blocked: n[3], AllTimeBlocked: n[4]})
		case "dropped":
			if len(f) != 6 {
				return nil, fmt.Errorf("nodetool tpstats: message line %q", l)
			}
			dropped, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("nodetool tpstats: message line %q: %w", l, err)
			}
			var p [4]float64
			for i := range p {
				if p[i], err = strconv.ParseFloat(f[i+2], 64); err != nil {
					return nil, fmt.Errorf("nodetool tpstats: message line %q: %w", l, err)
				}
			}
			t.Dropped = append(t.Dropped, DroppedMessages{Type: f[0], Dropped: dropped, P50: p[0], P95: p[1], P99: p[2], Max: p[3]})
		}
	}
	if table == "" {
		return nil, fmt.Errorf("nodetool tpstats: no Pool Name table in output %q", firstLine(out))
	}
	return t, nil
}
