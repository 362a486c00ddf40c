package sim

import (
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
	// Hot settings, in the units of their JMX attributes.
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
