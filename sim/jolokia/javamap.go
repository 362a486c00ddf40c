package jolokia

import (
	"sort"
	"unicode/utf8"
)

// Map is a string-keyed map that iterates in the order of java.util.HashMap.
//
// Jolokia 1.x builds every JSON object it sends (responses, request echoes,
// list metadata, attribute maps) as an org.json.simple.JSONObject, which is a
// HashMap, so the key order on the wire is HashMap's bucket order. Map
// reproduces it: buckets come from String.hashCode() spread as HashMap does,
// the table grows from 16 at a load factor of 0.75 (and early, like
// treeifyBin, when a bucket passes 8 entries below 64 buckets), and keys that
// share a bucket keep their insertion order. Simulator code returning a map
// whose Java counterpart has colliding keys can use Map to control the
// insertion order; plain Go maps are inserted in sorted key order.
//
// Not reproduced: the order of a bucket HashMap has converted to a tree
// (9+ colliding keys in a table of 64+ buckets), which needs crafted keys.
type Map struct {
	index   map[string]*mapEntry
	entries []*mapEntry // insertion order, removed entries dropped
	seq     int
	buckets int   // table size; 0 until the first Put, as in HashMap
	counts  []int // entries per bucket, for the treeifyBin resize rule
	order   []*mapEntry
	// json marks an org.json.simple.JSONObject (parsed from a request or
	// built by Jolokia), whose toString() is JSON; other maps stand for
	// java.util maps returned by an MBean, whose toString() is "{k=v, ...}".
	json bool
}

type mapEntry struct {
	key  string
	val  any
	hash uint32
	seq  int
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{index: map[string]*mapEntry{}} }

func newJSONMap() *Map {
	m := NewMap()
	m.json = true
	return m
}

// Len returns the number of keys.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.index)
}

// Get returns the value stored under k.
func (m *Map) Get(k string) (any, bool) {
	if m == nil || m.index == nil {
		return nil, false
	}
	e, ok := m.index[k]
	if !ok {
		return nil, false
	}
	return e.val, true
}

// Put stores v under k; an existing key keeps its place, as in HashMap.
func (m *Map) Put(k string, v any) { m.put(k, v, 0, false) }

// put takes the spread hash when the caller already has it.
func (m *Map) put(k string, v any, h uint32, hashed bool) {
	if m.index == nil {
		m.index = map[string]*mapEntry{}
	}
	if e, ok := m.index[k]; ok {
		e.val = v
		return
	}
	if m.buckets == 0 {
		m.buckets = 16
		m.counts = make([]int, 16)
	}
	if !hashed {
		h = spreadHash(javaStringHash(k))
	}
	b := int(h & uint32(m.buckets-1))
	prior := m.counts[b]
	m.counts[b]++
	e := &mapEntry{key: k, val: v, hash: h, seq: m.seq}
	m.seq++
	m.index[k] = e
	m.entries = append(m.entries, e)
	m.order = nil
	// putVal calls treeifyBin when the chain it appended to had 8 nodes;
	// below 64 buckets treeifyBin only resizes.
	if prior >= 8 && m.buckets < 64 {
		m.resize()
	}
	if len(m.index) > m.buckets*3/4 {
		m.resize()
	}
}

// Remove deletes k; a later Put of k goes to the end of its bucket.
func (m *Map) Remove(k string) {
	if m == nil || m.index == nil {
		return
	}
	e, ok := m.index[k]
	if !ok {
		return
	}
	delete(m.index, k)
	m.counts[int(e.hash&uint32(m.buckets-1))]--
	for i, x := range m.entries {
		if x == e {
			m.entries = append(m.entries[:i:i], m.entries[i+1:]...)
			break
		}
	}
	m.order = nil
}

func (m *Map) resize() {
	m.buckets *= 2
	m.counts = make([]int, m.buckets)
	for _, e := range m.entries {
		m.counts[int(e.hash&uint32(m.buckets-1))]++
	}
}

// Keys returns the keys in java.util.HashMap iteration order.
func (m *Map) Keys() []string {
	es := m.sorted()
	ks := make([]string, len(es))
	for i, e := range es {
		ks[i] = e.key
	}
	return ks
}

// Range calls f for each entry in HashMap iteration order until f returns false.
func (m *Map) Range(f func(k string, v any) bool) {
	for _, e := range m.sorted() {
		if !f(e.key, e.val) {
			return
		}
	}
}

// sorted orders entries by bucket, then insertion: resizes split buckets
// without reordering them and new nodes are appended to the chain.
func (m *Map) sorted() []*mapEntry {
	if m == nil {
		return nil
	}
	if m.order != nil {
		return m.order
	}
	es := append([]*mapEntry(nil), m.entries...)
	mask := uint32(m.buckets - 1)
	sort.SliceStable(es, func(i, j int) bool {
		bi, bj := es[i].hash&mask, es[j].hash&mask
		if bi != bj {
			return bi < bj
		}
		return es[i].seq < es[j].seq
	})
	m.order = es
	return es
}

// StringHash is java.lang.String.hashCode, for simulator code that orders
// other Java hash collections.
func StringHash(s string) uint32 { return javaStringHash(s) }

// javaStringHash is java.lang.String.hashCode over the UTF-16 code units.
func javaStringHash(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}

// spreadHash is HashMap.hash(): the high half folded into the low half.
func spreadHash(h uint32) uint32 { return h ^ (h >> 16) }

// utf16Units is the UTF-16 form Java keeps strings in.
func utf16Units(s string) []uint16 {
	us := make([]uint16, 0, len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		if r >= 0x10000 {
			r -= 0x10000
			us = append(us, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		us = append(us, uint16(r))
	}
	return us
}

// javaLess is String.compareTo ordering (UTF-16 code units).
func javaLess(a, b string) bool {
	ua, ub := utf16Units(a), utf16Units(b)
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}
