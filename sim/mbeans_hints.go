package sim

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringside/ringside/sim/jolokia"
)

// The hint metrics a 4.1.6 node registers with its Dropwizard registry and
// JmxReporter exposes (metrics/StorageMetrics.java, HintedHandoffMetrics,
// HintsServiceMetrics; names in testdata/cassandra-4.1.6/hints-files.txt):
//
//	org.apache.cassandra.metrics:type=Storage,name=TotalHints, TotalHintsInProgress (and Load, Exceptions, RepairExceptions)
//	org.apache.cassandra.metrics:type=HintsService,name=Hints_created-/<ip>.<port>       counter, on the first hint for the target
//	org.apache.cassandra.metrics:type=HintsService,name=Hints_not_stored-/<ip>.<port>    counter, on the first hint refused past the window
//	org.apache.cassandra.metrics:type=HintsService,name=HintsSucceeded, HintsFailed, HintsTimedOut  meters, on the first dispatch
//	org.apache.cassandra.metrics:type=HintsService,name=Hint_delays, Hint_delays-/<ip>.<port>        histograms (ns), likewise
//
// The HintedHandOffManager metrics of older releases do not exist in 4.1.

const metricsDomain = "org.apache.cassandra.metrics"

// hintMetrics are one JVM's: they start from zero at every start.
type hintMetrics struct {
	totalHints, inProgress atomic.Int64
	// Guarded by the hintsService's mu.
	createdBy, notStoredBy map[string]*int64
	succeeded, failed      *meter
	timedOut               *meter
	delays                 *histogram
	delaysBy               map[string]*histogram
	serviceLoaded          bool
}

func newHintMetrics() *hintMetrics {
	return &hintMetrics{createdBy: map[string]*int64{}, notStoredBy: map[string]*int64{}}
}

// endpointMetricName is "/<ip>:<port>" with ':' replaced by '.', as
// HintedHandoffMetrics names its per-target metrics.
func endpointMetricName(t *Node) string {
	return strings.ReplaceAll("/"+t.Endpoint(), ":", ".")
}

func hintsMetricName(name string) string {
	return metricsDomain + ":type=HintsService,name=" + name
}

// created counts a hint written for t (HintedHandoffMetrics.incrCreatedHints).
func (m *hintMetrics) created(n, t *Node) { endpointCount(m.createdBy, n, t, "Hints_created-") }

// pastWindow is HintedHandoffMetrics.incrPastWindow.
func (m *hintMetrics) pastWindow(n, t *Node) { endpointCount(m.notStoredBy, n, t, "Hints_not_stored-") }

// endpointCount increments t's counter in by, registering its MBean
// (prefix + "/<ip>.<port>") on first use, as the metric is created.
func endpointCount(by map[string]*int64, n, t *Node, prefix string) {
	ep := endpointMetricName(t)
	c := by[ep]
	if c == nil {
		c = new(int64)
		by[ep] = c
		n.registerMetric(counterMBean(hintsMetricName(prefix+ep), func() int64 { return atomic.LoadInt64(c) }))
	}
	atomic.AddInt64(c, 1)
}

// serviceMetrics creates and registers HintsServiceMetrics' static
// metrics, which the JVM loads with the class on the first dispatch.
func (m *hintMetrics) serviceMetrics(n *Node) {
	if m.serviceLoaded {
		return
	}
	m.serviceLoaded = true
	now := time.Now()
	m.succeeded, m.failed, m.timedOut = newMeter(now), newMeter(now), newMeter(now)
	m.delays, m.delaysBy = newHistogram(), map[string]*histogram{}
	n.registerMetric(meterMBean(hintsMetricName("HintsSucceeded"), m.succeeded))
	n.registerMetric(meterMBean(hintsMetricName("HintsFailed"), m.failed))
	n.registerMetric(meterMBean(hintsMetricName("HintsTimedOut"), m.timedOut))
	n.registerMetric(histogramMBean(hintsMetricName("Hint_delays"), m.delays))
}

// delay is HintsServiceMetrics.updateDelayMetrics.
func (m *hintMetrics) delay(n, t *Node, d time.Duration) {
	if d <= 0 {
		return // "Invalid negative latency in hint delivery delay"
	}
	ep := endpointMetricName(t)
	hg := m.delaysBy[ep]
	if hg == nil {
		hg = newHistogram()
		m.delaysBy[ep] = hg
		n.registerMetric(histogramMBean(hintsMetricName("Hint_delays-"+ep), hg))
	}
	m.delays.update(int64(d))
	hg.update(int64(d))
}

// registerMetric adds an MBean to the running agent's registry, if any.
func (n *Node) registerMetric(b *jolokia.MBean) {
	if reg := n.jmxReg.Load(); reg != nil {
		reg.Register(b)
	}
}

// registerHintMBeans serves HintsService's MBean and the hint metrics
// that exist when the agent starts (the JVM's are all new then).
func (n *Node) registerHintMBeans(reg *jolokia.Registry) {
	h := n.hints
	hs := jolokia.HintsService()
	hs.OnCall("pauseDispatch", func([]any) (any, error) { h.setPaused(true); return nil, nil })
	hs.OnCall("resumeDispatch", func([]any) (any, error) { h.setPaused(false); return nil, nil })
	hs.OnCall("deleteAllHints", func([]any) (any, error) { h.deleteAll(nil); return nil, nil })
	hs.OnCall("deleteAllHintsForEndpoint", func(args []any) (any, error) {
		s, _ := args[0].(string)
		t := n.c.nodeByAddress(s)
		if t == nil {
			// HintsService.deleteAllHintsForEndpoint: unknown host → IllegalArgumentException.
			return nil, illegalArg("Can't delete hints for unknown address %s", addressWithSlash(s, n.c.cfg.StoragePort))
		}
		h.deleteAll(&t.HostID)
		return nil, nil
	})
	hs.OnGet("PendingHints", func() (any, error) {
		out := []any{}
		for _, p := range h.pending() {
			// PendingHintsInfo.asMap: a HashMap of strings.
			out = append(out, map[string]any{"host_id": p.target.String(), "total_files": itoa(p.files),
				"oldest_timestamp": itoa64(p.oldest), "newest_timestamp": itoa64(p.newest)})
		}
		return out, nil
	})
	reg.Register(hs)
	storage := func(name string, get func() int64) {
		reg.Register(counterMBean(metricsDomain+":type=Storage,name="+name, get))
	}
	storage("TotalHints", func() int64 { return h.metrics().totalHints.Load() })
	storage("TotalHintsInProgress", func() int64 { return h.metrics().inProgress.Load() })
	storage("Load", n.load)
	storage("Exceptions", func() int64 { return 0 })
	storage("RepairExceptions", func() int64 { return 0 })
}

func (h *hintsService) metrics() *hintMetrics {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.met
}

// addressWithSlash is InetAddressAndPort.toString of a parsed address.
func addressWithSlash(s string, port int) string {
	if strings.Contains(s, ":") {
		return "/" + s
	}
	return "/" + s + ":" + itoa(port)
}

func itoa(i int) string     { return strconv.Itoa(i) }
func itoa64(i int64) string { return strconv.FormatInt(i, 10) }

// The JmxReporter beans (CassandraMetricsRegistry.JmxCounter, JmxMeter,
// JmxHistogram): standard MBeans whose attributes are the interface's
// getters, plus the objectName() (and values()) operations.
const metricsRegistryClass = "org.apache.cassandra.metrics.CassandraMetricsRegistry$"

func metricBean(name, class string, attrs []mxAttr) *jolokia.MBean {
	b := &jolokia.MBean{ObjectName: name, Class: metricsRegistryClass + class, Desc: jolokia.StandardMBeanDesc}
	for _, a := range attrs {
		b.Attrs = append(b.Attrs, &jolokia.Attribute{Name: a.name, Type: a.typ, Desc: jolokia.StandardAttributeDesc, Get: a.get})
	}
	b.Ops = append(b.Ops, &jolokia.Operation{Name: "objectName", Ret: "javax.management.ObjectName", Desc: jolokia.StandardOperationDesc,
		Call: func([]any) (any, error) { return map[string]any{"objectName": name}, nil }})
	return b
}

func counterMBean(name string, get func() int64) *jolokia.MBean {
	return metricBean(name, "JmxCounter", []mxAttr{{"Count", "long", func() (any, error) { return get(), nil }}})
}

func meterMBean(name string, m *meter) *jolokia.MBean {
	rate := func(f func(*meter) float64) func() (any, error) {
		return func() (any, error) { return m.read(f), nil }
	}
	return metricBean(name, "JmxMeter", []mxAttr{
		{"Count", "long", func() (any, error) { return m.count(), nil }},
		{"MeanRate", "double", rate(func(m *meter) float64 { return m.meanRate() })},
		{"OneMinuteRate", "double", rate(func(m *meter) float64 { return m.m1.rate })},
		{"FiveMinuteRate", "double", rate(func(m *meter) float64 { return m.m5.rate })},
		{"FifteenMinuteRate", "double", rate(func(m *meter) float64 { return m.m15.rate })},
		{"RateUnit", "java.lang.String", func() (any, error) { return "events/second", nil }},
	})
}

func histogramMBean(name string, hg *histogram) *jolokia.MBean {
	q := func(p float64) func() (any, error) {
		return func() (any, error) { return hg.snapshot().quantile(p), nil }
	}
	b := metricBean(name, "JmxHistogram", []mxAttr{
		{"Count", "long", func() (any, error) { return hg.snapshot().total, nil }},
		{"Min", "long", func() (any, error) { return hg.snapshot().min(), nil }},
		{"Max", "long", func() (any, error) { return hg.snapshot().max(), nil }},
		{"Mean", "double", func() (any, error) { return hg.snapshot().mean(), nil }},
		{"StdDev", "double", func() (any, error) { return hg.snapshot().stdDev(), nil }},
		{"50thPercentile", "double", q(0.5)},
		{"75thPercentile", "double", q(0.75)},
		{"95thPercentile", "double", q(0.95)},
		{"98thPercentile", "double", q(0.98)},
		{"99thPercentile", "double", q(0.99)},
		{"999thPercentile", "double", q(0.999)},
		{"RecentValues", "[J", func() (any, error) { return hg.recent(), nil }},
	})
	b.Ops = append(b.Ops, &jolokia.Operation{Name: "values", Ret: "[J", Desc: jolokia.StandardOperationDesc,
		Call: func([]any) (any, error) { return hg.snapshot().values(), nil }})
	return b
}

// meter is Dropwizard's Meter: a count, the mean rate since creation and
// 1/5/15-minute exponentially weighted rates ticking every 5 s.
type meter struct {
	mu           sync.Mutex
	start, last  time.Time
	n, uncounted int64
	m1, m5, m15  ewma
}

type ewma struct {
	alpha, rate float64
	init        bool
}

func newMeter(now time.Time) *meter {
	a := func(minutes float64) ewma { return ewma{alpha: 1 - math.Exp(-5.0/60/minutes)} }
	return &meter{start: now, last: now, m1: a(1), m5: a(5), m15: a(15)}
}

const meterTick = 5 * time.Second

func (m *meter) tickIfNecessary(now time.Time) {
	for now.Sub(m.last) >= meterTick {
		m.last = m.last.Add(meterTick)
		inst := float64(m.uncounted) / meterTick.Seconds()
		m.uncounted = 0
		for _, e := range []*ewma{&m.m1, &m.m5, &m.m15} {
			if e.init {
				e.rate += e.alpha * (inst - e.rate)
			} else {
				e.rate, e.init = inst, true
			}
		}
	}
}

func (m *meter) mark() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tickIfNecessary(time.Now())
	m.n++
	m.uncounted++
}

func (m *meter) count() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

func (m *meter) read(f func(*meter) float64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tickIfNecessary(time.Now())
	return f(m)
}

func (m *meter) meanRate() float64 {
	if m.n == 0 {
		return 0
	}
	return float64(m.n) / time.Since(m.start).Seconds()
}

// histogram is DecayingEstimatedHistogramReservoir's bucket layout
// (EstimatedHistogram.newOffsets(164, false): 1, 2, 3 … each bucket 1.2×
// the last) without the forward decay, which leaves recent counts as they
// are over a test's span.
type histogram struct {
	mu       sync.Mutex
	buckets  []int64 // len(histogramOffsets)+1; the last is overflow
	reported []int64 // for RecentValues
	n        int64
}

var histogramOffsets = func() []int64 {
	out := make([]int64, 164)
	last := int64(1)
	out[0] = last
	for i := 1; i < len(out); i++ {
		next := int64(math.Round(float64(last) * 1.2)) // Math.round(last * 1.2)
		if next == last {
			next++
		}
		out[i], last = next, next
	}
	return out
}()

func newHistogram() *histogram {
	return &histogram{buckets: make([]int64, len(histogramOffsets)+1), reported: make([]int64, len(histogramOffsets)+1)}
}

func (hg *histogram) update(v int64) {
	i := sort.Search(len(histogramOffsets), func(i int) bool { return histogramOffsets[i] >= v })
	hg.mu.Lock()
	defer hg.mu.Unlock()
	hg.buckets[i]++
	hg.n++
}

type histSnapshot struct {
	buckets []int64
	total   int64
}

func (hg *histogram) snapshot() histSnapshot {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	return histSnapshot{buckets: append([]int64(nil), hg.buckets...), total: hg.n}
}

// recent is getRecentValues: the bucket counts since the last call.
func (hg *histogram) recent() []int64 {
	hg.mu.Lock()
	defer hg.mu.Unlock()
	out := make([]int64, len(hg.buckets))
	for i, b := range hg.buckets {
		out[i] = b - hg.reported[i]
		hg.reported[i] = b
	}
	return out
}

func (s histSnapshot) values() []int64 { return s.buckets }

func (s histSnapshot) count() int64 {
	var n int64
	for _, b := range s.buckets {
		n += b
	}
	return n
}

// quantile is Snapshot.getValue: the offset of the bucket holding the
// ceil(count·q)-th value.
func (s histSnapshot) quantile(q float64) float64 {
	qc := int64(math.Ceil(float64(s.count()) * q))
	if qc == 0 {
		return 0
	}
	var seen int64
	for i := 0; i < len(s.buckets)-1; i++ {
		seen += s.buckets[i]
		if seen >= qc {
			return float64(histogramOffsets[i])
		}
	}
	return 0
}

func (s histSnapshot) min() int64 {
	for i, b := range s.buckets {
		if b > 0 {
			if i == 0 {
				return 0
			}
			return 1 + histogramOffsets[i-1]
		}
	}
	return 0
}

func (s histSnapshot) max() int64 {
	if s.buckets[len(s.buckets)-1] > 0 {
		return math.MaxInt64
	}
	for i := len(s.buckets) - 2; i >= 0; i-- {
		if s.buckets[i] > 0 {
			return histogramOffsets[i]
		}
	}
	return 0
}

func (s histSnapshot) mean() float64 {
	var n, sum float64
	for i := 0; i < len(s.buckets)-1; i++ {
		n += float64(s.buckets[i])
		sum += float64(s.buckets[i]) * float64(histogramOffsets[i])
	}
	if n == 0 {
		return 0 // Java's 0/0 is NaN; no histogram is registered before its first value
	}
	return sum / n
}

func (s histSnapshot) stdDev() float64 {
	n := s.count()
	if n <= 1 {
		return 0
	}
	mean := s.mean()
	var sum float64
	for i := 0; i < len(s.buckets)-1; i++ {
		d := float64(histogramOffsets[i]) - mean
		sum += float64(s.buckets[i]) * d * d
	}
	return math.Sqrt(sum / float64(n-1))
}
