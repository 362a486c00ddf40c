package sim

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
)

// nodeRuntime is a node's in-memory, non-schema state: hot settings changed
// through JMX, prepared statements, counters. It is reset on restart
// (settings return to the yaml values, prepared statements are lost).
type nodeRuntime struct {
	requests atomic.Int64

	mu       sync.Mutex
	prepared map[string]*prepared
	// Hot settings by 4.1 Config name (see hotSettings): spec, int or bool.
	settings map[string]any
	// tasks are running compactions/cleanups for system_views.sstable_tasks.
	tasks     map[string]*sstableTask
	completed map[string]int64 // thread pool completed task counters
}

type sstableTask struct {
	Keyspace, Table, Kind string
	ID                    [16]byte
	Progress, Total       int64
}

func (n *Node) initRuntime() { n.rt = &nodeRuntime{}; n.rt.reset() }

func (r *nodeRuntime) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared = map[string]*prepared{}
	r.settings = defaultHotSettings()
	r.tasks = map[string]*sstableTask{}
	r.completed = map[string]int64{}
}

func (r *nodeRuntime) prepare(id string, p *prepared) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared[id] = p
}

func (r *nodeRuntime) lookup(id string) *prepared {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prepared[id]
}

func (r *nodeRuntime) get(k string) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settings[k]
}

func (r *nodeRuntime) set(k string, v any) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.settings[k]
	r.settings[k] = v
	return old
}

// spec is a Cassandra 4.1 Config value with a unit (DataRateSpec,
// DataStorageSpec, DurationSpec): a non-negative quantity and the unit
// symbol it is printed with, as system_views.settings shows it
// ("64MiB/s", "25000000B/s", "5KiB", "3h", "7200000ms").
type spec struct {
	q    int64
	unit string
}

func (s spec) String() string { return fmt.Sprintf("%d%s", s.q, s.unit) }

// parseSpec reads a captured settings value such as "64MiB/s" or "3h".
func parseSpec(v string) spec {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	q, _ := strconv.ParseInt(v[:i], 10, 64)
	return spec{q, v[i:]}
}

// javaRound is Ints.saturatedCast(Math.round(d)), as DataRateSpec's
// to…AsInt methods compute it.
func javaRound(d float64) int {
	r := math.Floor(d + 0.5)
	switch {
	case math.IsNaN(d):
		return 0
	case r >= math.MaxInt32:
		return math.MaxInt32
	case r <= math.MinInt32:
		return math.MinInt32
	}
	return int(r)
}

// The DataRateSpec.DataRateUnit conversions of 4.1 (config/DataRateSpec.java),
// including its odd KiB/s → megabits factor (d / 122.0).
const maxDouble = float64(math.MaxInt64)

func (s spec) bytesPerSecond() float64 {
	d := float64(s.q)
	switch s.unit {
	case "KiB/s":
		return satMul(d, 1024)
	case "MiB/s":
		return satMul(d, 1024*1024)
	}
	return d
}

func (s spec) mebibytesPerSecond() float64 {
	d := float64(s.q)
	switch s.unit {
	case "B/s":
		return d / (1024 * 1024)
	case "KiB/s":
		return d / 1024
	}
	return d
}

func (s spec) megabitsPerSecond() float64 {
	d := float64(s.q)
	switch s.unit {
	case "B/s":
		return d / 125000
	case "KiB/s":
		return d / 122.0
	}
	return satMul(d, 8.388608)
}

func satMul(d, m float64) float64 {
	if d > maxDouble/m {
		return maxDouble
	}
	return d * m
}

// kibibytes is DataStorageSpec.IntKibibytesBound.toKibibytes().
func (s spec) kibibytes() int {
	var k int64
	switch s.unit {
	case "B":
		k = s.q / 1024
	case "KiB":
		k = s.q
	case "MiB":
		k = satMulInt(s.q, 1024)
	case "GiB":
		k = satMulInt(s.q, 1024*1024)
	}
	return int(min(k, math.MaxInt32))
}

// bytes is DataStorageSpec.toBytes.
func (s spec) bytes() int64 {
	switch s.unit {
	case "KiB":
		return satMulInt(s.q, 1024)
	case "MiB":
		return satMulInt(s.q, 1024*1024)
	case "GiB":
		return satMulInt(s.q, 1024*1024*1024)
	}
	return s.q
}

// milliseconds is DurationSpec's toMilliseconds() (TimeUnit.toMillis,
// which saturates).
func (s spec) milliseconds() int64 {
	switch s.unit {
	case "ns":
		return s.q / 1e6
	case "us", "µs":
		return s.q / 1e3
	case "ms":
		return s.q
	case "s":
		return satMulInt(s.q, 1e3)
	case "m":
		return satMulInt(s.q, 60e3)
	case "h":
		return satMulInt(s.q, 3600e3)
	case "d":
		return satMulInt(s.q, 86400e3)
	}
	return 0
}

func satMulInt(a, b int64) int64 {
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
