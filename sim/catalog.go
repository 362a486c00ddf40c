package sim

import (
	"crypto/md5"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ringside/ringside/ring"
	"github.com/ringside/ringside/sim/cqltype"
	"github.com/ringside/ringside/sim/schema"
)

// catalog is the cluster's schema. Every node shares it (schema agreement
// is instantaneous in the simulator); the version is a name-based UUID of
// the schema's content, as Cassandra derives schema_version from a digest.
type catalog struct {
	c       *Cluster
	mu      sync.RWMutex
	ks      map[string]*schema.Keyspace
	repl    map[string]*ring.ReplicaMap
	version cqltype.UUID
}

const (
	classLocal  = "org.apache.cassandra.locator.LocalStrategy"
	classSimple = "org.apache.cassandra.locator.SimpleStrategy"
	classNTS    = "org.apache.cassandra.locator.NetworkTopologyStrategy"
)

func newCatalog(c *Cluster) *catalog {
	k := &catalog{c: c, ks: map[string]*schema.Keyspace{}, repl: map[string]*ring.ReplicaMap{}}
	for _, ks := range schema.SystemKeyspaces() {
		k.ks[ks.Name] = ks
	}
	k.bump()
	return k
}

// bump recomputes the schema version and drops cached replica maps. mu held (or construction).
func (k *catalog) bump() {
	h := md5.New()
	names := make([]string, 0, len(k.ks))
	for n := range k.ks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ks := k.ks[n]
		fmt.Fprintf(h, "ks %s %v %v\n", n, sortedMap(ks.Replication), ks.DurableWrites)
		for _, t := range ks.Tables {
			fmt.Fprintf(h, " t %s %s\n", t.Name, t.ID)
			for _, c := range t.Columns {
				fmt.Fprintf(h, "  c %s %s %d %s\n", c.Name, c.Kind, c.Position, c.Type)
			}
		}
	}
	var u cqltype.UUID
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x30 // name-based (version 3), like UUID.nameUUIDFromBytes
	u[8] = u[8]&0x3f | 0x80
	k.version = u
	k.repl = map[string]*ring.ReplicaMap{}
}

func sortedMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + ";")
	}
	return b.String()
}

// Version is the schema_version every node reports.
func (k *catalog) Version() cqltype.UUID {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.version
}

func (k *catalog) keyspace(name string) *schema.Keyspace {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ks[name]
}

// keyspaces returns every keyspace sorted by name.
func (k *catalog) keyspaces() []*schema.Keyspace {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]*schema.Keyspace, 0, len(k.ks))
	for _, ks := range k.ks {
		out = append(out, ks)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// table resolves keyspace.table with Cassandra's error messages
// (Schema.validateTable).
func (k *catalog) table(ks, name string) (*schema.Keyspace, *schema.Table, error) {
	if ks == "" {
		return nil, nil, invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	kd := k.ks[ks]
	if kd == nil {
		return nil, nil, invalid("keyspace %s does not exist", ks)
	}
	t := kd.Table(name)
	if t == nil {
		return nil, nil, invalid("table %s does not exist", name)
	}
	return kd, t, nil
}

// replicaMap returns the cached replica placement of a keyspace, or nil
// for LocalStrategy and virtual keyspaces (served by the coordinator alone).
func (k *catalog) replicaMap(ks *schema.Keyspace) (*ring.ReplicaMap, error) {
	if ks.Virtual || ks.Replication["class"] == classLocal {
		return nil, nil
	}
	k.mu.RLock()
	m := k.repl[ks.Name]
	k.mu.RUnlock()
	if m != nil {
		return m, nil
	}
	r, err := ring.ParseReplication(ks.Replication)
	if err != nil {
		return nil, err
	}
	m, err = k.c.topo.ReplicaMap(r)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.repl[ks.Name] = m
	k.mu.Unlock()
	return m, nil
}

// update applies fn to a copy-on-write snapshot and bumps the version.
func (k *catalog) update(fn func(ks map[string]*schema.Keyspace) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	next := make(map[string]*schema.Keyspace, len(k.ks))
	for n, ks := range k.ks {
		next[n] = ks
	}
	if err := fn(next); err != nil {
		return err
	}
	k.ks = next
	k.bump()
	return nil
}

// normaliseReplication validates a replication map from DDL and returns it
// as system_schema.keyspaces stores it (fully qualified class, string values).
func (k *catalog) normaliseReplication(ksName string, m map[string]string) (map[string]string, error) {
	class := m["class"]
	if class == "" {
		return nil, config("Missing replication strategy class")
	}
	switch class {
	case "SimpleStrategy", classSimple:
		class = classSimple
	case "NetworkTopologyStrategy", classNTS:
		class = classNTS
	case "LocalStrategy", classLocal, "EverywhereStrategy", "org.apache.cassandra.locator.EverywhereStrategy":
		return nil, config("Unable to use given strategy class: %s is reserved for internal use.", class)
	default:
		return nil, config("Unable to find replication strategy class '%s'", class)
	}
	out := map[string]string{"class": class}
	dcs := map[string]bool{}
	for _, n := range k.c.nodes {
		dcs[n.DC] = true
	}
	for key, v := range m {
		if key == "class" {
			continue
		}
		if class == classSimple && key != "replication_factor" {
			return nil, config("Unrecognized strategy option {%s} passed to SimpleStrategy for keyspace %s", key, ksName)
		}
		if class == classNTS && key != "replication_factor" && !dcs[key] {
			return nil, config("Unrecognized strategy option {%s} passed to NetworkTopologyStrategy for keyspace %s", key, ksName)
		}
		if err := validateRF(v); err != nil {
			return nil, err
		}
		out[key] = v
	}
	if class == classSimple && out["replication_factor"] == "" {
		return nil, config("SimpleStrategy requires a replication_factor strategy option.")
	}
	if class == classNTS {
		// NetworkTopologyStrategy expands replication_factor to every DC (CASSANDRA-14303).
		if rf, ok := out["replication_factor"]; ok {
			delete(out, "replication_factor")
			for dc := range dcs {
				if _, set := out[dc]; !set {
					out[dc] = rf
				}
			}
		}
	}
	if _, err := ring.ParseReplication(out); err != nil {
		return nil, config("%v", err)
	}
	return out, nil
}

func validateRF(v string) error {
	full, trans, hasTrans := strings.Cut(v, "/")
	if !isDigits(full) || (hasTrans && !isDigits(trans)) {
		return config("Replication factor must be non-negative, found %s", v)
	}
	if hasTrans && trans != "0" {
		return config("Transient replication is disabled. Enable in cassandra.yaml to use.")
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
