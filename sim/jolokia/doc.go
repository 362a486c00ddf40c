// Package jolokia is the simulator's Jolokia endpoint: an HTTP agent that
// answers byte-for-byte like the Jolokia 1.7.1 JVM agent attached to
// Cassandra 4.1.6, over an in-process MBean registry that the simulated
// nodes fill with Cassandra MBeans backed by their state.
//
// # Use
//
//	ss := jolokia.StorageService() // the real 4.1.6 signature set, nothing implemented
//	ss.OnGet("OperationMode", func() (any, error) { return node.Mode(), nil })
//	ss.OnSet("CompactionThroughputMbPerSec", func(v any) error { return node.SetThroughput(v.(int64)) })
//	ss.OnCall("forceKeyspaceFlush", func(args []any) (any, error) { ... args[0].(string), args[1].([]string) ... })
//	reg := jolokia.NewRegistry()
//	reg.Register(ss)
//	reg.Register(jolokia.StorageProxy())
//	srv := &http.Server{Handler: jolokia.NewHandler(reg, jolokia.Options{AgentID: "127.0.0.1-4242-1a2b3c4d-jvm"})}
//	srv.Serve(listener) // the node's 127.0.0.x:8778
//
// Serve the handler directly rather than through an http.ServeMux: the mux
// would redirect "/jolokia" and paths with "//" (which Jolokia's "!//"
// escaping produces), where the agent answers itself. Use one handler per
// node, and attach implementations before serving.
//
// Attributes and operations without a Go implementation answer as if the
// MBean threw java.lang.UnsupportedOperationException("not simulated by
// ringside sim: <name>"): status 500 with that error_type and error.
// Implementations report Java exceptions by returning *Exception; the
// status follows the JMX/Jolokia unwrapping (IllegalArgumentException 400,
// SecurityException 403, others 500).
//
// # What is reproduced
//
// Everything in testdata/cassandra-4.1.6/jolokia is replayed by the tests
// and matches byte for byte, stack traces included for errors raised by the
// agent itself (MBean exceptions carry the real first line, and JMX and
// Jolokia frames below a synthetic "(Unknown Source)" frame of the MBean).
// In particular:
//
//   - key order: every JSON object is emitted in java.util.HashMap order
//     (see Map), json-simple escaping ("\/", \uXXXX for U+007F-U+009F and
//     U+2000-U+20FF) and Java number formatting (Double.toString);
//   - POST single requests and bulk arrays (per-entry status; a request
//     that cannot even be built fails the whole bulk with one error object),
//     GET /jolokia/<type>/... with "!" escaping ("!/" is a slash inside a
//     part, "!!" a "!"), "*" wildcards, the "p" query parameter, "[null]"
//     and `""` argument tags;
//   - read of one attribute, of a list (a map keyed by attribute), of all
//     readable attributes, of MBean patterns, with inner paths; write
//     (answer = old value); exec with overload resolution, "name(types)"
//     signatures and the exact messages for unknown, overloaded and
//     miscounted operations; StringToObjectConverter argument conversion;
//     list with path, maxDepth (deeper values become strings) and the
//     overload arrays; version; search; ifModifiedSince (304);
//   - processing parameters maxDepth (hard limit 15), maxCollectionSize,
//     maxObjects, ignoreErrors, includeStackTrace (true/false/runtime),
//     canonicalNaming, mimeType, callback (JSONP), and POST "config";
//   - error shapes: "request" echo, error_type, error, stacktrace, status;
//     no echo and always a stack trace when the request could not be parsed
//     (malformed JSON, malformed ObjectName, ClassCastExceptions of wrongly
//     typed fields), json-simple's lenient grammar (optional commas and
//     colons, leading zeros) and its failures (ParseException, Long
//     overflow as NumberFormatException, java.lang.Error for bad escapes);
//   - HTTP: always 200 "text/plain; charset=utf-8" with no-cache headers,
//     CORS headers, the JDK server's 404 page outside /jolokia/, and one
//     request at a time.
//
// # Known deviations
//
//   - Stack frames are Jolokia's real ones where a trace was captured and
//     otherwise plausible frames without line numbers; frames inside the
//     MBean (Cassandra code) are not simulated.
//   - serializeException's error_value lists only the Throwable bean
//     properties (cause, localizedMessage, message, suppressed).
//   - Request bodies in charsets other than UTF-8, ISO-8859-1 and US-ASCII
//     are refused as unsupported, and Double.toString uses shortest
//     round-trip digits (JDK 17 differs for a few rare values).
//   - Inner paths do not reach bean properties of plain values (Jolokia
//     would call e.g. String.isEmpty for "empty"), "*" in an inner path
//     applies the rest of the path to every entry but does not silently
//     drop entries it does not fit (Jolokia's attribute filter), and the
//     order of a HashMap bucket turned into a tree (9+ colliding keys in a
//     table of 64+ buckets) is not modelled.
//   - Attributes and operations of hand-written MBeans (StorageProxy, ...)
//     are in interface declaration order, where the JVM uses reflection
//     order; only keys sharing a HashMap bucket can come out differently.
//   - Proxy requests ("target") are refused as by the JVM agent, and
//     notification requests are unknown types.
package jolokia
