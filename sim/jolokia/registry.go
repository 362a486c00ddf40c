package jolokia

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Attribute is an MBean attribute as JMX describes it (getX/isX/setX of a
// standard MBean interface). Get and Set run inside the agent's single
// request thread; an attribute whose Get (or Set, if RW) is nil throws
// NotSimulated(Name) when used.
type Attribute struct {
	Name string
	// Type is the Java type as `list` shows it: "int", "java.lang.String",
	// "java.util.List", "[Ljava.lang.String;".
	Type string
	Desc string
	// RW is true for readable and writable attributes (list's "rw").
	RW bool
	// WriteOnly marks an attribute with a setter but no getter; it is not
	// read by a read of all attributes and reading it fails.
	WriteOnly bool
	// Get returns the value: nil, bool, string, any Go integer or float
	// (float32 is a Java float), a slice, a map (keys are inserted sorted),
	// or *Map for Java HashMap key order with a chosen insertion order.
	Get func() (any, error)
	// Set receives the written value converted per Type (see Operation.Call).
	Set func(v any) error
}

// Arg is an operation parameter.
type Arg struct {
	Name, Type, Desc string
}

// Operation is an MBean operation; overloads are several Operations with the
// same Name.
type Operation struct {
	Name string
	Args []Arg
	Ret  string
	Desc string
	// Call receives the arguments converted per Arg.Type the way Jolokia's
	// StringToObjectConverter does, as Go values: java.lang.String and char
	// -> string; int, long, short, byte and their wrappers -> int64; double,
	// float and wrappers -> float64; boolean -> bool; "[Ljava.lang.String;"
	// -> []string (null elements become ""); other arrays -> []int64,
	// []float64, []bool or []any; java.util.Map -> map[string]any;
	// java.util.List/Collection -> []any; java.lang.Object -> the JSON value
	// (string, int64, float64, bool, nil, map[string]any, []any). A JSON null
	// arrives as nil. A void operation returns nil.
	Call func(args []any) (any, error)
}

// MBean is a registered MBean's metadata and behaviour.
type MBean struct {
	ObjectName string // e.g. "org.apache.cassandra.db:type=StorageService"
	Desc       string // MBeanInfo description
	Class      string // implementation class, e.g. "org.apache.cassandra.service.StorageService"
	Attrs      []*Attribute
	Ops        []*Operation
}

// Default descriptions of a JMX standard MBean, as `list` shows them.
const (
	StandardMBeanDesc     = "Information on the management interface of the MBean"
	StandardAttributeDesc = "Attribute exposed for management"
	StandardOperationDesc = "Operation exposed for management"
)

// Attribute returns the attribute called name, or nil.
func (m *MBean) Attribute(name string) *Attribute {
	for _, a := range m.Attrs {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Operation finds an operation by Jolokia's syntax: "name" if it is not
// overloaded, or "name(type,type)" ("name()" for no parameters). It returns
// nil when nothing (or more than one overload) matches.
func (m *MBean) Operation(sig string) *Operation {
	name, types, hasSig := splitSignature(sig)
	var found *Operation
	for _, op := range m.Ops {
		if op.Name != name {
			continue
		}
		if hasSig && !sameTypes(op.Args, types) {
			continue
		}
		if found != nil {
			return nil
		}
		found = op
	}
	return found
}

// OnGet sets the getter of an attribute; it panics if there is no such
// attribute, so that a typo cannot add an attribute Cassandra lacks.
func (m *MBean) OnGet(name string, get func() (any, error)) *MBean {
	m.mustAttr(name).Get = get
	return m
}

// OnSet sets the setter of a writable attribute (panics if missing or read-only).
func (m *MBean) OnSet(name string, set func(any) error) *MBean {
	a := m.mustAttr(name)
	if !a.RW && !a.WriteOnly {
		panic(fmt.Sprintf("jolokia: attribute %s of %s is read-only", name, m.ObjectName))
	}
	a.Set = set
	return m
}

// OnCall sets the implementation of an operation given as for Operation
// (panics if it does not resolve to exactly one operation).
func (m *MBean) OnCall(sig string, call func(args []any) (any, error)) *MBean {
	op := m.Operation(sig)
	if op == nil {
		panic(fmt.Sprintf("jolokia: no single operation %s on %s", sig, m.ObjectName))
	}
	op.Call = call
	return m
}

func (m *MBean) mustAttr(name string) *Attribute {
	a := m.Attribute(name)
	if a == nil {
		panic(fmt.Sprintf("jolokia: no attribute %s on %s", name, m.ObjectName))
	}
	return a
}

// Clone returns a deep copy of the metadata without implementations, so that
// every simulated node can attach its own.
func (m *MBean) Clone() *MBean {
	c := &MBean{ObjectName: m.ObjectName, Desc: m.Desc, Class: m.Class}
	for _, a := range m.Attrs {
		c.Attrs = append(c.Attrs, &Attribute{Name: a.Name, Type: a.Type, Desc: a.Desc, RW: a.RW, WriteOnly: a.WriteOnly})
	}
	for _, o := range m.Ops {
		c.Ops = append(c.Ops, &Operation{Name: o.Name, Args: append([]Arg(nil), o.Args...), Ret: o.Ret, Desc: o.Desc})
	}
	return c
}

func splitSignature(sig string) (name string, types []string, hasSig bool) {
	if !strings.HasSuffix(sig, ")") {
		return sig, nil, false
	}
	i := strings.Index(sig, "(")
	if i < 0 {
		return sig, nil, false
	}
	inner := sig[i+1 : len(sig)-1]
	if inner == "" {
		return sig[:i], []string{}, true
	}
	for _, t := range strings.Split(inner, ",") {
		types = append(types, strings.TrimSpace(t))
	}
	return sig[:i], types, true
}

func sameTypes(args []Arg, types []string) bool {
	if len(args) != len(types) {
		return false
	}
	for i, a := range args {
		if a.Type != types[i] {
			return false
		}
	}
	return true
}

// Registry is an in-process MBean server.
type Registry struct {
	mu      sync.RWMutex
	beans   map[string]*registered // by canonical name
	seq     int
	changed time.Time // last registration change, for ifModifiedSince
	clock   func() time.Time
}

type registered struct {
	bean *MBean
	name *objectName
	seq  int
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{beans: map[string]*registered{}, clock: time.Now}
}

// Register adds (or replaces) an MBean under its ObjectName, which must be a
// valid, non-pattern JMX object name.
func (r *Registry) Register(mb *MBean) error {
	on, err := parseObjectName(mb.ObjectName)
	if err != nil {
		return fmt.Errorf("jolokia: object name %q: %s", mb.ObjectName, err.message())
	}
	if on.isPattern() {
		return fmt.Errorf("jolokia: object name %q is a pattern", mb.ObjectName)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	r.beans[on.canonical()] = &registered{bean: mb, name: on, seq: r.seq}
	r.changed = r.clock()
	return nil
}

// Unregister removes the MBean registered under name.
func (r *Registry) Unregister(name string) {
	on, err := parseObjectName(name)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.beans[on.canonical()]; ok {
		delete(r.beans, on.canonical())
		r.changed = r.clock()
	}
}

// Lookup returns the MBean registered under name (any key order), or nil.
func (r *Registry) Lookup(name string) *MBean {
	on, err := parseObjectName(name)
	if err != nil {
		return nil
	}
	if e := r.lookup(on); e != nil {
		return e.bean
	}
	return nil
}

func (r *Registry) lookup(on *objectName) *registered {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.beans[on.canonical()]
}

// query returns the MBeans a name or pattern matches (all for nil), in the
// order of the JMX server's HashSet<ObjectName>, i.e. HashMap order of the
// canonical names.
func (r *Registry) query(pattern *objectName) []*registered {
	r.mu.RLock()
	all := make([]*registered, 0, len(r.beans))
	for _, e := range r.beans {
		if pattern == nil || pattern.apply(e.name) {
			all = append(all, e)
		}
	}
	r.mu.RUnlock()
	sortBySeq(all)
	set := NewMap()
	byName := map[string]*registered{}
	for _, e := range all {
		c := e.name.canonical()
		set.Put(c, nil)
		byName[c] = e
	}
	out := make([]*registered, 0, len(all))
	for _, k := range set.Keys() {
		out = append(out, byName[k])
	}
	return out
}

func sortBySeq(es []*registered) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].seq < es[j-1].seq; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func (r *Registry) changedAt() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.changed
}
