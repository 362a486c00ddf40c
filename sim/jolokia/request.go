package jolokia

import (
	"strconv"
	"strings"
)

// The agent configuration as Jolokia 1.7.1 reports it on a Cassandra 4.1.6
// node (version.json), in the order the captured HashMap iterates. agentId is
// replaced by Options.AgentID.
var agentConfig = [][2]string{
	{"listenForHttpService", "true"},
	{"maxCollectionSize", "0"},
	{"authIgnoreCerts", "false"},
	{"agentId", ""},
	{"agentType", "jvm"},
	{"policyLocation", "classpath:/jolokia-access.xml"},
	{"agentContext", "/jolokia"},
	{"mimeType", "text/plain"},
	{"discoveryEnabled", "false"},
	{"streaming", "true"},
	{"historyMaxEntries", "10"},
	{"allowDnsReverseLookup", "true"},
	{"maxObjects", "0"},
	{"debug", "false"},
	{"serializeException", "false"},
	{"multicastGroup", "239.192.48.84"},
	{"maxDepth", "15"},
	{"authMode", "basic"},
	{"authMatch", "any"},
	{"canonicalNaming", "true"},
	{"allowErrorDetails", "true"},
	{"realm", "jolokia"},
	{"includeStackTrace", "true"},
	{"multicastPort", "24884"},
	{"useRestrictorService", "false"},
	{"debugMaxEntries", "100"},
}

// requestConfigKeys are the ConfigKeys a request may set (query parameters
// or the "config" object of a POST request), with their ConfigKey defaults.
var requestConfigKeys = map[string]*string{
	"maxDepth":           nil,
	"maxCollectionSize":  nil,
	"maxObjects":         nil,
	"ignoreErrors":       nil,
	"includeStackTrace":  strp("true"),
	"serializeException": strp("false"),
	"canonicalNaming":    strp("true"),
	"mimeType":           strp("text/plain"),
	"callback":           nil,
	"ifModifiedSince":    nil,
}

func strp(s string) *string { return &s }

// params are a request's ProcessingParameters: the request-level keys of
// the agent configuration overridden by the request. A key can be present
// with a null value ("?includeStackTrace" without "=").
type params struct {
	vals map[string]*string
	p    *string // the "p" query parameter (path info for GET)
}

func newParams(query map[string]*string) *params {
	ps := &params{vals: map[string]*string{}}
	for _, kv := range agentConfig {
		if _, ok := requestConfigKeys[kv[0]]; ok {
			ps.vals[kv[0]] = strp(kv[1])
		}
	}
	for k, v := range query {
		if _, ok := requestConfigKeys[k]; ok {
			ps.vals[k] = v
		}
	}
	ps.p = query["p"]
	return ps
}

// merged applies the "config" object of a POST request.
func (ps *params) merged(cfg *Map) *params {
	if cfg == nil {
		return ps
	}
	out := &params{vals: map[string]*string{}, p: ps.p}
	for k, v := range ps.vals {
		out.vals[k] = v
	}
	for _, e := range cfg.entries {
		if _, ok := requestConfigKeys[e.key]; ok {
			if e.val == nil {
				out.vals[e.key] = nil
			} else {
				out.vals[e.key] = strp(javaToString(e.val))
			}
		}
	}
	return out
}

func (ps *params) get(k string) *string { return ps.vals[k] }

// getInt is JmxRequest.getParameterAsInt: 0 when unset.
func (ps *params) getInt(k string) (int, *jexc) {
	v := ps.vals[k]
	if v == nil {
		return 0, nil
	}
	n, err := parseJavaInt(*v, -1<<31, 1<<31-1, false)
	if err != nil {
		return 0, err
	}
	return int(n.(int64)), nil
}

// getBool is getParameterAsBool: Boolean.parseBoolean of the value or the
// key's default.
func (ps *params) getBool(k string) bool {
	v := ps.vals[k]
	if v == nil {
		v = requestConfigKeys[k]
	}
	return v != nil && strings.EqualFold(*v, "true")
}

// Request types.
const (
	typeRead    = "read"
	typeWrite   = "write"
	typeExec    = "exec"
	typeList    = "list"
	typeVersion = "version"
	typeSearch  = "search"
)

var knownTypes = map[string]bool{
	typeRead: true, typeWrite: true, typeExec: true, typeList: true, typeVersion: true, typeSearch: true,
}

// request is a parsed JmxRequest.
type request struct {
	typ    string
	params *params
	path   []*string // nil: no path
	target *Map
	name   *objectName

	// read: attribute names (elements may be non-strings or null when they
	// came from JSON, which fails later as it does in the agent)
	attrs []any
	multi bool

	// write
	attr  *string
	value any

	// exec
	op      *string
	args    []any
	argEcho any // the arguments as received, for the echo
}

// getTypeByName is RequestType.getTypeByName.
func getTypeByName(v any) (string, *jexc) {
	if v == nil {
		return "", newExc(IllegalArgumentException, "No type given")
	}
	s, ok := v.(string)
	if !ok {
		return "", classCast(v, "java.lang.String")
	}
	t := strings.ToLower(s)
	if !knownTypes[t] {
		return "", newExc(IllegalArgumentException, "No type with name '"+s+"' exists")
	}
	return t, nil
}

// classCast is the JDK 17 ClassCastException for casting v to class to.
func classCast(v any, to string) *jexc {
	from := javaClassOf(v)
	msg := "class " + from + " cannot be cast to class " + to + " ("
	if strings.HasPrefix(from, "org.jolokia.") {
		msg += from + " is in unnamed module of loader 'app'; " + to + " is in module java.base of loader 'bootstrap')"
	} else {
		msg += from + " and " + to + " are in module java.base of loader 'bootstrap')"
	}
	return newExc("java.lang.ClassCastException", msg)
}

func stringField(m *Map, k string) (*string, *jexc) {
	v, _ := m.Get(k)
	if v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, classCast(v, "java.lang.String")
	}
	return &s, nil
}

// fromPost is JmxRequestFactory.createPostRequest.
func fromPost(m *Map, base *params) (*request, *jexc) {
	cfgV, _ := m.Get("config")
	var cfg *Map
	if cfgV != nil {
		c, ok := cfgV.(*Map)
		if !ok {
			return nil, classCast(cfgV, "java.util.Map")
		}
		cfg = c
	}
	ps := base.merged(cfg)
	tv, _ := m.Get("type")
	typ, err := getTypeByName(tv)
	if err != nil {
		return nil, err
	}
	r := &request{typ: typ, params: ps}
	path, err := stringField(m, "path")
	if err != nil {
		return nil, err
	}
	if path != nil {
		r.path = parsePath(*path)
	}
	if tgt, _ := m.Get("target"); tgt != nil {
		tm, ok := tgt.(*Map)
		if !ok {
			return nil, classCast(tgt, "java.util.Map")
		}
		if r.target, err = proxyTarget(tm); err != nil {
			return nil, err
		}
	}
	switch typ {
	case typeRead, typeWrite, typeExec, typeSearch:
		mbean, err := stringField(m, "mbean")
		if err != nil {
			return nil, err
		}
		if err := r.initName(mbean, createFrames(typ, true)); err != nil {
			return nil, err
		}
	}
	switch typ {
	case typeRead:
		a, _ := m.Get("attribute")
		if err := r.initAttribute(a); err != nil {
			return nil, err
		}
	case typeWrite:
		r.value, _ = m.Get("value")
		if r.attr, err = stringField(m, "attribute"); err != nil {
			return nil, err
		}
	case typeExec:
		if a, _ := m.Get("arguments"); a != nil {
			l, ok := a.(jlist)
			if !ok {
				return nil, classCast(a, "java.util.List")
			}
			r.args = []any(l)
			r.argEcho = l
		}
		if r.op, err = stringField(m, "operation"); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// proxyTarget is ProxyTargetConfig: a JSR-160 target, which the JVM agent
// refuses later ("No JSR-160 proxy is enabled by default since ...").
func proxyTarget(m *Map) (*Map, *jexc) {
	url, err := stringField(m, "url")
	if err != nil {
		return nil, err
	}
	if url == nil {
		return nil, newExc(IllegalArgumentException, "No service url given for JSR-160 target")
	}
	out := newJSONMap()
	out.Put("url", *url)
	user, err := stringField(m, "user")
	if err != nil {
		return nil, err
	}
	if user != nil {
		env := NewMap()
		env.Put("user", *user)
		pwd, err := stringField(m, "password")
		if err != nil {
			return nil, err
		}
		if pwd != nil {
			env.Put("password", *pwd)
		}
		out.Put("env", env)
	}
	return out, nil
}

// initName is JmxObjectNameRequest.initObjectName; frames are those of
// the request's construction, for the cause's stack trace.
func (r *request) initName(s *string, frames []string) *jexc {
	if s == nil {
		return newExc(IllegalArgumentException, "Objectname can not be null")
	}
	on, err := parseObjectName(*s)
	if err != nil {
		return newExc(IllegalArgumentException, "Invalid object name. "+err.message()).
			withCause(err.at(framesObjectName, frames))
	}
	r.name = on
	return nil
}

// createFrames are the frames of a request's construction.
func createFrames(typ string, post bool) []string {
	if typ == typeRead && post {
		return []string{
			"org.jolokia.request.JmxReadRequest.<init>(JmxReadRequest.java:68)",
			"org.jolokia.request.JmxReadRequest$1.create(JmxReadRequest.java:164)",
			"org.jolokia.request.JmxReadRequest$1.create(JmxReadRequest.java:151)",
			"org.jolokia.request.JmxRequestFactory.createPostRequest(JmxRequestFactory.java:117)",
			"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:136)",
		}
	}
	cls := "Jmx" + strings.ToUpper(typ[:1]) + typ[1:] + "Request"
	out := []string{
		"org.jolokia.request." + cls + ".<init>(" + cls + ".java)",
		"org.jolokia.request." + cls + "$1.create(" + cls + ".java)",
	}
	if post {
		return append(out,
			"org.jolokia.request.JmxRequestFactory.createPostRequest(JmxRequestFactory.java:117)",
			"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:136)")
	}
	return append(out,
		"org.jolokia.request.JmxRequestFactory.createGetRequest(JmxRequestFactory.java)",
		"org.jolokia.http.HttpRequestHandler.handleGetRequest(HttpRequestHandler.java)")
}

// initAttribute is JmxReadRequest.initAttribute.
func (r *request) initAttribute(v any) *jexc {
	switch x := v.(type) {
	case nil:
		r.attrs, r.multi = nil, false
	case string:
		for _, s := range splitEscaped(x, csvEscape, ',') {
			r.attrs = append(r.attrs, s)
		}
		if r.attrs == nil {
			r.attrs = []any{} // "" gives an empty, non-null list
		}
		r.multi = len(r.attrs) > 1
	case jlist:
		if len(x) == 1 && x[0] == nil {
			r.attrs, r.multi = nil, false
		} else {
			r.attrs = append([]any{}, x...)
			r.multi = true
		}
	default:
		return newExc(IllegalArgumentException,
			"Attribute names must be either a String, Collection or null (and not class "+javaClassOf(v)+")")
	}
	return nil
}

// hasAttribute is JmxReadRequest.hasAttribute; a single attribute list that
// is empty (attribute "") makes getAttributeName fail as in the agent.
func (r *request) hasAttribute() (bool, *jexc) {
	if r.multi {
		return true, nil
	}
	if r.attrs == nil {
		return false, nil
	}
	if len(r.attrs) == 0 {
		return false, newExc("java.lang.IndexOutOfBoundsException", "Index 0 out of bounds for length 0")
	}
	return r.attrs[0] != nil, nil
}

// fromGet is JmxRequestFactory.createGetRequest for a path info.
func fromGet(pathInfo string, ps *params) (*request, *jexc) {
	pi := pathInfo
	if (pi == "" || strings.Trim(pi, "/") == "") && ps.p != nil {
		pi = *ps.p
	}
	pi = strings.TrimPrefix(pi, "/")
	elems := parsePath(pi)
	typ := typeVersion
	if len(elems) > 0 {
		var t any
		if elems[0] != nil {
			t = *elems[0]
		} else {
			t = nil
		}
		var err *jexc
		if typ, err = getTypeByName(t); err != nil {
			return nil, err
		}
		elems = elems[1:]
	}
	r := &request{typ: typ, params: ps}
	empty := func() *jexc {
		return newExc(IllegalArgumentException,
			"Invalid arguments in pathinfo "+pathInfo+" for command "+strings.ToUpper(typ)).
			withCause(newExcNoMsg("java.util.EmptyStackException"))
	}
	pop := func() (*string, bool) {
		if len(elems) == 0 {
			return nil, false
		}
		e := elems[0]
		elems = elems[1:]
		return e, true
	}
	rest := func() []*string {
		if len(elems) == 0 {
			return nil
		}
		return elems
	}
	switch typ {
	case typeRead:
		name, ok := pop()
		if !ok {
			return nil, empty()
		}
		if err := r.initName(name, createFrames(typ, false)); err != nil {
			return nil, err
		}
		attr, _ := pop()
		if attr != nil {
			if err := r.initAttribute(*attr); err != nil {
				return nil, err
			}
		}
		r.path = rest()
	case typeWrite:
		name, ok1 := pop()
		attr, ok2 := pop()
		val, ok3 := pop()
		if !ok1 || !ok2 || !ok3 {
			return nil, empty()
		}
		if err := r.initName(name, createFrames(typ, false)); err != nil {
			return nil, err
		}
		r.attr = attr
		if v := specialStringTag(val); v != nil {
			r.value = *v
		}
		r.path = rest()
	case typeExec:
		name, ok1 := pop()
		op, ok2 := pop()
		if !ok1 || !ok2 {
			return nil, empty()
		}
		if err := r.initName(name, createFrames(typ, false)); err != nil {
			return nil, err
		}
		r.op = op
		if ex := rest(); ex != nil {
			args := make([]any, len(ex))
			for i, a := range ex {
				if v := specialStringTag(a); v != nil {
					args[i] = *v
				}
			}
			r.args = args
			r.argEcho = args
		}
	case typeList:
		r.path = rest()
	case typeSearch:
		name, ok := pop()
		if !ok {
			return nil, empty()
		}
		if err := r.initName(name, createFrames(typ, false)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// orderedName is getOrderedObjectName: canonical unless canonicalNaming is
// false (patterns are always canonical).
func (r *request) orderedName(on *objectName) string {
	if on.isPattern() || r.params.getBool("canonicalNaming") {
		return on.canonical()
	}
	return on.domain + ":" + on.keyPropertyList()
}

// echo is JmxRequest.toJSON, the "request" field of every response.
func (r *request) echo() *Map {
	m := newJSONMap()
	m.Put("type", r.typ)
	if r.target != nil {
		m.Put("target", r.target)
	}
	if r.path != nil {
		m.Put("path", combineToPath(r.path))
	}
	switch r.typ {
	case typeRead, typeWrite, typeExec, typeSearch:
		m.Put("mbean", r.orderedName(r.name))
	}
	switch r.typ {
	case typeRead:
		if len(r.attrs) > 1 {
			m.Put("attribute", jlist(r.attrs))
		} else if len(r.attrs) == 1 {
			m.Put("attribute", r.attrs[0])
		}
	case typeWrite:
		if r.attr != nil {
			m.Put("attribute", *r.attr)
		}
		if r.value != nil {
			m.Put("value", r.value)
		}
	case typeExec:
		if len(r.args) > 0 {
			m.Put("arguments", r.argEcho)
		}
		if r.op != nil {
			m.Put("operation", *r.op)
		} else {
			m.Put("operation", nil)
		}
	}
	return m
}

// attributeNames is the attribute list's toString for error messages.
func (r *request) attributeNamesString() string {
	if r.attrs == nil {
		return "null"
	}
	return javaToString(r.attrs)
}

func itoa(i int) string { return strconv.Itoa(i) }
