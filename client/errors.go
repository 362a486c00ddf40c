package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// APIError is an answer that is not what the method returns: the
// sidecar's refusals are {"error": "…", …} with a 4xx or 5xx status.
type APIError struct {
	StatusCode int
	Method     string
	URL        string
	// Message is the body's "error"; "" when the body is not such a
	// refusal (another server, or a document that does not decode).
	Message string
	// Problems are the body's "problems", key → why, as settings and bulk
	// commands name each bad key or parameter of a 400 (the key "" is the
	// body as a whole).
	Problems map[string]string
	// Fields are the members of a JSON object body, Message's included
	// (a refused stop's "state" and "step", a 404's "endpoints", …).
	Fields map[string]any
	Body   []byte
}

// AsError is the answer as an *APIError, whatever its status.
func (r *Response) AsError() *APIError {
	e := &APIError{StatusCode: r.StatusCode, Method: r.Method, URL: r.URL, Body: r.Body}
	if json.Unmarshal(r.Body, &e.Fields) != nil {
		e.Fields = nil
	}
	// Each alone: a "problems" of another shape must not hide the error.
	var msg struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(r.Body, &msg) == nil {
		e.Message = msg.Error
	}
	var p struct {
		Problems map[string]string `json:"problems"`
	}
	if json.Unmarshal(r.Body, &p) == nil && len(p.Problems) > 0 {
		e.Problems = p.Problems
	}
	return e
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("unexpected answer to %s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, clip(e.Body))
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, e.Message)
}

// Field is the string member name of the body ("" when absent or not a
// string).
func (e *APIError) Field(name string) string {
	s, _ := e.Fields[name].(string)
	return s
}

var needsRole = regexp.MustCompile(`\(needs (\w+)\)`)

// NeededRole is the role a 403 of the sidecar's authorization asks for
// ("read", "operate", "admin"); "" for any other answer (a 403 may also
// be the lifecycle endpoints' loopback-only rule, or a peer certificate's).
func (e *APIError) NeededRole() string {
	if e.StatusCode != http.StatusForbidden {
		return ""
	}
	if m := needsRole.FindStringSubmatch(e.Message); m != nil {
		return m[1]
	}
	return ""
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// TransportError is a request that got no usable answer: the connection,
// TLS verification (x509 errors), a timeout or the context. Err is the
// cause, reached by errors.Is and errors.As.
type TransportError struct {
	Method, URL string
	BaseURL     string
	// ReadingBody: the status came, the body did not.
	ReadingBody bool
	Err         error
}

func (e *TransportError) Error() string {
	if e.ReadingBody {
		return fmt.Sprintf("reading the answer of %s %s: %v", e.Method, e.URL, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// SchemeError is a base URL whose scheme the sidecar does not speak.
type SchemeError struct {
	BaseURL string
	// ServerTLS: the URL is http:// and the sidecar serves HTTPS; false:
	// the URL is https:// and the sidecar plain http (Err says how the
	// handshake failed).
	ServerTLS bool
	Err       error
}

func (e *SchemeError) Error() string {
	if e.ServerTLS {
		return fmt.Sprintf("the sidecar at %s serves HTTPS: use an https:// URL", e.BaseURL)
	}
	return fmt.Sprintf("the sidecar at %s does not speak TLS (%v): use an http:// URL", e.BaseURL, e.Err)
}

func (e *SchemeError) Unwrap() error { return e.Err }
