package jolokia

import (
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Agent identity reported by the version request.
const (
	AgentVersion    = "1.7.1"
	ProtocolVersion = "7.2"
	// Context is the agent's HTTP context path.
	Context = "/jolokia/"
)

// Options tune the agent.
type Options struct {
	// AgentID is the "agentId" of the version request's config, e.g.
	// "192.0.2.2-2121-619a5dff-jvm" (host-pid-hash-jvm).
	AgentID string
	// Clock gives the time for "timestamp" fields and the Date header
	// (default time.Now).
	Clock func() time.Time
	// IdentityHash gives the identity hash code Java prints for the request
	// reader in "Invalid JSON request java.io.InputStreamReader@<hash>"
	// (default: random, as in a JVM).
	IdentityHash func() uint32
}

// NewHandler returns the Jolokia 1.7.1 JVM agent's HTTP endpoint over r. It
// serves the context /jolokia/ (other paths get the JDK HTTP server's 404)
// and, like the agent's single-threaded HTTP server, handles one request at
// a time: a long operation blocks every other request to the node.
//
// Attributes and operations without a Go implementation answer like an
// exception thrown by the MBean: java.lang.UnsupportedOperationException
// "not simulated by ringside sim: <name>", status 500.
func NewHandler(r *Registry, opts Options) http.Handler {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.IdentityHash == nil {
		opts.IdentityHash = func() uint32 { return rand.Uint32N(1<<31-1) + 1 }
	}
	return &agent{reg: r, opts: opts}
}

type agent struct {
	reg  *Registry
	opts Options
	mu   sync.Mutex // the JVM agent's HTTP server runs a single thread
}

// httpCtx says where a request came from, for stack traces.
type httpCtx struct {
	get  bool
	bulk bool
}

func (c httpCtx) agentFrames() []string {
	if c.get {
		return framesAgentGet
	}
	return framesAgentPost
}

// execTail are the frames below a handler when executeRequest catches.
func (c httpCtx) execTail() []string {
	var h string
	switch {
	case c.get:
		h = "org.jolokia.http.HttpRequestHandler.handleGetRequest(HttpRequestHandler.java)"
	case c.bulk:
		h = "org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java)"
	default:
		h = "org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:137)"
	}
	out := append(append([]string{}, framesDispatch...), h)
	return append(out, c.agentFrames()...)
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !strings.HasPrefix(r.URL.Path, Context) {
		// com.sun.net.httpserver rejects requests outside every context.
		body := "<h1>404 Not Found</h1>No context found for request"
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Connection", "close")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, body)
		return
	}
	query, qerr := parseQuery(r.URL.RawQuery)
	if qerr != nil {
		// ParsedUri fails before the agent's error handling starts; the HTTP
		// server then closes the connection without an answer.
		panic(http.ErrAbortHandler)
	}
	pathInfo := strings.TrimPrefix(r.URL.Path, Context)
	for strings.HasPrefix(pathInfo, "/") && len(pathInfo) > 1 {
		pathInfo = pathInfo[1:]
	}

	var resp any
	method := r.Method
	switch {
	case strings.EqualFold(method, http.MethodGet):
		a.setHeaders(w, r)
		resp = a.handleGet(r, pathInfo, query)
	case strings.EqualFold(method, http.MethodPost):
		a.setHeaders(w, r)
		resp = a.handlePost(r, query)
	case strings.EqualFold(method, http.MethodOptions):
		a.corsPreflight(w, r)
	default:
		e := newExc(IllegalArgumentException, "HTTP Method "+method+" is not supported.")
		resp = a.throwable(e.at(framesAgentDoHandle))
	}
	if resp == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return
	}
	callback := firstValue(query, "callback")
	mime := responseMimeType(firstValue(query, "mimeType"), callback)
	w.Header().Set("Content-Type", mime+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // the agent streams its answer (chunked)
	}
	body := toJSONString(resp)
	if callback != nil && validCallback.MatchString(*callback) {
		body = *callback + "(" + body + ");"
	}
	_, _ = io.WriteString(w, body)
}

var validCallback = regexp.MustCompile(`(?i)^[$A-Z_][0-9A-Z_$]*$`)

// responseMimeType is MimeTypeUtil.getResponseMimeType.
func responseMimeType(requested, callback *string) string {
	if callback != nil && validCallback.MatchString(*callback) {
		return "text/javascript"
	}
	if requested != nil {
		for _, ok := range []string{"application/json", "text/plain"} {
			if strings.EqualFold(*requested, ok) {
				return ok
			}
		}
	}
	return "text/plain"
}

func (a *agent) setHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if origin := corsOrigin(r); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	now := a.opts.Clock().UTC()
	h.Set("Date", now.Format(http.TimeFormat))
	h.Set("Expires", now.Add(-time.Hour).Format(http.TimeFormat))
}

// corsOrigin: without a policy file every origin is allowed; "null" becomes "*".
func corsOrigin(r *http.Request) string {
	o := r.Header.Get("Origin")
	if o == "" {
		return ""
	}
	o = strings.NewReplacer("\n", "", "\r", "").Replace(o)
	if o == "null" {
		return "*"
	}
	return o
}

func (a *agent) corsPreflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	origin = strings.NewReplacer("\n", "", "\r", "").Replace(origin)
	h := w.Header()
	if origin == "" || origin == "null" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Max-Age", strconv.Itoa(3600*24*365))
}

// ---------------------------------------------------------------------------
// GET and POST

func (a *agent) handleGet(r *http.Request, pathInfo string, query map[string][]*string) any {
	ctx := httpCtx{get: true}
	ps := newParams(firstValues(query))
	pi := pathInfo
	if raw := r.RequestURI; strings.Contains(raw, "!//") {
		// HttpRequestHandler.extractPathInfo re-reads escaped trailing
		// slashes from the raw URI.
		if m := pathPrefix.FindString(pathInfo); m != "" {
			s := raw
			if i := strings.Index(raw, m); i >= 0 {
				s = raw[i:]
			}
			dec, err := urlDecode(s)
			if err != nil {
				return a.throwable(err.at(framesCreateGet), framesAgentGet)
			}
			pi = dec
		}
	}
	req, err := fromGet(pi, ps)
	if err != nil {
		return a.throwable(err.at(framesCreateGet), framesAgentGet)
	}
	resp, esc := a.executeRequest(req, ctx)
	if esc != nil {
		return a.throwable(esc.at(ctx.execTail()))
	}
	return resp
}

var (
	pathPrefix     = regexp.MustCompile(`^/?[^/]+/`)
	framesPostJSON = []string{"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:121)"}
)

func (a *agent) handlePost(r *http.Request, query map[string][]*string) any {
	ps := newParams(firstValues(query))
	body, rerr := io.ReadAll(r.Body)
	if rerr != nil {
		return a.throwable(newExc(IOException, rerr.Error()).at(framesJSONRequest, framesAgentPost))
	}
	text, cerr := decodeBody(body, r.Header.Get("Content-Type"))
	if cerr != nil {
		return a.throwable(cerr.at(framesJSONRequest, framesAgentPost))
	}
	v, perr := parseJSON(text)
	if perr != nil {
		if perr.class == parseExcClass {
			reader := "java.io.InputStreamReader@" + strconv.FormatUint(uint64(a.opts.IdentityHash()), 16)
			e := newExc(IllegalArgumentException, "Invalid JSON request "+reader).at(framesJSONRequest)
			perr.at(framesJSONParser, framesPostJSON)
			return a.throwable(e.withCause(perr), framesAgentPost)
		}
		return a.throwable(perr.at(framesJSONParser, framesPostJSON), framesAgentPost)
	}
	switch x := v.(type) {
	case *Map:
		ctx := httpCtx{}
		req, err := fromPost(x, ps)
		if err != nil {
			return a.throwable(err.at(framesCreatePost), framesAgentPost)
		}
		resp, esc := a.executeRequest(req, ctx)
		if esc != nil {
			return a.throwable(esc.at(ctx.execTail()))
		}
		return resp
	case jlist:
		ctx := httpCtx{bulk: true}
		reqs := make([]*request, 0, len(x))
		for _, o := range x {
			m, ok := o.(*Map)
			if !ok {
				e := newExc(IllegalArgumentException, "Not a request within the list of requests "+
					javaToString(x)+". Expected map, but found: "+javaToString(o))
				return a.throwable(e.at(framesCreatePostBulk[1:], framesAgentPost))
			}
			req, err := fromPost(m, ps)
			if err != nil {
				return a.throwable(err.at(framesCreatePostBulk), framesAgentPost)
			}
			reqs = append(reqs, req)
		}
		out := jlist{}
		for _, req := range reqs {
			resp, esc := a.executeRequest(req, ctx)
			if esc != nil {
				return a.throwable(esc.at(ctx.execTail()))
			}
			out = append(out, resp)
		}
		return out
	}
	e := newExc(IllegalArgumentException, "Invalid JSON Request "+javaToString(v))
	return a.throwable(e.at([]string{"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java)"}, framesAgentPost))
}

// decodeBody decodes the POST body with the Content-Type charset (the
// JVM's default, UTF-8, otherwise), replacing malformed input as the JVM's
// decoder does.
func decodeBody(body []byte, contentType string) (string, *jexc) {
	cs := ""
	if m := charsetParam.FindStringSubmatch(contentType); m != nil {
		cs = m[1]
	}
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "unicode-1-1-utf-8":
		if utf8.Valid(body) {
			return string(body), nil
		}
		return strings.ToValidUTF8(string(body), "\uFFFD"), nil
	case "iso-8859-1", "iso8859-1", "iso8859_1", "iso_8859_1", "iso_8859-1", "latin1", "l1",
		"iso-ir-100", "ibm819", "cp819", "csisolatin1", "819", "ibm-819", "iso_8859-1:1987":
		rs := make([]rune, len(body))
		for i, b := range body {
			rs[i] = rune(b)
		}
		return string(rs), nil
	case "us-ascii", "ascii", "us", "iso646-us", "ascii7", "646", "cp367", "ibm367", "csascii", "default",
		"iso_646.irv:1991", "iso-ir-6", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso_646.irv:1983":
		rs := make([]rune, len(body))
		for i, b := range body {
			if b < 0x80 {
				rs[i] = rune(b)
			} else {
				rs[i] = '\uFFFD'
			}
		}
		return string(rs), nil
	}
	if !legalCharsetName.MatchString(cs) {
		return "", newExc("java.nio.charset.IllegalCharsetNameException", cs)
	}
	return "", newExc("java.io.UnsupportedEncodingException", cs)
}

var (
	charsetParam     = regexp.MustCompile(`^.*;\s*charset=([^;,]+)\s*.*$`)
	legalCharsetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-+:_.]*$`)
)

// parseQuery is ParsedUri.parseQuery: a pair without '=' keeps its name
// undecoded and a null value.
func parseQuery(raw string) (map[string][]*string, *jexc) {
	out := map[string][]*string{}
	if raw == "" {
		return out, nil
	}
	for _, pair := range strings.Split(raw, "&") {
		i := strings.IndexByte(pair, '=')
		if i < 0 {
			out[pair] = append(out[pair], nil)
			continue
		}
		name, err := urlDecode(pair[:i])
		if err != nil {
			return nil, err
		}
		val, err := urlDecode(pair[i+1:])
		if err != nil {
			return nil, err
		}
		out[name] = append(out[name], &val)
	}
	return out, nil
}

func firstValue(q map[string][]*string, k string) *string {
	vs := q[k]
	if len(vs) == 0 {
		return nil
	}
	return vs[0]
}

func firstValues(q map[string][]*string) map[string]*string {
	out := map[string]*string{}
	for k, vs := range q {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

// urlDecode is java.net.URLDecoder.decode(s, "UTF-8").
func urlDecode(s string) (string, *jexc) {
	var b strings.Builder
	n := len(s)
	for i := 0; i < n; {
		c := s[i]
		switch c {
		case '+':
			b.WriteByte(' ')
			i++
		case '%':
			var bs []byte
			for i+2 < n && c == '%' {
				h := s[i+1 : i+3]
				v, err := strconv.ParseInt(h, 16, 32)
				if err != nil {
					return "", newExc(IllegalArgumentException,
						"URLDecoder: Illegal hex characters in escape (%) pattern - "+`For input string: "`+h+`" under radix 16`)
				}
				if v < 0 {
					return "", newExc(IllegalArgumentException,
						"URLDecoder: Illegal hex characters in escape (%) pattern - negative value")
				}
				bs = append(bs, byte(v))
				i += 3
				if i < n {
					c = s[i]
				}
			}
			if i < n && c == '%' {
				return "", newExc(IllegalArgumentException, "URLDecoder: Incomplete trailing escape (%) pattern")
			}
			b.WriteString(strings.ToValidUTF8(string(bs), "\uFFFD"))
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// ---------------------------------------------------------------------------
// Executing a request and reporting errors

// executeRequest is HttpRequestHandler.executeRequest: the answer for one
// request, or an exception its catch clauses let through (which then turns
// the whole HTTP answer into a single error object).
func (a *agent) executeRequest(req *request, ctx httpCtx) (*Map, *jexc) {
	val, err := a.dispatch(req)
	if err == nil {
		if nc, ok := val.(notChanged); ok {
			m := newJSONMap()
			m.Put("request", req.echo())
			m.Put("status", 304)
			m.Put("timestamp", nc.at)
			return m, nil
		}
		m := newJSONMap()
		m.Put("value", val)
		m.Put("request", req.echo())
		m.Put("timestamp", a.opts.Clock().Unix())
		m.Put("status", 200)
		return m, nil
	}
	code, shown := 0, err
	switch {
	case isA(err.class, "javax.management.ReflectionException"),
		isA(err.class, "javax.management.InstanceNotFoundException"),
		isA(err.class, "javax.management.AttributeNotFoundException"):
		code = 404
	case isA(err.class, "javax.management.MBeanException"):
		code, shown = 500, err.cause
	case isA(err.class, UnsupportedOperationException), isA(err.class, IOException):
		code = 500
	case isA(err.class, IllegalArgumentException):
		code = 400
	case isA(err.class, "java.lang.SecurityException"):
		code, shown = 403, newExc("java.lang.Exception", err.message())
	case isA(err.class, "javax.management.RuntimeMBeanException"):
		shown = err.cause
		switch {
		case isA(shown.class, IllegalArgumentException):
			code = 400
		case isA(shown.class, "java.lang.SecurityException"):
			code = 403
		default:
			code = 500
		}
	default:
		return nil, err
	}
	m, esc := a.errorJSON(code, shown.at(ctx.execTail()), req)
	if esc != nil {
		return nil, esc
	}
	return m, nil
}

// throwable is HttpRequestHandler.handleThrowable for exceptions outside
// executeRequest: the answer has no "request" and always a stacktrace.
func (a *agent) throwable(e *jexc, frames ...[]string) *Map {
	e.at(frames...)
	for c := e.cause; c != nil; c = c.cause {
		if len(c.frames) > 0 {
			c.at(frames...)
		}
	}
	code := 500
	switch {
	case isA(e.class, IllegalArgumentException):
		code = 400
	case isA(e.class, "java.lang.SecurityException"):
		code, e = 403, newExc("java.lang.Exception", e.message())
	}
	m, _ := a.errorJSON(code, e, nil)
	return m
}

// errorJSON is HttpRequestHandler.getErrorJSON. With a request, a
// "includeStackTrace" parameter given without a value makes the agent fail
// with a NullPointerException, which is returned as escaping.
func (a *agent) errorJSON(code int, e *jexc, req *request) (*Map, *jexc) {
	m := newJSONMap()
	m.Put("status", code)
	m.Put("error", e.errorText())
	m.Put("error_type", e.class)
	include := strp("true")
	if req != nil {
		include = req.params.get("includeStackTrace")
		if include == nil {
			return nil, newExc("java.lang.NullPointerException",
				`Cannot invoke "String.equalsIgnoreCase(String)" because "includeStackTrace" is null`).
				at([]string{"org.jolokia.http.HttpRequestHandler.addErrorInfo(HttpRequestHandler.java)",
					"org.jolokia.http.HttpRequestHandler.getErrorJSON(HttpRequestHandler.java)"})
		}
	}
	if strings.EqualFold(*include, "true") ||
		(strings.EqualFold(*include, "runtime") && isA(e.class, RuntimeException)) {
		m.Put("stacktrace", e.stackTrace())
	}
	if req != nil && req.params.getBool("serializeException") {
		m.Put("error_value", exceptionJSON(e))
	}
	if req != nil {
		m.Put("request", req.echo())
	}
	return m, nil
}

// exceptionJSON approximates how the agent serialises an exception with
// serializeException: the bean properties every Throwable has.
func exceptionJSON(e *jexc) *Map {
	m := newJSONMap()
	if e.cause != nil {
		m.Put("cause", exceptionJSON(e.cause))
	} else {
		m.Put("cause", nil)
	}
	if e.msg != nil {
		m.Put("localizedMessage", *e.msg)
		m.Put("message", *e.msg)
	} else {
		m.Put("localizedMessage", nil)
		m.Put("message", nil)
	}
	m.Put("suppressed", jlist{})
	return m
}
