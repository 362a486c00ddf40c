package jolokia

import (
	"fmt"
	"strings"
)

// list is ListHandler with MBeanInfoData: the metadata tree
// domain -> key properties -> {op, attr, class, desc}, narrowed by the path,
// cut at maxDepth (deeper maps become 1).
func (a *agent) list(req *request) (any, *jexc) {
	ims, err := req.params.getInt("ifModifiedSince")
	if err != nil {
		return nil, err
	}
	if a.reg.changedAt().Unix() < int64(ims) {
		return notChanged{at: a.opts.Clock().Unix()}, nil
	}
	maxDepth, err := req.params.getInt("maxDepth")
	if err != nil {
		return nil, err
	}
	canonical := req.params.getBool("canonicalNaming")
	path := req.path
	d := &infoData{maxDepth: maxDepth, path: path, canonical: canonical, root: newJSONMap()}

	on, err := objectNameFromPath(path)
	if err != nil {
		if err.class == "javax.management.MalformedObjectNameException" {
			return nil, newExc(IllegalArgumentException, "Invalid path within the MBean part given. (Path: "+
				combineToPath(path)+")").withCause(err).at(framesList)
		}
		return nil, err.at(framesList)
	}
	if on == nil || on.isPattern() {
		for _, e := range a.reg.query(on) {
			if err := d.add(e); err != nil {
				return nil, err
			}
		}
	} else {
		e := a.reg.lookup(on)
		if e == nil {
			return nil, newExc(IllegalArgumentException, "No MBean '"+on.String()+"' found").
				withCause(newExc("javax.management.InstanceNotFoundException", on.String())).at(framesList)
		}
		if err := d.add(e); err != nil {
			return nil, err
		}
	}
	return d.truncate()
}

func partString(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// objectNameFromPath: no path lists everything, a domain lists "domain:*",
// domain and key properties name one MBean (which must not be a pattern).
func objectNameFromPath(path []*string) (*objectName, *jexc) {
	if len(path) == 0 {
		return nil, nil
	}
	domain := partString(path[0])
	if len(path) == 1 {
		return parseObjectName(domain + ":*")
	}
	on, err := parseObjectName(domain + ":" + partString(path[1]))
	if err != nil {
		return nil, err
	}
	if on.isPattern() {
		return nil, newExc(IllegalArgumentException, "Cannot use an MBean pattern as path (given MBean: "+on.String()+")")
	}
	return on, nil
}

type infoData struct {
	maxDepth  int
	path      []*string
	canonical bool
	root      *Map
}

func (d *infoData) keyString(on *objectName) string {
	if d.canonical {
		return on.canonicalKeyPropertyList()
	}
	return on.keyPropertyList()
}

func getOrCreate(m *Map, k string) *Map {
	if v, ok := m.Get(k); ok {
		if mm, ok := v.(*Map); ok {
			return mm
		}
	}
	n := newJSONMap()
	m.Put(k, n)
	return n
}

// updaterOrder is the iteration order of MBeanInfoData's HashMap of
// updaters, which is the order the keys go into an MBean's map.
var updaterOrder = func() []string {
	m := NewMap()
	for _, k := range []string{"desc", "class", "attr", "op", "not"} {
		m.Put(k, nil)
	}
	return m.Keys()
}()

func (d *infoData) add(e *registered) *jexc {
	on := e.name
	if len(d.path) == 0 && d.maxDepth == 1 {
		d.root.Put(on.domain, 1)
		return nil
	}
	if len(d.path) == 0 && d.maxDepth == 2 {
		getOrCreate(d.root, on.domain).Put(d.keyString(on), 1)
		return nil
	}
	beans := getOrCreate(d.root, on.domain)
	key := d.keyString(on)
	bean := getOrCreate(beans, key)
	var rest []*string
	if len(d.path) >= 2 {
		rest = d.path[2:]
	}
	if len(rest) == 0 {
		for _, u := range updaterOrder {
			if err := update(bean, e.bean, u, nil); err != nil {
				return err
			}
		}
	} else {
		what := partString(rest[0])
		switch what {
		case "desc", "class", "attr", "op", "not":
			if err := update(bean, e.bean, what, rest[1:]); err != nil {
				return err
			}
		default:
			return newExc(IllegalArgumentException, "Illegal path element "+what).at(framesList)
		}
	}
	if bean.Len() == 0 {
		beans.Remove(key)
		if beans.Len() == 0 {
			d.root.Remove(on.domain)
		}
	}
	return nil
}

// stackString is java.util.Stack.toString of the remaining path, which
// lists it bottom (last path element) to top.
func stackString(rest []*string) string {
	parts := make([]string, len(rest))
	for i, p := range rest {
		parts[len(rest)-1-i] = partString(p)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// update is a DataUpdater: rest holds the path below the updater's key.
func update(bean *Map, b *MBean, what string, rest []*string) *jexc {
	switch what {
	case "desc", "class":
		if len(rest) > 0 {
			return newExc(IllegalArgumentException, "Path contains extra elements not usable for a list request: "+stackString(rest)).at(framesList)
		}
		if what == "desc" {
			desc := b.Desc
			if desc == "" {
				desc = StandardMBeanDesc
			}
			bean.Put("desc", desc)
		} else {
			bean.Put("class", b.Class)
		}
		return nil
	}
	pathEmpty := len(rest) == 0
	var filter *string
	if !pathEmpty {
		filter = rest[0]
		if len(rest) > 1 {
			return newExc(IllegalArgumentException, "Path contains extra elements not usable for a list request: "+stackString(rest[1:])).at(framesList)
		}
	}
	data := newJSONMap()
	switch what {
	case "attr":
		for _, at := range b.Attrs {
			if filter != nil && at.Name != *filter {
				continue
			}
			m := newJSONMap()
			m.Put("type", at.Type)
			m.Put("desc", orDefault(at.Desc, StandardAttributeDesc))
			m.Put("rw", at.RW && !at.WriteOnly)
			data.Put(at.Name, m)
		}
	case "op":
		for _, op := range b.Ops {
			if filter != nil && op.Name != *filter {
				continue
			}
			args := jlist{}
			for i, p := range op.Args {
				am := newJSONMap()
				am.Put("desc", p.Desc)
				name := p.Name
				if name == "" {
					name = fmt.Sprintf("p%d", i+1)
				}
				am.Put("name", name)
				am.Put("type", p.Type)
				args = append(args, am)
			}
			m := newJSONMap()
			m.Put("args", args)
			m.Put("ret", op.Ret)
			m.Put("desc", orDefault(op.Desc, StandardOperationDesc))
			switch prev, _ := data.Get(op.Name); x := prev.(type) {
			case nil:
				data.Put(op.Name, m)
			case *Map:
				data.Put(op.Name, jlist{x, m})
			case jlist:
				data.Put(op.Name, append(x, m))
			}
		}
	case "not":
		// The simulated MBeans declare no notifications.
	}
	if data.Len() > 0 {
		bean.Put(what, data)
	} else if !pathEmpty {
		return newExc(IllegalArgumentException, "Path given but extracted value is empty").at(framesList)
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// truncate is MBeanInfoData.truncate: navigate down the path (taking the
// single key of each level), then cut the tree at maxDepth.
func (d *infoData) truncate() (any, *jexc) {
	var value any = d.root
	inner := d.root
	for size := len(d.path); size > 0; size-- {
		if inner.Len() == 0 {
			value = inner
			break
		}
		if inner.Len() != 1 {
			vals := make([]any, 0, inner.Len())
			for _, e := range inner.sorted() {
				vals = append(vals, e.val)
			}
			return nil, newExc(IllegalStateException, "Internal: More than one key found when extracting with path: "+javaToString(vals))
		}
		v := inner.sorted()[0].val
		if size == 1 {
			value = v
			break
		}
		m, ok := v.(*Map)
		if !ok {
			return nil, newExc(IllegalStateException, "Internal: Value within path extraction must be a Map, not class "+javaClassOf(v))
		}
		inner, value = m, m
	}
	if d.maxDepth == 0 {
		return value, nil
	}
	if m, ok := value.(*Map); ok {
		return truncateMap(m, d.maxDepth), nil
	}
	return value, nil
}

func truncateMap(m *Map, depth int) any {
	if depth == 0 {
		return 1
	}
	out := newJSONMap()
	for _, e := range m.sorted() {
		if mm, ok := e.val.(*Map); ok {
			out.Put(e.key, truncateMap(mm, depth-1))
		} else {
			out.Put(e.key, e.val)
		}
	}
	return out
}

// LoadList builds MBean metadata from a captured `list` answer for one
// MBean: a capture file such as testdata/.../list_storageservice.json (its
// first exchange), a whole response ({"request":…,"value":…}) or just the
// value ({"op":…,"attr":…,"class":…,"desc":…}). Attributes and operations
// keep the captured order, which is what makes a re-listing byte-identical.
// ObjectName comes from the request path when there is one. Nothing is
// implemented: attach Get/Set/Call with OnGet, OnSet and OnCall.
func LoadList(jsonBytes []byte) (*MBean, error) {
	v, jerr := parseJSON(string(jsonBytes))
	if jerr != nil {
		return nil, fmt.Errorf("jolokia: LoadList: %s", jerr.String())
	}
	root, ok := v.(*Map)
	if !ok {
		return nil, fmt.Errorf("jolokia: LoadList: not a JSON object")
	}
	if ex, ok := root.Get("exchanges"); ok {
		l, ok := ex.(jlist)
		if !ok || len(l) == 0 {
			return nil, fmt.Errorf("jolokia: LoadList: no exchanges")
		}
		first, ok := l[0].(*Map)
		if !ok {
			return nil, fmt.Errorf("jolokia: LoadList: bad exchange")
		}
		r, _ := first.Get("response")
		if root, ok = r.(*Map); !ok {
			return nil, fmt.Errorf("jolokia: LoadList: exchange without response object")
		}
	}
	mb := &MBean{}
	if val, ok := root.Get("value"); ok {
		if req, ok := root.Get("request"); ok {
			if rm, ok := req.(*Map); ok {
				if p, ok := rm.Get("path"); ok {
					if ps, ok := p.(string); ok {
						parts := parsePath(ps)
						if len(parts) >= 2 && parts[0] != nil && parts[1] != nil {
							mb.ObjectName = *parts[0] + ":" + *parts[1]
						}
					}
				}
			}
		}
		if root, ok = val.(*Map); !ok {
			return nil, fmt.Errorf("jolokia: LoadList: value is not an object")
		}
	}
	str := func(m *Map, k string) string {
		v, _ := m.Get(k)
		s, _ := v.(string)
		return s
	}
	mb.Desc = str(root, "desc")
	mb.Class = str(root, "class")
	if attrs, ok := root.Get("attr"); ok {
		am, ok := attrs.(*Map)
		if !ok {
			return nil, fmt.Errorf("jolokia: LoadList: attr is not an object")
		}
		for _, name := range am.Keys() {
			x, _ := am.Get(name)
			a, ok := x.(*Map)
			if !ok {
				return nil, fmt.Errorf("jolokia: LoadList: attribute %s is not an object", name)
			}
			rw, _ := a.Get("rw")
			b, _ := rw.(bool)
			mb.Attrs = append(mb.Attrs, &Attribute{Name: name, Type: str(a, "type"), Desc: str(a, "desc"), RW: b})
		}
	}
	if ops, ok := root.Get("op"); ok {
		om, ok := ops.(*Map)
		if !ok {
			return nil, fmt.Errorf("jolokia: LoadList: op is not an object")
		}
		for _, name := range om.Keys() {
			x, _ := om.Get(name)
			var sigs []*Map
			switch y := x.(type) {
			case *Map:
				sigs = []*Map{y}
			case jlist:
				for _, s := range y {
					sm, ok := s.(*Map)
					if !ok {
						return nil, fmt.Errorf("jolokia: LoadList: operation %s has a bad signature", name)
					}
					sigs = append(sigs, sm)
				}
			default:
				return nil, fmt.Errorf("jolokia: LoadList: operation %s is not an object or array", name)
			}
			for _, s := range sigs {
				op := &Operation{Name: name, Ret: str(s, "ret"), Desc: str(s, "desc")}
				args, _ := s.Get("args")
				al, _ := args.(jlist)
				for _, av := range al {
					am, ok := av.(*Map)
					if !ok {
						return nil, fmt.Errorf("jolokia: LoadList: operation %s has a bad argument", name)
					}
					op.Args = append(op.Args, Arg{Name: str(am, "name"), Type: str(am, "type"), Desc: str(am, "desc")})
				}
				mb.Ops = append(mb.Ops, op)
			}
		}
	}
	return mb, nil
}
