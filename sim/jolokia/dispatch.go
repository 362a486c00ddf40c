package jolokia

import "strings"

// notChanged is a list answer for ifModifiedSince when nothing changed.
type notChanged struct{ at int64 }

// dispatch runs a request and converts its value to JSON (BackendManager.
// callRequestDispatcher): the handler first, then the conversion options
// (so a bad maxDepth fails after the operation ran, as in the agent).
func (a *agent) dispatch(req *request) (any, *jexc) {
	if req.target != nil {
		return nil, newExc(IllegalArgumentException, "No JSR-160 proxy is enabled by default since Jolokia 1.5.0. "+
			"Please refer to the reference manual, section \"Proxy Mode\", for how to switch on JSR-160 proxy mode again.")
	}
	var (
		v    any
		err  *jexc
		path = req.path
	)
	switch req.typ {
	case typeRead:
		v, err = a.read(req)
	case typeWrite:
		v, err = a.write(req)
		path = nil // the old value is returned without path
	case typeExec:
		v, err = a.exec(req)
	case typeList:
		v, err = a.list(req)
		path = nil // the list handler applies the path itself
	case typeVersion:
		v = a.version()
	case typeSearch:
		v = a.search(req)
	}
	if err != nil {
		return nil, err
	}
	if nc, ok := v.(notChanged); ok {
		return nc, nil
	}
	s, err := a.serializer(req)
	if err != nil {
		return nil, err
	}
	out, err := s.extract(v, path)
	if err != nil {
		return nil, err.at(framesSerialize)
	}
	return out, nil
}

// serializer builds the JsonConvertOptions of a request; the agent's
// configured maxDepth (15) is a hard limit, except that 0 lifts it.
func (a *agent) serializer(req *request) (*serializer, *jexc) {
	s := &serializer{}
	var err *jexc
	if s.maxDepth, err = req.params.getInt("maxDepth"); err != nil {
		return nil, err
	}
	if s.maxDepth >= 15 {
		s.maxDepth = 15
	}
	if s.maxColl, err = req.params.getInt("maxCollectionSize"); err != nil {
		return nil, err
	}
	if s.maxObjects, err = req.params.getInt("maxObjects"); err != nil {
		return nil, err
	}
	s.ignoreErrors = ignoreErrors(req)
	return s, nil
}

func ignoreErrors(req *request) bool {
	v := req.params.get("ignoreErrors")
	if v == nil {
		return false
	}
	switch *v {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

func (a *agent) fault(req *request, e *jexc) (any, *jexc) {
	if ignoreErrors(req) {
		return "ERROR: " + e.message() + " (class " + e.class + ")", nil
	}
	return nil, e
}

func implFrame(b *MBean, method string) string {
	cls := b.Class
	if cls == "" {
		cls = "ringside.sim.SimulatedMBean"
	}
	return cls + "." + method + "(Unknown Source)"
}

func instanceNotFound(on *objectName, frames []string) *jexc {
	return newExc("javax.management.InstanceNotFoundException", on.String()).at(frames)
}

// getAttribute is MBeanServer.getAttribute.
func (a *agent) getAttribute(on *objectName, attr any) (any, *jexc) {
	if attr == nil {
		return nil, newExc("javax.management.RuntimeOperationsException",
			"Exception occurred trying to invoke the getter on the MBean").
			withCause(newExc(IllegalArgumentException, "Attribute cannot be null"))
	}
	name := attr.(string)
	e := a.reg.lookup(on)
	if e == nil {
		return nil, instanceNotFound(on, framesReadNotFound)
	}
	at := e.bean.Attribute(name)
	if at == nil {
		return nil, newExc("javax.management.AttributeNotFoundException", "No such attribute: "+name).at(framesRead)
	}
	if at.WriteOnly {
		return nil, newExc("javax.management.AttributeNotFoundException", "Write-only attribute: "+name).at(framesRead)
	}
	frame := implFrame(e.bean, "get"+name)
	if at.Get == nil {
		return nil, fromMBean(NotSimulated(name), frame).atCause(framesRead)
	}
	v, err := at.Get()
	if err != nil {
		return nil, fromMBean(err, frame).atCause(framesRead)
	}
	return toJava(v), nil
}

// atCause adds frames to the exception an MBeanServer wrapper carries.
func (e *jexc) atCause(frames []string) *jexc {
	if e.cause != nil {
		e.cause.at(frames)
	}
	return e.at(frames)
}

func readableNames(b *MBean) []any {
	var out []any
	for _, at := range b.Attrs {
		if !at.WriteOnly {
			out = append(out, at.Name)
		}
	}
	return out
}

// read is ReadHandler.
func (a *agent) read(req *request) (any, *jexc) {
	has, err := req.hasAttribute()
	if err != nil {
		return nil, err
	}
	if req.name.isPattern() {
		return a.readPattern(req, has)
	}
	if req.multi || !has {
		return a.fetchAttributes(req, req.name, req.attrs)
	}
	return a.getAttribute(req.name, req.attrs[0])
}

// fetchAttributes reads several attributes (all readable ones for none)
// into a map; failures go through the request's fault handler.
func (a *agent) fetchAttributes(req *request, on *objectName, names []any) (any, *jexc) {
	if len(names) == 0 || (len(names) == 1 && names[0] == nil) {
		e := a.reg.lookup(on)
		if e == nil {
			return nil, instanceNotFound(on, framesRead)
		}
		names = readableNames(e.bean)
	}
	out := NewMap()
	for _, n := range names {
		if n != nil {
			if _, ok := n.(string); !ok {
				return nil, classCast(n, "java.lang.String")
			}
		}
		v, err := a.getAttribute(on, n)
		if err != nil {
			if isA(err.class, "javax.management.InstanceNotFoundException") {
				return nil, err
			}
			if v, err = a.fault(req, err); err != nil {
				return nil, err
			}
		}
		key := "null"
		if n != nil {
			key = n.(string)
		}
		out.Put(key, v)
	}
	return out, nil
}

// readPattern reads from every MBean a pattern matches, into a map keyed
// by MBean name.
func (a *agent) readPattern(req *request, has bool) (any, *jexc) {
	matches := a.reg.query(req.name)
	if len(matches) == 0 {
		return nil, newExc("javax.management.InstanceNotFoundException",
			"No MBean with pattern "+req.name.String()+" found for reading attributes")
	}
	out := NewMap()
	for _, e := range matches {
		var names []any
		if has {
			readable := map[string]bool{}
			for _, n := range readableNames(e.bean) {
				readable[n.(string)] = true
			}
			for _, n := range req.attrs {
				if n == nil {
					continue
				}
				s, ok := n.(string)
				if !ok {
					return nil, classCast(n, "java.lang.String")
				}
				if readable[s] {
					names = append(names, s)
				}
			}
			if len(names) == 0 {
				continue
			}
		}
		v, err := a.fetchAttributes(req, e.name, names)
		if err != nil {
			if isA(err.class, "javax.management.InstanceNotFoundException") {
				continue
			}
			return nil, err
		}
		if m, ok := v.(*Map); ok && m.Len() > 0 {
			out.Put(req.orderedName(e.name), v)
		}
	}
	if out.Len() == 0 {
		names := make([]string, len(matches))
		for i, e := range matches {
			names[i] = e.name.String()
		}
		return nil, newExc(IllegalArgumentException, "No matching attributes "+req.attributeNamesString()+
			" found on MBeans ["+strings.Join(names, ", ")+"]")
	}
	return out, nil
}

// write is WriteHandler: read the old value, convert, set, return the old value.
func (a *agent) write(req *request) (any, *jexc) {
	var attr any
	if req.attr != nil {
		attr = *req.attr
	}
	old, err := a.getAttribute(req.name, attr)
	if err != nil {
		return nil, err
	}
	e := a.reg.lookup(req.name)
	at := e.bean.Attribute(*req.attr)
	v, err := prepareValue(at.Type, req.value)
	if err != nil {
		return nil, err.at(framesConvert, framesWrite)
	}
	if !at.RW && !at.WriteOnly {
		return nil, newExc("javax.management.AttributeNotFoundException", "Read-only attribute: "+at.Name).at(framesWrite)
	}
	if v == nil && primitiveTypes[at.Type] {
		cause := newExc("javax.management.InvalidAttributeValueException", "Invalid value for attribute "+at.Name+": null")
		return nil, newExc(IllegalArgumentException, "Invalid value "+javaToString(req.value)+" for attribute "+
			at.Name+", MBean "+req.name.canonical()).withCause(cause).at(framesWrite)
	}
	frame := implFrame(e.bean, "set"+at.Name)
	if at.Set == nil {
		return nil, fromMBean(NotSimulated(at.Name), frame).atCause(framesWrite)
	}
	if err := at.Set(v); err != nil {
		return nil, fromMBean(err, frame).atCause(framesWrite)
	}
	return old, nil
}

// exec is ExecHandler.
func (a *agent) exec(req *request) (any, *jexc) {
	if req.op == nil {
		return nil, newExc(IllegalArgumentException, "No operation given for exec Request on MBean "+req.name.String()).at(framesExec)
	}
	opName, types, withSig := splitOperation(*req.op)
	e := a.reg.lookup(req.name)
	if e == nil {
		return nil, instanceNotFound(req.name, framesExecNoOp)
	}
	var ops []*Operation
	for _, op := range e.bean.Ops {
		if op.Name == opName {
			ops = append(ops, op)
		}
	}
	canonical := req.name.canonical()
	if len(ops) == 0 {
		return nil, newExc(IllegalArgumentException, "No operation "+opName+" found on MBean "+canonical).at(framesExecNoOp)
	}
	var op *Operation
	if !withSig {
		if len(ops) != 1 {
			return nil, newExc(IllegalArgumentException, "Operation "+opName+" on MBean "+canonical+
				" is overloaded. Signatures found: "+signaturesString(ops)+". Use a signature when specifying the operation.").
				at(framesExecOverloaded)
		}
		op = ops[0]
	} else {
		for _, o := range ops {
			if sameTypes(o.Args, types) {
				op = o
				break
			}
		}
		if op == nil {
			return nil, newExc(IllegalArgumentException, "No operation "+*req.op+" on MBean "+canonical+
				" exists. Known signatures: "+signaturesString(ops)).at(framesExecSignature)
		}
	}
	n := len(op.Args)
	if (n > 0 && req.args == nil) || (req.args != nil && len(req.args) != n) {
		return nil, newExc(IllegalArgumentException, "Invalid number of operation arguments. Operation "+*req.op+
			" on "+req.name.String()+" requires "+itoa(n)+" parameters, not "+itoa(len(req.args))+" as given").
			at(framesExecArgCount)
	}
	args := make([]any, n)
	for i, p := range op.Args {
		v, err := prepareValue(p.Type, req.args[i])
		if err != nil {
			return nil, err.at(framesConvert, framesExec)
		}
		args[i] = v
	}
	frame := implFrame(e.bean, op.Name)
	for i, p := range op.Args {
		if args[i] == nil && primitiveTypes[p.Type] {
			// Method.invoke cannot unbox null.
			return nil, fromMBean(&Exception{Class: IllegalArgumentException}, frame).atCause(framesExecInvoke)
		}
	}
	if op.Call == nil {
		return nil, fromMBean(NotSimulated(op.Name), frame).atCause(framesExecInvoke)
	}
	v, err := op.Call(args)
	if err != nil {
		return nil, fromMBean(err, frame).atCause(framesExecInvoke)
	}
	return toJava(v), nil
}

// splitOperation is ExecHandler.splitOperation: "name(t1, t2)" gives the
// types (split on \s*,\s* with Java's String.split rules), "name()" an empty
// signature. A split giving no types at all counts as no signature.
func splitOperation(op string) (name string, types []string, withSig bool) {
	if strings.ContainsAny(op, "\n\r\u0085\u2028\u2029") || !strings.HasSuffix(op, ")") {
		return op, nil, false
	}
	i := strings.LastIndex(op[:len(op)-1], "(")
	if i < 0 {
		return op, nil, false
	}
	name, inner := op[:i], op[i+1:len(op)-1]
	if inner == "" {
		return name, []string{}, true
	}
	types = javaSplitComma(inner)
	if len(types) == 0 {
		return name, nil, false
	}
	return name, types, true
}

// javaSplitComma is s.split("\\s*,\\s*").
func javaSplitComma(s string) []string {
	rs := []rune(s)
	isWS := func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' }
	var parts []string
	last := 0
	for i := 0; i < len(rs); i++ {
		if rs[i] != ',' {
			continue
		}
		start := i
		for start > last && isWS(rs[start-1]) {
			start--
		}
		end := i + 1
		for end < len(rs) && isWS(rs[end]) {
			end++
		}
		parts = append(parts, string(rs[last:start]))
		last = end
		i = end - 1
	}
	parts = append(parts, string(rs[last:]))
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// signaturesString is ExecHandler.signatureToString, including its
// treatment of an empty signature (the "(" is cut off).
func signaturesString(ops []*Operation) string {
	var b []rune
	for _, op := range ops {
		b = append(b, '(')
		for _, p := range op.Args {
			b = append(b, []rune(p.Type+",")...)
		}
		b = b[:len(b)-1]
		b = append(b, ')', ',')
	}
	if len(b) > 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// version is VersionHandler.
func (a *agent) version() any {
	cfg := newJSONMap()
	for _, kv := range agentConfig {
		v := kv[1]
		if kv[0] == "agentId" {
			v = a.opts.AgentID
		}
		cfg.Put(kv[0], v)
	}
	m := newJSONMap()
	m.Put("agent", AgentVersion)
	m.Put("protocol", ProtocolVersion)
	m.Put("config", cfg)
	m.Put("info", newJSONMap())
	return m
}

// search is SearchHandler: the names matching a pattern.
func (a *agent) search(req *request) any {
	out := jlist{}
	seen := map[string]bool{}
	for _, e := range a.reg.query(req.name) {
		n := req.orderedName(e.name)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
