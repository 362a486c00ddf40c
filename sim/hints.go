package sim

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/jolokia"
	"github.com/ringside/ringside/sim/schema"
)

// Hinted handoff as Apache Cassandra 4.1 does it. A coordinator hints a
// replica it sees down, or one that does not answer a write in time
// (StorageProxy.sendToHintedReplicas, RequestCallbacks.onExpired), unless
// StorageProxy.shouldHint refuses: hinted handoff disabled, the replica's
// DC in hinted_handoff_disabled_datacenters, the replica down longer than
// max_hint_window (with hint_window_persistent_enabled, measured from the
// earliest hint still held for it, HintsService.getEarliestHintForHost), or
// its hint files over max_hints_size_per_host. A hint goes to the
// in-memory HintsBuffer; every hints_flush_period the buffer is flushed to
// the target's open hints file, <host id>-<creation ms>-2.hints
// (HintsWriteExecutor, HintsStore.openWriter). Every 10 s
// HintsDispatchTrigger, for each target the failure detector sees alive,
// first dispatches the closed files (HintsStore's dispatch queue), then
// closes the open writer (writing its .crc32), which queues that file for
// the next round. Only queued files are pending (getPendingHintsInfo:
// system_views.pending_hints, nodetool listpendinghints), so nothing is
// pending while the target is down (testdata/cassandra-4.1.6/hints.txt,
// hints-files.txt). Dispatch (HintsDispatchExecutor.DispatchHintsTask) is
// throttled to hinted_handoff_throttle / (nodes - 1) bytes per second
// with Guava's RateLimiter, applies each hint to the target, and deletes a
// file once all of it is delivered. Hints files survive restarts
// (HintsCatalog.load queues every file found); the buffer is flushed at a
// drain or graceful stop (HintsService.shutdownBlocking) and lost when the
// process is killed.
//
// The simulator keeps the hints themselves in memory beside the node's
// data; with a node directory it also writes the files into
// hints_directory: a real HintsDescriptor header, then one entry per hint
// framed as HintsWriter frames it (size, CRC of size, body, CRC), whose
// body is the simulator's own and not Cassandra's Mutation serialization.
// The flush and the dispatch trigger share one period,
// Config.HintsDispatchInterval, so that tests run fast.

// hint is one hinted mutation.
type hint struct {
	m       *mutation
	created time.Time // Hint.creationTime
	size    int64     // on disk, with HintsWriter's framing
}

// hintsFile is one hints file: open (the store's writer) or closed.
type hintsFile struct {
	ts    int64 // HintsDescriptor.timestamp, ms: when the writer opened
	hints []*hint
	size  int64
	next  int // dispatch offset (HintsStore.dispatchPositions)
	crc   hash.Hash32
	path  string // "" without a node directory
}

// hintsStore is HintsStore: the hints of one target host.
type hintsStore struct {
	target cqltype.UUID
	buffer []*hint
	// earliest is HintsBuffer.earliestHintByHost (zero: none): the first
	// hint buffered since the dispatch trigger last ran for the target.
	earliest   time.Time
	writer     *hintsFile
	queue      []*hintsFile // dispatchDequeue, oldest first
	inFlight   *hintsFile   // polled by the running dispatch task
	dispatched bool         // a dispatch task runs (HintsDispatchExecutor.isScheduled)
	lastUsed   int64        // HintsStore.lastUsedTimestamp
}

// hintsService is one node's HintsService. Its stores (the files) outlive
// restarts; its metrics belong to the JVM and restart from zero.
type hintsService struct {
	n  *Node
	mu sync.Mutex
	// on: between startDispatch (the node reaching NORMAL) and shutdown.
	on     bool
	paused bool
	gen    int // bumped at every start and shutdown: stale timers and tasks stop
	timer  *time.Timer
	phase  time.Time // the periodic tasks run at phase + k·interval
	stores map[cqltype.UUID]*hintsStore
	met    *hintMetrics
}

func newHintsService(n *Node) *hintsService {
	return &hintsService{n: n, stores: map[cqltype.UUID]*hintsStore{}, met: newHintMetrics()}
}

// hintsFileVersion is HintsDescriptor.CURRENT_VERSION in 4.1 (VERSION_40).
const hintsFileVersion = 2

// maxHintsFileSize is max_hints_file_size (128MiB, settings.txt).
const maxHintsFileSize = 128 << 20

func (h *hintsService) dir() string {
	if h.n.dir() == "" {
		return ""
	}
	return filepath.Join(h.n.dir(), "hints")
}

// shouldHint is StorageProxy.shouldHint as coordinator h.n decides it for
// target t. It takes the cluster lock: call it without c.mu held.
func (h *hintsService) shouldHint(t *Node) bool {
	n := h.n
	rt := n.rt
	if t == n || rt.get("hinted_handoff_enabled") != true {
		return false
	}
	for _, dc := range disabledHintDCs(rt) {
		if dc == t.DC {
			return false // "Not hinting … since its data center … has been disabled"
		}
	}
	window, _ := rt.get("max_hint_window").(spec)
	maxWindow := time.Duration(min(window.milliseconds(), math.MaxInt32)) * time.Millisecond
	expired := n.c.downtime(n, t) > maxWindow
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stores[t.HostID]
	if !expired && hintWindowPersistent {
		expired = time.Now().Add(-maxWindow).After(st.earliestHint())
	}
	if expired {
		h.met.pastWindow(n, t) // HintedHandoffMetrics.incrPastWindow
		return false
	}
	maxSize, _ := rt.get("max_hints_size_per_host").(spec)
	if b := maxSize.bytes(); b > 0 && st.totalFileSize() > b {
		return false // "reached to the max hints size"
	}
	return true
}

// hintWindowPersistent is hint_window_persistent_enabled (true, settings.txt).
const hintWindowPersistent = true

// earliestHint is HintsService.getEarliestHintForHost: the first queued
// file's creation or the earliest buffered hint, now if neither.
func (st *hintsStore) earliestHint() time.Time {
	t := time.Now()
	if st == nil {
		return t
	}
	if len(st.queue) > 0 {
		t = time.UnixMilli(st.queue[0].ts)
	}
	if !st.earliest.IsZero() && st.earliest.Before(t) {
		t = st.earliest
	}
	return t
}

// totalFileSize is HintsStore.getTotalFileSize: queued files and the open
// writer (not the buffer, not a file being dispatched).
func (st *hintsStore) totalFileSize() int64 {
	if st == nil {
		return 0
	}
	var s int64
	for _, f := range st.queue {
		s += f.size
	}
	if st.writer != nil {
		s += st.writer.size
	}
	return s
}

// submit is StorageProxy.submitHint for one target: HintsService.write
// into the buffer, then HintedHandoffMetrics.incrCreatedHints.
func (h *hintsService) submit(t *Node, m *mutation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.met.inProgress.Add(1) // StorageMetrics.totalHintsInProgress, for the runnable's life
	defer h.met.inProgress.Add(-1)
	if !h.on {
		return // "HintsService is shut down and can't accept new hints"
	}
	st := h.stores[t.HostID]
	if st == nil {
		st = &hintsStore{target: t.HostID}
		h.stores[t.HostID] = st
	}
	now := time.Now()
	st.buffer = append(st.buffer, &hint{m: m, created: now, size: hintSize(m)})
	if hintWindowPersistent && st.earliest.IsZero() {
		st.earliest = now
	}
	h.met.totalHints.Add(1)
	h.met.created(h.n, t)
	h.arm()
}

// hintSize estimates a hint's size on disk: HintsWriter's framing (size,
// its CRC, the body's CRC), Hint's creation time and gc grace, and the
// mutation — about 67 bytes for a small INSERT, as the real node's
// 13426-byte file of 200 hints shows (hints-files.txt).
func hintSize(m *mutation) int64 {
	s := int64(12 + 10 + 16 + len(m.key))
	cells := func(cs map[string]cell) {
		for name, c := range cs {
			s += int64(len(name)/4+2) + valueSize(c.v)
		}
	}
	cells(m.static)
	for _, r := range m.rows {
		s += int64(8 * len(r.ck))
		cells(r.cells)
	}
	return s
}

func valueSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case []any:
		var s int64
		for _, e := range x {
			s += 4 + valueSize(e)
		}
		return s
	}
	return 8
}

// start is the node reaching NORMAL: HintsCatalog.load queues every file
// left on disk (an open writer of a killed process included), then
// startDispatch.
func (h *hintsService) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	h.on, h.paused = true, false
	h.met = newHintMetrics()
	h.phase = time.Now()
	for _, st := range h.stores {
		st.buffer, st.earliest, st.dispatched = nil, time.Time{}, false
		if st.inFlight != nil {
			st.queue = append([]*hintsFile{st.inFlight}, st.queue...)
			st.inFlight = nil
		}
		if st.writer != nil {
			st.writer.close()
			st.queue = append(st.queue, st.writer)
			st.writer = nil
		}
		sort.Slice(st.queue, func(i, j int) bool { return st.queue[i].ts < st.queue[j].ts })
	}
	h.arm()
}

// shutdown is HintsService.shutdownBlocking (graceful: drain and stop):
// dispatch stops, the buffer is flushed and the writers closed. A killed
// process loses its buffer, and its open writer stays as it is on disk.
func (h *hintsService) shutdown(graceful bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.on {
		return
	}
	h.on = false
	h.gen++
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	for _, st := range h.stores {
		if st.inFlight != nil { // the aborted session's file goes back, at its offset
			st.queue = append([]*hintsFile{st.inFlight}, st.queue...)
			st.inFlight = nil
		}
		st.dispatched = false
		if graceful {
			h.flush(st)
			h.closeWriter(st)
		}
		st.buffer, st.earliest = nil, time.Time{}
	}
}

// wipe deletes every hint, as emptying hints_directory does (replace).
func (h *hintsService) wipe() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	h.stores = map[cqltype.UUID]*hintsStore{}
}

// work reports whether any periodic task has something to do. h.mu held.
func (h *hintsService) work() bool {
	for _, st := range h.stores {
		// A file in flight is work too: its session may fail and put it
		// back, and the trigger, at a fixed delay in HintsService, must
		// still be running then (TestHintDispatchResumesAfterAFailedSession).
		if len(st.buffer) > 0 || st.writer != nil || len(st.queue) > 0 || st.inFlight != nil {
			return true
		}
	}
	return false
}

// arm schedules the next periodic run, at the service's phase, while there
// is work (an idle node keeps no timer). h.mu held.
func (h *hintsService) arm() {
	if !h.on || h.timer != nil || !h.work() {
		return
	}
	iv := h.n.c.cfg.HintsDispatchInterval
	now := time.Now()
	next := h.phase.Add((now.Sub(h.phase)/iv + 1) * iv)
	gen := h.gen
	h.timer = time.AfterFunc(next.Sub(now), func() { h.tick(gen) })
}

// tick runs the buffer flush, then HintsDispatchTrigger.
func (h *hintsService) tick(gen int) {
	// Liveness is the coordinator's failure detector (HintsStore.isLive);
	// read it before taking h.mu, which is never held inside c.mu.
	live := map[cqltype.UUID]bool{}
	c := h.n.c
	c.mu.Lock()
	for _, t := range c.nodes {
		if _, down := h.n.down[t.idx]; !down && t != h.n {
			live[t.HostID] = true
		}
	}
	c.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen != h.gen {
		return
	}
	h.timer = nil
	ids := make([]cqltype.UUID, 0, len(h.stores))
	for id := range h.stores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		h.flush(h.stores[id])
	}
	if !h.paused {
		for _, id := range ids {
			st := h.stores[id]
			if st.dispatched || !live[id] || (st.writer == nil && len(st.queue) == 0 && st.inFlight == nil) {
				continue
			}
			// HintsDispatchTrigger.schedule: dispatch the queued files
			// (first the one a paused session left, at its offset), then
			// close the writer, then forget the earliest hint.
			if len(st.queue) > 0 || st.inFlight != nil {
				st.dispatched = true
				go h.dispatch(st, h.gen)
			}
			h.closeWriter(st)
			st.earliest = time.Time{}
		}
	}
	h.arm()
}

// flush writes the buffered hints of st to its writer, opening one if
// needed and a new one past max_hints_file_size. h.mu held.
func (h *hintsService) flush(st *hintsStore) {
	for _, ht := range st.buffer {
		if st.writer == nil {
			st.lastUsed = max(time.Now().UnixMilli(), st.lastUsed+1)
			st.writer = h.openFile(st.target, st.lastUsed)
		}
		st.writer.append(ht)
		if st.writer.size >= maxHintsFileSize {
			h.closeWriter(st)
		}
	}
	st.buffer = nil
}

// closeWriter is HintsStore.closeWriter: the .crc32 is written and the
// file queued for dispatch. h.mu held.
func (h *hintsService) closeWriter(st *hintsStore) {
	if st.writer == nil {
		return
	}
	st.writer.close()
	st.queue = append(st.queue, st.writer)
	st.writer = nil
}

// openFile creates <host id>-<ts>-2.hints with its HintsDescriptor header
// (HintsDescriptor.serialize: version, timestamp, host id, parameters).
func (h *hintsService) openFile(target cqltype.UUID, ts int64) *hintsFile {
	f := &hintsFile{ts: ts, crc: crc32.NewIEEE()}
	params := []byte("{}")
	fields := binary.BigEndian.AppendUint32(nil, hintsFileVersion)
	fields = binary.BigEndian.AppendUint64(fields, uint64(ts))
	fields = append(fields, target[:]...)
	fields = binary.BigEndian.AppendUint32(fields, uint32(len(params)))
	crc := crc32.NewIEEE()
	crc.Write(fields)
	hdr := binary.BigEndian.AppendUint32(append([]byte(nil), fields...), crc.Sum32())
	crc.Write(params)
	hdr = binary.BigEndian.AppendUint32(append(hdr, params...), crc.Sum32())
	if d := h.dir(); d != "" {
		f.path = filepath.Join(d, fmt.Sprintf("%s-%d-%d.hints", target, ts, hintsFileVersion))
	}
	f.write(hdr)
	return f
}

func (f *hintsFile) write(b []byte) {
	f.size += int64(len(b))
	f.crc.Write(b)
	if f.path == "" {
		return
	}
	if w, err := os.OpenFile(f.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
		w.Write(b)
		w.Close()
	}
}

// append frames one hint as HintsWriter.Session.append does.
func (f *hintsFile) append(ht *hint) {
	body := make([]byte, max(ht.size-12, 0))
	copy(body, fmt.Sprintf("%s %s %d", ht.m.t.ID, ht.m.key, ht.created.UnixMilli()))
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	crc := crc32.NewIEEE()
	crc.Write(b)
	b = binary.BigEndian.AppendUint32(b, crc.Sum32())
	crc.Write(body)
	b = binary.BigEndian.AppendUint32(append(b, body...), crc.Sum32())
	f.hints = append(f.hints, ht)
	f.write(b)
}

// close writes the .crc32 beside the file: the hex CRC32 of all of it
// (HintsWriter.writeChecksum).
func (f *hintsFile) close() {
	if f.path == "" {
		return
	}
	os.WriteFile(f.crcPath(), []byte(fmt.Sprintf("%x", f.crc.Sum32())), 0o644)
}

func (f *hintsFile) crcPath() string { return f.path[:len(f.path)-len(".hints")] + ".crc32" }

func (f *hintsFile) delete() {
	if f.path != "" {
		os.Remove(f.path)
		os.Remove(f.crcPath())
	}
}

// dispatch is DispatchHintsTask: it delivers the queued files of st one
// after the other, throttled, until the queue is empty, the target is no
// longer alive or reachable, dispatch is paused, or the service stops.
func (h *hintsService) dispatch(st *hintsStore, gen int) {
	c := h.n.c
	target := c.nodeByHostID(st.target)
	h.mu.Lock()
	h.met.serviceMetrics(h.n) // HintsServiceMetrics is loaded by the first dispatch
	h.mu.Unlock()
	lim := newRateLimiter(h.throttle())
	for {
		h.mu.Lock()
		if gen != h.gen || h.paused || target == nil {
			st.dispatched = false
			h.mu.Unlock()
			return
		}
		f := st.inFlight
		if f == nil {
			if len(st.queue) == 0 {
				st.dispatched = false
				h.arm()
				h.mu.Unlock()
				return
			}
			f, st.queue = st.queue[0], st.queue[1:]
			st.inFlight = f
		}
		if f.next >= len(f.hints) {
			f.delete() // HintsDispatchExecutor: the delivered file is deleted
			st.inFlight = nil
			h.mu.Unlock()
			continue
		}
		ht := f.hints[f.next]
		h.mu.Unlock()

		lim.acquire(ht.size)
		ok, timedOut := h.deliver(target, ht)
		h.mu.Lock()
		if gen != h.gen {
			h.mu.Unlock()
			return
		}
		if !ok {
			if timedOut {
				h.met.timedOut.mark() // HintsServiceMetrics.hintsTimedOut
			}
			// The session ends; the file goes back first, at its offset,
			// for the next trigger.
			st.queue = append([]*hintsFile{f}, st.queue...)
			st.inFlight, st.dispatched = nil, false
			h.arm()
			h.mu.Unlock()
			return
		}
		f.next++
		h.met.succeeded.mark()
		h.met.delay(h.n, target, time.Since(ht.created))
		h.mu.Unlock()
	}
}

// deliver sends one hint (HintMessage) and applies it on the target
// (HintVerbHandler). A target the failure detector sees down aborts the
// session (HintsDispatcher's abort check); one that is alive but does not
// answer times out.
func (h *hintsService) deliver(t *Node, ht *hint) (ok, timedOut bool) {
	c := h.n.c
	if !c.sees(h.n, t) {
		return false, false
	}
	c.mu.Lock()
	running := t.state == StateRunning && t.store != nil
	c.mu.Unlock()
	if !running || !c.canTalk(h.n, t) {
		time.Sleep(h.n.c.cfg.RequestTimeout)
		return false, true
	}
	// A hint for a dropped table is dropped (HintVerbHandler: UnknownTableException).
	if k := c.schema.keyspace(ht.m.t.Keyspace); k != nil && k.Table(ht.m.t.Name) != nil {
		t.store.apply(ht.m)
	}
	return true, false
}

// throttle is the dispatch rate in bytes per second (0: unthrottled):
// hinted_handoff_throttle scaled by the number of other nodes (CASSANDRA-5272).
func (h *hintsService) throttle() float64 {
	s, _ := h.n.rt.get("hinted_handoff_throttle").(spec)
	nodes := max(1, len(h.n.c.nodes)-1)
	return float64(s.kibibytes()) * 1024 / float64(nodes)
}

// rateLimiter is Guava's SmoothBursty RateLimiter as acquire uses it: a
// request is granted at once and its cost delays the next one.
type rateLimiter struct {
	rate float64 // permits per second; 0 unlimited
	next time.Time
}

func newRateLimiter(rate float64) *rateLimiter { return &rateLimiter{rate: rate} }

func (l *rateLimiter) acquire(permits int64) {
	if l.rate <= 0 {
		return
	}
	now := time.Now()
	if l.next.After(now) {
		time.Sleep(l.next.Sub(now))
		now = l.next
	}
	l.next = now.Add(time.Duration(float64(permits) / l.rate * float64(time.Second)))
}

// pendingHints is HintsService.getPendingHintsInfo: the targets with
// queued files, their count and oldest and newest creation times.
type pendingHints struct {
	target         cqltype.UUID
	files          int
	oldest, newest int64
}

func (h *hintsService) pending() []pendingHints {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []pendingHints
	for _, st := range h.stores {
		if len(st.queue) == 0 {
			continue
		}
		p := pendingHints{target: st.target, files: len(st.queue), oldest: math.MaxInt64, newest: math.MinInt64}
		for _, f := range st.queue {
			p.oldest, p.newest = min(p.oldest, f.ts), max(p.newest, f.ts)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].target.String() < out[j].target.String() })
	return out
}

// deleteAll is HintsCatalog.deleteAllHints (for one target, or all with
// nil): the queued files go; the open writer and a file being dispatched stay.
func (h *hintsService) deleteAll(target *cqltype.UUID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, st := range h.stores {
		if target != nil && id != *target {
			continue
		}
		for _, f := range st.queue {
			f.delete()
		}
		st.queue = nil
	}
}

func (h *hintsService) setPaused(p bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused = p
}

// Paused is HintsService.isDispatchPaused.
func (h *hintsService) isPaused() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.paused || !h.on
}

// disabledHintDCs is hinted_handoff_disabled_datacenters in the order the
// set iterates.
func disabledHintDCs(rt *nodeRuntime) []string {
	l, _ := rt.get("hinted_handoff_disabled_datacenters").([]string)
	return chmOrder(l)
}

// chmOrder is the iteration order of a ConcurrentHashMap-backed set of
// strings (Config.hinted_handoff_disabled_datacenters), given in insertion
// order: by bin of a 16-bin table (doubled past 0.75 load), insertion
// order within a bin. A real node listed [datacenter1, dcX].
func chmOrder(l []string) []string {
	bins := 16
	for len(l) > bins*3/4 {
		bins *= 2
	}
	return byBin(l, bins, false)
}

// chmDeserialized is the order of such a set after Java serialization,
// as nodetool receives it over JMX: ConcurrentHashMap.readObject sizes the
// table for the count (tableSizeFor(1 + n/0.75)) and pushes each entry on
// its bin's head. statushandoff printed dcX before datacenter1.
func chmDeserialized(l []string) []string {
	bins := 1
	for bins < int(1.0+float64(len(l))/0.75) {
		bins *= 2
	}
	return byBin(l, bins, true)
}

func byBin(l []string, bins int, reverse bool) []string {
	type e struct {
		s        string
		bin, pos int
	}
	es := make([]e, len(l))
	for i, s := range l {
		h := jolokia.StringHash(s)
		es[i] = e{s, int((h ^ h>>16) & 0x7fffffff & uint32(bins-1)), i}
		if reverse {
			es[i].pos = -i
		}
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].bin != es[j].bin {
			return es[i].bin < es[j].bin
		}
		return es[i].pos < es[j].pos
	})
	out := make([]string, len(es))
	for i, x := range es {
		out[i] = x.s
	}
	return out
}

// downtime is Gossiper.getEndpointDowntime as observer i sees j: since
// when i has had j marked down, 0 while it sees j up.
func (c *Cluster) downtime(i, j *Node) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, down := i.down[j.idx]; down {
		return time.Since(at)
	}
	return 0
}

func (c *Cluster) nodeByHostID(id cqltype.UUID) *Node {
	for _, n := range c.nodes {
		if n.HostID == id {
			return n
		}
	}
	return nil
}

// nodeByAddress is InetAddressAndPort.getByName then the node of that
// address ("127.0.0.3" or "127.0.0.3:7000"); nil if none.
func (c *Cluster) nodeByAddress(s string) *Node {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || int(ap.Port()) != c.cfg.StoragePort {
			return nil
		}
		a = ap.Addr()
	}
	return c.byAddr[a]
}

// genPendingHints is PendingHintsTable: a row per target with queued
// files; status is the coordinator's failure detector view (UP/DOWN).
func genPendingHints(x *execCtx, _ *schema.Table) []map[string]any {
	var out []map[string]any
	for _, p := range x.n.hints.pending() {
		r := map[string]any{"host_id": p.target, "files": int32(p.files),
			"newest": time.UnixMilli(p.newest).UTC(), "oldest": time.UnixMilli(p.oldest).UTC(),
			"rack": "Unknown", "dc": "Unknown", "status": "Unknown"}
		if t := x.n.c.nodeByHostID(p.target); t != nil {
			r["address"], r["port"] = t.Addr, int32(x.n.c.cfg.StoragePort)
			r["rack"], r["dc"], r["status"] = t.Rack, t.DC, x.n.simpleState(t)
		}
		out = append(out, r)
	}
	return out
}

// simpleState is FailureDetector.getSimpleStatesWithPort for one peer.
func (n *Node) simpleState(t *Node) string {
	if n.c.sees(n, t) {
		return "UP"
	}
	return "DOWN"
}

// HintsState describes, for a fault harness, what the node's hints
// service holds per target right now: the simulator's ground truth
// beside what its metrics say.
func (n *Node) HintsState() string {
	h := n.hints
	c := n.c
	live := map[cqltype.UUID]bool{}
	c.mu.Lock()
	for _, t := range c.nodes {
		if _, down := n.down[t.idx]; !down && t != n {
			live[t.HostID] = true
		}
	}
	c.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s hints: on=%v paused=%v timer=%v", n.Addr, h.on, h.paused, h.timer != nil)
	ids := make([]cqltype.UUID, 0, len(h.stores))
	for id := range h.stores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		st := h.stores[id]
		queued := 0
		for _, f := range st.queue {
			queued += len(f.hints) - f.next
		}
		writer, inFlight := 0, 0
		if st.writer != nil {
			writer = len(st.writer.hints)
		}
		if st.inFlight != nil {
			inFlight = len(st.inFlight.hints) - st.inFlight.next
		}
		fmt.Fprintf(&b, "; -> %s live=%v dispatched=%v buffer=%d writer=%d queued=%d (%d files) in_flight=%d",
			id, live[id], st.dispatched, len(st.buffer), writer, queued, len(st.queue), inFlight)
	}
	return b.String()
}
