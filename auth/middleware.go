package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// DefaultMaxBodyBytes bounds request bodies when Policy.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// Policy says who may do what; see Middleware.
type Policy struct {
	// Verifier checks bearer tokens; nil turns authentication off and
	// every request has RoleAdmin (a sidecar on a trusted network, tests).
	Verifier *Verifier
	// AnonymousHealth lets GET and HEAD of /v1/health, /v1/health/... and
	// /metrics through without a token, for load balancers and Prometheus.
	AnonymousHealth bool
	// RequireClientCertPrefix (such as "/v1/peer/") is where requests
	// come from other sidecars: when PeerCertRequired, they need a client
	// certificate verified against the cluster CA (see ServerTLS), and a
	// bearer token as well (the one the fan-out forwards).
	RequireClientCertPrefix string
	// PeerCertRequired turns the client certificate check on; set it when
	// the server has a client CA (TLSOptions.ClientCAFile).
	PeerCertRequired bool
	// MaxBodyBytes bounds every request body; 0 means
	// DefaultMaxBodyBytes. Handlers reading past it get an
	// *http.MaxBytesError.
	MaxBodyBytes int64
	// RoleFor says which role a request needs; nil means DefaultRoleFor.
	RoleFor func(r *http.Request) Role
	// Logger gets every refusal at warn level; nil discards.
	Logger *slog.Logger
}

// DefaultRoleFor: anything under /v1/admin/ needs admin; other GET and
// HEAD requests read; changes need operate, unknown ones included, so a
// new endpoint is never open to readers by mistake.
func DefaultRoleFor(r *http.Request) Role {
	switch {
	case under(RouteSegments(r), "v1", "admin"):
		return RoleAdmin
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return RoleRead
	}
	// PUT, POST and DELETE on /v1/settings, /v1/bulkcmd/, /v1/desires/,
	// /v1/jobs: operate, as is everything else.
	return RoleOperate
}

type claimsKey struct{}

// ClaimsFrom returns the claims of the request's verified token; false
// when the request was let through without one (anonymous health).
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}

// WithClaims returns ctx carrying c, for tests of handlers behind the
// Middleware.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// Middleware refuses requests p does not allow and passes the others to
// next with their Claims in the context (ClaimsFrom). The Authorization
// header is left in place so a fan-out can forward it to peers.
//
// Refusals are JSON {"error": reason}: 401 with a WWW-Authenticate
// challenge (RFC 6750) for a missing or invalid token, 403 for a role too
// low or a peer request without a cluster certificate, 413 for a body
// over the limit. Each is logged at warn level, without the token.
func Middleware(next http.Handler, p Policy) http.Handler {
	if p.MaxBodyBytes <= 0 {
		p.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if p.RoleFor == nil {
		p.RoleFor = DefaultRoleFor
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	var peerPrefix []string
	if pp := strings.Trim(p.RequireClientCertPrefix, "/"); pp != "" {
		peerPrefix = strings.Split(pp, "/")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segs := RouteSegments(r)
		if p.PeerCertRequired && peerPrefix != nil && under(segs, peerPrefix...) &&
			(r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
			deny403(w, r, p.Logger, "a client certificate from the cluster CA is needed for "+p.RequireClientCertPrefix, "")
			return
		}
		var claims Claims
		authed := true
		switch {
		case p.AnonymousHealth && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			(under(segs, "v1", "health") || len(segs) == 1 && segs[0] == "metrics"):
			authed = false
		case p.Verifier == nil:
			claims = Claims{Role: RoleAdmin}
		default:
			tok, given, reason := bearer(r)
			if reason == "" {
				c, err := p.Verifier.Verify(tok)
				if err != nil {
					reason = err.Error()
				}
				claims = c
			}
			if reason != "" {
				deny401(w, r, p.Logger, reason, given)
				return
			}
			if need := p.RoleFor(r); claims.Role < need {
				deny403(w, r, p.Logger, fmt.Sprintf("role %s may not %s %s (needs %s)",
					claims.Role, r.Method, clip(r.URL.Path), need), claims.Subject)
				return
			}
		}
		if r.ContentLength > p.MaxBodyBytes {
			deny(w, r, p.Logger, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, p.MaxBodyBytes), claims.Subject)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, p.MaxBodyBytes)
		}
		if authed {
			r = r.WithContext(WithClaims(r.Context(), claims))
		}
		next.ServeHTTP(w, r)
	})
}

// bearer takes the token from the Authorization header. given reports
// that a Bearer token was sent (for RFC 6750's error="invalid_token").
func bearer(r *http.Request) (tok string, given bool, reason string) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", false, "missing bearer token (Authorization: Bearer <token>)"
	case len(vals) > 1:
		return "", true, "more than one Authorization header"
	}
	scheme, tok, _ := strings.Cut(vals[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false, "Authorization header is not a Bearer token"
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", true, "empty bearer token"
	}
	return tok, true, ""
}

func deny401(w http.ResponseWriter, r *http.Request, log *slog.Logger, reason string, given bool) {
	ch := `Bearer realm="ringside"`
	if given {
		ch += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	deny(w, r, log, http.StatusUnauthorized, reason, "")
}

func deny403(w http.ResponseWriter, r *http.Request, log *slog.Logger, reason, subject string) {
	deny(w, r, log, http.StatusForbidden, reason, subject)
}

func deny(w http.ResponseWriter, r *http.Request, log *slog.Logger, code int, reason, subject string) {
	attrs := []slog.Attr{
		slog.Int("status", code),
		slog.String("remote", r.RemoteAddr),
		slog.String("method", clip(r.Method)),
		slog.String("path", clip(r.URL.Path)),
		slog.String("reason", reason),
	}
	if subject != "" {
		attrs = append(attrs, slog.String("subject", clip(subject)))
	}
	log.LogAttrs(r.Context(), slog.LevelWarn, "auth: request refused", attrs...)
	b, err := json.Marshal(struct {
		Error string `json:"error"`
	}{reason})
	if err != nil {
		b = []byte(`{"error":"` + http.StatusText(code) + `"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if code == http.StatusRequestEntityTooLarge {
		h.Set("Connection", "close") // the unread body is not worth draining
	}
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// RouteSegments are the request path's segments as http.ServeMux routes
// them: the escaped path cleaned of . and .., then each segment unescaped.
// The checks use them rather than r.URL.Path so they see what the mux
// serves: /v1/%61dmin/x reaches /v1/admin/x's handler, and
// /v1/settings/%2E%2E/%2E%2E/v1/health/x is under /v1/settings/, not
// /v1/health/. A trailing slash gives a last empty segment. Custom
// Policy.RoleFor functions should use them too.
func RouteSegments(r *http.Request) []string {
	p := strings.TrimPrefix(cleanPath(r.URL.EscapedPath()), "/")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	return segs
}

// cleanPath is path.Clean keeping a trailing slash, as ServeMux does.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// under: segs is prefix or below it (so /v1/adminx is not under /v1/admin).
func under(segs []string, prefix ...string) bool {
	return len(segs) >= len(prefix) && slices.Equal(segs[:len(prefix)], prefix)
}
