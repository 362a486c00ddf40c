package jolokia

import (
	"errors"
	"strconv"
	"strings"
)

// Exception is a Java exception thrown by an MBean. Return it (or wrap it)
// from Attribute.Get/Set and Operation.Call to make the agent answer as it
// does for an exception thrown inside the MBean, e.g.
//
//	&Exception{Class: "java.lang.IllegalArgumentException", Message: "Keyspace x does not exist"}
//
// gives status 400 (the JMX server wraps runtime exceptions and Jolokia
// unwraps them: IllegalArgumentException and subclasses give 400,
// SecurityException 403, anything else 500). An empty Message stands for a
// null message (the error text is then the class name alone). A Go error
// that is not an *Exception is reported as a java.lang.RuntimeException
// carrying err.Error().
type Exception struct {
	Class   string
	Message string
}

func (e *Exception) Error() string {
	if e.Message == "" {
		return e.Class
	}
	return e.Class + ": " + e.Message
}

// Exceptions used by the simulator's MBeans.
const (
	IllegalArgumentException      = "java.lang.IllegalArgumentException"
	IllegalStateException         = "java.lang.IllegalStateException"
	UnsupportedOperationException = "java.lang.UnsupportedOperationException"
	RuntimeException              = "java.lang.RuntimeException"
	IOException                   = "java.io.IOException"
)

// NotSimulated is the exception an attribute or operation without a Go
// implementation throws: java.lang.UnsupportedOperationException
// "not simulated by ringside sim: <name>" (status 500 on the wire).
func NotSimulated(name string) *Exception {
	return &Exception{Class: UnsupportedOperationException, Message: "not simulated by ringside sim: " + name}
}

// jexc is a Java Throwable as the agent handles it.
type jexc struct {
	class  string
	msg    *string // nil: no message
	cause  *jexc
	frames []string // "pkg.Class.method(File.java:12)", without "\tat "
}

func newExc(class, msg string) *jexc { return &jexc{class: class, msg: &msg} }

func newExcNoMsg(class string) *jexc { return &jexc{class: class} }

func (e *jexc) withCause(c *jexc) *jexc { e.cause = c; return e }

func (e *jexc) at(frames ...[]string) *jexc {
	for _, f := range frames {
		e.frames = append(e.frames, f...)
	}
	return e
}

// String is Throwable.toString.
func (e *jexc) String() string {
	if e.msg == nil {
		return e.class
	}
	return e.class + ": " + *e.msg
}

// errorText is the "error" field: class, then " : message" if there is one.
func (e *jexc) errorText() string {
	if e.msg == nil {
		return e.class
	}
	return e.class + " : " + *e.msg
}

func (e *jexc) message() string {
	if e.msg == nil {
		return "null"
	}
	return *e.msg
}

// stackTrace is Throwable.printStackTrace output, including "Caused by:"
// sections with their "... n more" elision.
func (e *jexc) stackTrace() string {
	var b strings.Builder
	b.WriteString(e.String())
	b.WriteByte('\n')
	for _, f := range e.frames {
		b.WriteString("\tat " + f + "\n")
	}
	enclosing := e.frames
	for c := e.cause; c != nil; c = c.cause {
		common := 0
		for i, j := len(c.frames)-1, len(enclosing)-1; i >= 0 && j >= 0 && c.frames[i] == enclosing[j]; i, j = i-1, j-1 {
			common++
		}
		b.WriteString("Caused by: " + c.String() + "\n")
		for _, f := range c.frames[:len(c.frames)-common] {
			b.WriteString("\tat " + f + "\n")
		}
		if common > 0 {
			b.WriteString("\t... " + strconv.Itoa(common) + " more\n")
		}
		enclosing = c.frames
	}
	return b.String()
}

// javaSuper is the part of the Java exception hierarchy the agent's catch
// clauses and the simulator's MBeans need.
var javaSuper = map[string]string{
	"java.lang.Exception":                             "java.lang.Throwable",
	"java.lang.Error":                                 "java.lang.Throwable",
	"java.lang.RuntimeException":                      "java.lang.Exception",
	"java.lang.IllegalArgumentException":              "java.lang.RuntimeException",
	"java.lang.NumberFormatException":                 "java.lang.IllegalArgumentException",
	"java.util.regex.PatternSyntaxException":          "java.lang.IllegalArgumentException",
	"java.util.IllegalFormatException":                "java.lang.IllegalArgumentException",
	"java.nio.charset.IllegalCharsetNameException":    "java.lang.IllegalArgumentException",
	"java.nio.charset.UnsupportedCharsetException":    "java.lang.IllegalArgumentException",
	"java.security.InvalidParameterException":         "java.lang.IllegalArgumentException",
	"java.lang.IllegalStateException":                 "java.lang.RuntimeException",
	"java.lang.UnsupportedOperationException":         "java.lang.RuntimeException",
	"java.lang.NullPointerException":                  "java.lang.RuntimeException",
	"java.lang.ClassCastException":                    "java.lang.RuntimeException",
	"java.lang.IndexOutOfBoundsException":             "java.lang.RuntimeException",
	"java.lang.ArrayIndexOutOfBoundsException":        "java.lang.IndexOutOfBoundsException",
	"java.lang.StringIndexOutOfBoundsException":       "java.lang.IndexOutOfBoundsException",
	"java.lang.SecurityException":                     "java.lang.RuntimeException",
	"java.lang.ArithmeticException":                   "java.lang.RuntimeException",
	"java.util.NoSuchElementException":                "java.lang.RuntimeException",
	"java.util.ConcurrentModificationException":       "java.lang.RuntimeException",
	"java.io.UncheckedIOException":                    "java.lang.RuntimeException",
	"java.io.IOException":                             "java.lang.Exception",
	"java.io.UnsupportedEncodingException":            "java.io.IOException",
	"java.net.UnknownHostException":                   "java.io.IOException",
	"java.lang.InterruptedException":                  "java.lang.Exception",
	"java.util.concurrent.ExecutionException":         "java.lang.Exception",
	"java.util.concurrent.TimeoutException":           "java.lang.Exception",
	"javax.management.JMException":                    "java.lang.Exception",
	"javax.management.OperationsException":            "javax.management.JMException",
	"javax.management.InstanceNotFoundException":      "javax.management.OperationsException",
	"javax.management.AttributeNotFoundException":     "javax.management.OperationsException",
	"javax.management.MalformedObjectNameException":   "javax.management.OperationsException",
	"javax.management.InvalidAttributeValueException": "javax.management.OperationsException",
	"javax.management.ReflectionException":            "javax.management.JMException",
	"javax.management.MBeanException":                 "javax.management.JMException",
	"javax.management.JMRuntimeException":             "java.lang.RuntimeException",
	"javax.management.RuntimeOperationsException":     "javax.management.JMRuntimeException",
	"javax.management.RuntimeMBeanException":          "javax.management.JMRuntimeException",
	"javax.management.RuntimeErrorException":          "javax.management.JMRuntimeException",
	// Cassandra's own exceptions derive from CassandraException, a RuntimeException.
	"org.apache.cassandra.exceptions.CassandraException": "java.lang.RuntimeException",
}

// isA reports whether class is family or a subclass of it. Classes missing
// from javaSuper are placed by name: "...Error" under java.lang.Error,
// "...RuntimeException" and org.apache.cassandra.exceptions.* under
// RuntimeException, anything else under java.lang.Exception (checked).
func isA(class, family string) bool {
	for c := class; c != ""; {
		if c == family {
			return true
		}
		s, ok := javaSuper[c]
		if !ok {
			switch {
			case c == "java.lang.Throwable":
				s = ""
			case strings.HasSuffix(c, "Error"):
				s = "java.lang.Error"
			case strings.HasSuffix(c, "RuntimeException"),
				strings.HasPrefix(c, "org.apache.cassandra.exceptions."):
				s = "java.lang.RuntimeException"
			default:
				s = "java.lang.Exception"
			}
		}
		c = s
	}
	return false
}

// fromMBean turns an error returned by Get/Set/Call into what the platform
// MBean server throws: RuntimeMBeanException around runtime exceptions,
// RuntimeErrorException around errors, MBeanException around checked ones.
func fromMBean(err error, frame string) *jexc {
	var ex *Exception
	if !errors.As(err, &ex) {
		ex = &Exception{Class: RuntimeException, Message: err.Error()}
	}
	cls := ex.Class
	if cls == "" {
		cls = RuntimeException
	}
	target := &jexc{class: cls}
	if ex.Message != "" {
		m := ex.Message
		target.msg = &m
	}
	target.frames = append([]string{frame}, jmxInvokeFrames...)
	var w *jexc
	switch {
	case isA(cls, "java.lang.Error"):
		w = newExc("javax.management.RuntimeErrorException", target.String())
	case isA(cls, "java.lang.RuntimeException"):
		w = newExc("javax.management.RuntimeMBeanException", target.String())
	default:
		w = newExc("javax.management.MBeanException", target.String())
	}
	w.frames = jmxWrapFrames
	return w.withCause(target)
}

// Stack frames. Jolokia's own frames are copied from real 1.7.1 traces
// (testdata/cassandra-4.1.6/jolokia); where no trace was captured the frame
// carries no line number, as Java prints it for unknown lines.
var (
	framesHTTPServer = []string{
		"jdk.httpserver/com.sun.net.httpserver.Filter$Chain.doFilter(Filter.java:95)",
		"jdk.httpserver/sun.net.httpserver.AuthFilter.doFilter(AuthFilter.java:82)",
		"jdk.httpserver/com.sun.net.httpserver.Filter$Chain.doFilter(Filter.java:98)",
		"jdk.httpserver/sun.net.httpserver.ServerImpl$Exchange$LinkHandler.handle(ServerImpl.java:855)",
		"jdk.httpserver/com.sun.net.httpserver.Filter$Chain.doFilter(Filter.java:95)",
		"jdk.httpserver/sun.net.httpserver.ServerImpl$Exchange.run(ServerImpl.java:831)",
		"java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
		"java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:635)",
		"java.base/java.lang.Thread.run(Thread.java:840)",
	}
	framesAgentPost = append([]string{
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.executePostRequest(JolokiaHttpHandler.java:292)",
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.doHandle(JolokiaHttpHandler.java:238)",
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.handle(JolokiaHttpHandler.java:180)",
	}, framesHTTPServer...)
	framesAgentGet = append([]string{
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.executeGetRequest(JolokiaHttpHandler.java)",
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.doHandle(JolokiaHttpHandler.java)",
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.handle(JolokiaHttpHandler.java:180)",
	}, framesHTTPServer...)
	framesAgentDoHandle = append([]string{
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.doHandle(JolokiaHttpHandler.java)",
		"org.jolokia.jvmagent.handler.JolokiaHttpHandler.handle(JolokiaHttpHandler.java:180)",
	}, framesHTTPServer...)
	framesDispatch = []string{
		"org.jolokia.handler.JsonRequestHandler.handleRequest(JsonRequestHandler.java:89)",
		"org.jolokia.backend.MBeanServerExecutorLocal.handleRequest(MBeanServerExecutorLocal.java:109)",
		"org.jolokia.backend.MBeanServerHandler.dispatchRequest(MBeanServerHandler.java:161)",
		"org.jolokia.backend.LocalRequestDispatcher.dispatchRequest(LocalRequestDispatcher.java:99)",
		"org.jolokia.backend.BackendManager.callRequestDispatcher(BackendManager.java:429)",
		"org.jolokia.backend.BackendManager.handleRequest(BackendManager.java:158)",
		"org.jolokia.http.HttpRequestHandler.executeRequest(HttpRequestHandler.java:197)",
	}
	framesExecNoOp = []string{
		"org.jolokia.handler.ExecHandler.extractMBeanParameterInfos(ExecHandler.java:176)",
		"org.jolokia.handler.ExecHandler.extractOperationTypes(ExecHandler.java:133)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:84)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesExecOverloaded = []string{
		"org.jolokia.handler.ExecHandler.extractOperationTypes(ExecHandler.java:139)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:84)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesExecSignature = []string{
		"org.jolokia.handler.ExecHandler.extractOperationTypes(ExecHandler.java)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:84)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesExecArgCount = []string{
		"org.jolokia.handler.ExecHandler.verifyArguments(ExecHandler.java:106)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:88)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesExec = []string{
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesExecInvoke = []string{
		"java.management/com.sun.jmx.interceptor.DefaultMBeanServerInterceptor.invoke(DefaultMBeanServerInterceptor.java:814)",
		"java.management/com.sun.jmx.mbeanserver.JmxMBeanServer.invoke(JmxMBeanServer.java:802)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:98)",
		"org.jolokia.handler.ExecHandler.doHandleRequest(ExecHandler.java:40)",
	}
	framesReadNotFound = []string{
		"java.management/com.sun.jmx.interceptor.DefaultMBeanServerInterceptor.getMBean(DefaultMBeanServerInterceptor.java:1088)",
		"java.management/com.sun.jmx.interceptor.DefaultMBeanServerInterceptor.getAttribute(DefaultMBeanServerInterceptor.java:640)",
		"java.management/com.sun.jmx.mbeanserver.JmxMBeanServer.getAttribute(JmxMBeanServer.java:679)",
		"org.jolokia.handler.ReadHandler.doHandleRequest(ReadHandler.java:106)",
		"org.jolokia.handler.ReadHandler.doHandleRequest(ReadHandler.java:37)",
	}
	framesRead = []string{
		"java.management/com.sun.jmx.mbeanserver.JmxMBeanServer.getAttribute(JmxMBeanServer.java:679)",
		"org.jolokia.handler.ReadHandler.doHandleRequest(ReadHandler.java:106)",
		"org.jolokia.handler.ReadHandler.doHandleRequest(ReadHandler.java:37)",
	}
	framesWrite = []string{
		"org.jolokia.handler.WriteHandler.doHandleRequest(WriteHandler.java)",
		"org.jolokia.handler.WriteHandler.doHandleRequest(WriteHandler.java)",
	}
	framesList = []string{
		"org.jolokia.handler.ListHandler.doHandleRequest(ListHandler.java)",
		"org.jolokia.handler.ListHandler.doHandleRequest(ListHandler.java)",
	}
	framesConvert = []string{
		"org.jolokia.converter.object.StringToObjectConverter.prepareValue(StringToObjectConverter.java)",
	}
	framesSerialize = []string{
		"org.jolokia.converter.json.ObjectToJsonConverter.extractObject(ObjectToJsonConverter.java)",
		"org.jolokia.converter.json.ObjectToJsonConverter.convertToJson(ObjectToJsonConverter.java)",
		"org.jolokia.backend.BackendManager.callRequestDispatcher(BackendManager.java)",
	}
	framesCreatePost = []string{
		"org.jolokia.request.JmxRequestFactory.createPostRequest(JmxRequestFactory.java:119)",
		"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:136)",
	}
	framesCreatePostBulk = []string{
		"org.jolokia.request.JmxRequestFactory.createPostRequest(JmxRequestFactory.java:119)",
		"org.jolokia.request.JmxRequestFactory.createPostRequests(JmxRequestFactory.java)",
		"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java)",
	}
	framesCreateGet = []string{
		"org.jolokia.request.JmxRequestFactory.createGetRequest(JmxRequestFactory.java)",
		"org.jolokia.http.HttpRequestHandler.handleGetRequest(HttpRequestHandler.java)",
	}
	framesObjectName = []string{
		"java.management/javax.management.ObjectName.construct(ObjectName.java:486)",
		"java.management/javax.management.ObjectName.<init>(ObjectName.java:1407)",
		"org.jolokia.request.JmxObjectNameRequest.initObjectName(JmxObjectNameRequest.java:130)",
		"org.jolokia.request.JmxObjectNameRequest.<init>(JmxObjectNameRequest.java:65)",
	}
	framesJSONRequest = []string{
		"org.jolokia.http.HttpRequestHandler.extractJsonRequest(HttpRequestHandler.java:181)",
		"org.jolokia.http.HttpRequestHandler.handlePostRequest(HttpRequestHandler.java:121)",
	}
	framesJSONParser = []string{
		"org.jolokia.shaded.org.json.simple.parser.JSONParser.parse(JSONParser.java:313)",
		"org.jolokia.shaded.org.json.simple.parser.JSONParser.parse(JSONParser.java:148)",
		"org.jolokia.http.HttpRequestHandler.extractJsonRequest(HttpRequestHandler.java:179)",
	}
	jmxInvokeFrames = []string{
		"java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
		"java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke(NativeMethodAccessorImpl.java:77)",
		"java.base/jdk.internal.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)",
		"java.base/java.lang.reflect.Method.invoke(Method.java:569)",
		"sun.reflect.misc.Trampoline.invoke(MethodUtil.java:72)",
		"java.base/sun.reflect.misc.MethodUtil.invoke(MethodUtil.java:262)",
		"java.management/com.sun.jmx.mbeanserver.StandardMBeanIntrospector.invokeM2(StandardMBeanIntrospector.java:112)",
		"java.management/com.sun.jmx.mbeanserver.StandardMBeanIntrospector.invokeM2(StandardMBeanIntrospector.java:46)",
		"java.management/com.sun.jmx.mbeanserver.MBeanIntrospector.invokeM(MBeanIntrospector.java:237)",
		"java.management/com.sun.jmx.mbeanserver.PerInterface.invoke(PerInterface.java:138)",
		"java.management/com.sun.jmx.mbeanserver.MBeanSupport.invoke(MBeanSupport.java:252)",
	}
	jmxWrapFrames = []string{
		"java.management/com.sun.jmx.interceptor.DefaultMBeanServerInterceptor.rethrow(DefaultMBeanServerInterceptor.java)",
		"java.management/com.sun.jmx.interceptor.DefaultMBeanServerInterceptor.rethrowMaybeMBeanException(DefaultMBeanServerInterceptor.java)",
	}
)
