package sim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// Streaming: what a node receives when it bootstraps, rebuilds or is
// repaired. Cassandra 4.1 streams an SSTable whole when every partition
// of it lies in the ranges asked for (stream_entire_sstables, on by
// default; CassandraOutgoingFile.computeShouldStreamEntireSSTables): the
// sender flushes first (StreamPlan.flushBeforeTransfer), then sends the
// components of ComponentManifest it has, and the receiver writes them
// under a generation of its own, with the sender's version and format and
// no TOC.txt (CassandraEntireSSTableStreamReader, BigTableZeroCopyWriter).
// The simulator streams every SSTable of a table that holds data in the
// asked ranges that way; the partial streams that Cassandra rewrites
// through a normal writer (with a TOC.txt) are not simulated.

// streamComponents are ComponentManifest.STREAM_COMPONENTS, in its order.
var streamComponents = []string{"Data.db", "Index.db", "Statistics.db", "CompressionInfo.db", "Filter.db", "Summary.db", "Digest.crc32", "CRC.db"}

// Stream operations, as StreamOperation describes them.
const (
	StreamBootstrap = "Bootstrap"
	StreamRebuild   = "Rebuild"
	StreamRepair    = "Repair"
)

// StreamOptions narrow a rebuild or a repair as nodetool's arguments do.
type StreamOptions struct {
	// Keyspace: only this keyspace (nodetool rebuild --keyspace, nodetool repair <keyspace>).
	Keyspace string `json:"keyspace,omitempty"`
	// SourceDC: stream only from this datacenter (nodetool rebuild <src-dc-name>).
	SourceDC string `json:"source_dc,omitempty"`
}

// StreamResult is what a stream did.
type StreamResult struct {
	Operation string `json:"operation"`
	Node      string `json:"node"`
	// Sources are the endpoints that sent something.
	Sources  []string          `json:"sources"`
	SSTables []StreamedSSTable `json:"sstables"`
	Status   NodeStatus        `json:"status"`
}

// StreamedSSTable is one SSTable received whole.
type StreamedSSTable struct {
	Keyspace   string   `json:"keyspace"`
	Table      string   `json:"table"`
	From       string   `json:"from"`
	SSTable    string   `json:"sstable"` // the receiver's descriptor path, ".../nb-3-big"
	Components []string `json:"components"`
}

// StreamError refuses a stream; nothing was changed. Conflict is true
// when the node or the cluster is in the wrong state for it (409),
// false for a bad request (400).
type StreamError struct {
	Msg      string
	Conflict bool
}

func (e *StreamError) Error() string { return e.Msg }

func conflictf(format string, a ...any) error {
	return &StreamError{Msg: fmt.Sprintf(format, a...), Conflict: true}
}

func badStreamf(format string, a ...any) error {
	return &StreamError{Msg: fmt.Sprintf(format, a...)}
}

// streaming marks the nodes with a stream under way (one at a time per
// node: "Node is still rebuilding" in StorageService.rebuild).
var streaming sync.Map // *Node → operation

// Bootstrap makes a stopped node start as a new (or replacing) node does:
// its data, commit log, hints and saved caches are wiped, it receives the
// SSTables of every range it replicates from one live replica each, then
// it starts. (A real node streams in JOINING mode after its process
// started; here the stream lands first, so it comes up NORMAL with its
// data.) Its address, tokens and host id stay.
func (n *Node) Bootstrap() (*StreamResult, error) {
	if st := n.State(); st != StateStopped {
		return nil, conflictf("node %s is %s: bootstrap needs a stopped node (it wipes the node's data, as a new or replacing node starts empty)", n.Addr, st)
	}
	res, err := n.stream(StreamBootstrap, StreamOptions{})
	if err != nil {
		return nil, err
	}
	if err := n.Start(); err != nil {
		return nil, err
	}
	res.Status = n.Status()
	return res, nil
}

// Rebuild streams to a running node the data of every range it replicates
// from one live replica each (nodetool rebuild), from opts.SourceDC only
// when given.
func (n *Node) Rebuild(opts StreamOptions) (*StreamResult, error) {
	return n.streamRunning(StreamRebuild, opts)
}

// Repair makes a running node consistent with the other replicas of its
// ranges (nodetool repair, full): where a replica holds data the node
// does not, that replica's SSTables are streamed to it. Repair here is
// one-way, toward the repaired node (as nodetool repair --pull).
func (n *Node) Repair(opts StreamOptions) (*StreamResult, error) {
	if opts.SourceDC != "" {
		return nil, badStreamf("source_dc applies to rebuild, not repair")
	}
	return n.streamRunning(StreamRepair, opts)
}

func (n *Node) streamRunning(op string, opts StreamOptions) (*StreamResult, error) {
	if st := n.Status(); st.State != StateRunning || st.OperationMode != "NORMAL" {
		what := string(st.State)
		if st.State == StateRunning {
			what = st.OperationMode
		}
		return nil, conflictf("node %s is %s: %s needs a running node in NORMAL mode", n.Addr, what, strings.ToLower(op))
	}
	res, err := n.stream(op, opts)
	if err != nil {
		return nil, err
	}
	res.Status = n.Status()
	return res, nil
}

// transfer is what one source sends for one table: its data in ranges.
type transfer struct {
	op     string
	t      *schema.Table
	src    *Node
	m      *ring.ReplicaMap
	ranges map[int]bool
}

func (n *Node) stream(op string, opts StreamOptions) (*StreamResult, error) {
	c := n.c
	if n.DataDir() == "" {
		return nil, conflictf("node %s has no data directory (start the simulator with a directory)", n.Addr)
	}
	if _, busy := streaming.LoadOrStore(n, op); busy {
		if op == StreamRebuild {
			return nil, conflictf("Node is still rebuilding. Check nodetool netstats.")
		}
		return nil, conflictf("node %s is already streaming", n.Addr)
	}
	defer streaming.Delete(n)
	c.mu.Lock()
	if n.store == nil {
		n.store = newStore()
	}
	c.mu.Unlock()
	plan, err := n.planStream(op, opts)
	if err != nil {
		return nil, err
	}
	if op == StreamBootstrap {
		if err := n.wipe(); err != nil {
			return nil, err
		}
	}
	// What each source sends is decided first: a repair compares every
	// replica with the node as it was (the Merkle trees are all built
	// before anything streams).
	type job struct {
		tr   transfer
		send map[string]streamedPartition
	}
	var jobs []job
	for _, tr := range plan {
		send := tr.src.store.partitionsIn(tr.t, func(tok int64) bool { return tr.ranges[tr.m.RangeIndex(ring.Token(tok))] })
		if len(send) == 0 || (op == StreamRepair && n.store.holds(tr.t, send)) {
			continue
		}
		jobs = append(jobs, job{tr, send})
	}
	res := &StreamResult{Operation: op, Node: n.Endpoint(), Sources: []string{}, SSTables: []StreamedSSTable{}}
	sources := map[string]bool{}
	for _, j := range jobs {
		n.store.mergeStreamed(j.tr.t, j.send)
		j.tr.src.flushKeyspace(j.tr.t.Keyspace, []string{j.tr.t.Name})
		got, err := n.copySSTables(j.tr)
		if err != nil {
			return nil, err
		}
		if len(got) > 0 && !sources[j.tr.src.Endpoint()] {
			sources[j.tr.src.Endpoint()] = true
			res.Sources = append(res.Sources, j.tr.src.Endpoint())
		}
		res.SSTables = append(res.SSTables, got...)
	}
	sort.Strings(res.Sources)
	c.log.Info("stream finished", "node", n.Addr, "operation", op, "sstables", len(res.SSTables), "sources", res.Sources)
	return res, nil
}

// planStream decides, before anything changes, which source sends which
// ranges of which table, with Cassandra's refusals.
func (n *Node) planStream(op string, opts StreamOptions) ([]transfer, error) {
	c := n.c
	if opts.SourceDC != "" {
		var dcs []string
		seen := map[string]bool{}
		for _, p := range c.nodes {
			if !seen[p.DC] {
				seen[p.DC] = true
				dcs = append(dcs, p.DC)
			}
		}
		if !seen[opts.SourceDC] {
			// StorageService.rebuild
			return nil, badStreamf("Provided datacenter '%s' is not a valid datacenter, available datacenters are: %s", opts.SourceDC, strings.Join(dcs, ","))
		}
	}
	if opts.Keyspace != "" {
		ks := c.schema.keyspace(opts.Keyspace)
		switch {
		case ks == nil:
			return nil, badStreamf("Keyspace %s does not exist", opts.Keyspace)
		case ks.Virtual:
			return nil, badStreamf("Cannot perform any operations against virtual keyspace %s", opts.Keyspace)
		}
	}
	alive := func(p *Node) bool {
		if op == StreamBootstrap {
			// A stopped node has no view of its own: who is really up.
			c.mu.Lock()
			defer c.mu.Unlock()
			ok, _, _ := c.reachable(n, p)
			return ok && p.state == StateRunning
		}
		return c.sees(n, p) && c.canTalk(n, p)
	}
	var plan []transfer
	for _, ks := range c.schema.keyspaces() {
		if ks.Virtual || (opts.Keyspace != "" && ks.Name != opts.Keyspace) {
			continue
		}
		m, err := c.schema.replicaMap(ks)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue // LocalStrategy: every node has its own
		}
		bySource := map[*Node]map[int]bool{}
		for _, i := range m.RangesOf(n.idx) {
			var others []*Node
			for _, e := range m.ForRange(i) {
				if p := c.nodes[e]; p != n {
					others = append(others, p)
				}
			}
			if len(others) == 0 {
				continue // this node alone replicates the range: nothing to fetch
			}
			var chosen []*Node
			switch op {
			case StreamRepair:
				// Repair compares with every replica (ActiveRepairService.prepareForRepair).
				for _, p := range others {
					if !alive(p) {
						return nil, conflictf("Endpoint not alive: /%s", p.Endpoint())
					}
				}
				chosen = others
			default:
				// One source per range, the closest live one
				// (RangeStreamer, with the snitch's proximity order).
				var cands []*Node
				for _, p := range others {
					if (opts.SourceDC == "" || p.DC == opts.SourceDC) && alive(p) {
						cands = append(cands, p)
					}
				}
				if len(cands) == 0 {
					return nil, conflictf("Unable to find sufficient sources for streaming range %s in keyspace %s", m.Range(i), ks.Name)
				}
				sort.SliceStable(cands, func(a, b int) bool { return n.closer(cands[a], cands[b]) })
				chosen = cands[:1]
			}
			for _, p := range chosen {
				if bySource[p] == nil {
					bySource[p] = map[int]bool{}
				}
				bySource[p][i] = true
			}
		}
		srcs := make([]*Node, 0, len(bySource))
		for p := range bySource {
			srcs = append(srcs, p)
		}
		sort.Slice(srcs, func(a, b int) bool { return srcs[a].idx < srcs[b].idx })
		for _, t := range ks.Tables {
			for _, p := range srcs {
				plan = append(plan, transfer{op: op, t: t, src: p, m: m, ranges: bySource[p]})
			}
		}
	}
	return plan, nil
}

// closer orders peers as the snitch's proximity does: same rack, same DC, others.
func (n *Node) closer(a, b *Node) bool {
	rank := func(p *Node) int {
		switch {
		case p.DC == n.DC && p.Rack == n.Rack:
			return 0
		case p.DC == n.DC:
			return 1
		}
		return 2
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a.idx < b.idx
}

// partitionsIn returns copies of t's partitions whose token is in, by key,
// with the store's average bytes per partition of t.
func (s *store) partitionsIn(t *schema.Table, in func(tok int64) bool) map[string]streamedPartition {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	td := s.tables[t.ID]
	if td == nil || len(td.parts) == 0 {
		return nil
	}
	size := (td.flushed + td.dirty) / int64(len(td.parts))
	out := map[string]streamedPartition{}
	for k, p := range td.parts {
		if in(p.tok) {
			out[k] = streamedPartition{p.clone(), size}
		}
	}
	return out
}

type streamedPartition struct {
	p    *partition
	size int64
}

// holds reports whether the store already has every partition sent, as
// it is: a repair between agreeing replicas streams nothing.
func (s *store) holds(t *schema.Table, send map[string]streamedPartition) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	td := s.tables[t.ID]
	if td == nil {
		return false
	}
	for k, sp := range send {
		q := td.parts[k]
		if q == nil || q.del != sp.p.del || !reflect.DeepEqual(q.static, sp.p.static) || !reflect.DeepEqual(q.rows, sp.p.rows) {
			return false
		}
	}
	return true
}

// mergeStreamed adds what a source sent to the store, as flushed data.
func (s *store) mergeStreamed(t *schema.Table, send map[string]streamedPartition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.tables[t.ID]
	if td == nil {
		td = &tableData{parts: map[string]*partition{}}
		s.tables[t.ID] = td
	}
	for k, sp := range send {
		if q := td.parts[k]; q != nil {
			q.merge(t, sp.p)
		} else {
			td.parts[k] = sp.p
		}
		td.flushed += sp.size
	}
}

// copySSTables writes the source's SSTables of the table into this node's
// table directory: ComponentManifest's components that exist, under a
// fresh generation, inside a stream transaction log as Cassandra keeps one
// (LifecycleTransaction, OperationType.STREAM) until the stream completes.
func (n *Node) copySSTables(tr transfer) ([]StreamedSSTable, error) {
	srcDir, dstDir := tr.src.tableDir(tr.t), n.tableDir(tr.t)
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var bases []string
	for _, e := range entries {
		if b, ok := strings.CutSuffix(e.Name(), "-Data.db"); ok && generationOf.MatchString(e.Name()) {
			bases = append(bases, b)
		}
	}
	sort.Strings(bases)
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return nil, err
	}
	var out []StreamedSSTable
	for _, b := range bases {
		version, rest, _ := strings.Cut(b, "-")
		format := rest[strings.LastIndexByte(rest, '-')+1:]
		var comps []string
		var blobs [][]byte
		for _, comp := range streamComponents {
			blob, err := os.ReadFile(filepath.Join(srcDir, b+"-"+comp))
			if err != nil {
				continue // ComponentManifest.create skips what does not exist
			}
			comps = append(comps, comp)
			blobs = append(blobs, blob)
		}
		desc, err := writeNewSSTable(dstDir, version, format, func(prefix string) error {
			log := filepath.Join(dstDir, fmt.Sprintf("%s_txn_stream_%s.log", version, timeUUID()))
			if err := os.WriteFile(log, []byte(fmt.Sprintf("ADD:[%s,0,%d][0]\n", strings.TrimSuffix(prefix, "-"), len(comps))), 0o644); err != nil {
				return err
			}
			for i, comp := range comps {
				if err := os.WriteFile(prefix+comp, blobs[i], 0o644); err != nil {
					return err
				}
			}
			// The transaction commits: its log goes.
			return os.Remove(log)
		})
		if err != nil {
			return out, err
		}
		out = append(out, StreamedSSTable{Keyspace: tr.t.Keyspace, Table: tr.t.Name, From: tr.src.Endpoint(), SSTable: desc, Components: comps})
	}
	return out, nil
}

// timeUUID is a random stand-in for the time UUID in a transaction log's name.
func timeUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x10
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// wipe empties the node's data, commit log, hints and saved caches, and
// its store, then lays the node out as a fresh one: a directory for every
// table (Directories makes them at startup) and system.local flushed.
func (n *Node) wipe() error {
	for _, sub := range []string{"data", "commitlog", "hints", "saved_caches"} {
		d := filepath.Join(n.dir(), sub)
		entries, err := os.ReadDir(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(d, e.Name())); err != nil {
				return err
			}
		}
	}
	n.hints.wipe()
	n.store.mu.Lock()
	n.store.tables = map[cqltype.UUID]*tableData{}
	n.store.mu.Unlock()
	for _, ks := range n.c.schema.keyspaces() {
		if ks.Virtual {
			continue
		}
		for _, t := range ks.Tables {
			if err := os.MkdirAll(n.tableDir(t), 0o755); err != nil {
				return err
			}
		}
	}
	if ks := n.c.schema.keyspace("system"); ks != nil {
		if t := ks.Table("local"); t != nil {
			if _, err := n.writeSSTable(t, []byte("local\n")); err != nil {
				return err
			}
		}
	}
	return nil
}
