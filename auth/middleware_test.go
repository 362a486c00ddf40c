package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type mwResult struct {
	code   int
	body   string
	errMsg string // the JSON error
	hdr    http.Header
}

// echo answers 200 with the claims' role and the Authorization header it
// received, or the body read error.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "body over "+mbe.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, err.Error(), 500)
		return
	}
	c, ok := ClaimsFrom(r.Context())
	role := "anonymous"
	if ok {
		role = c.Role.String() + " " + c.Subject
	}
	io.WriteString(w, role+"|"+r.Header.Get("Authorization"))
})

func do(h http.Handler, method, path, token string, body io.Reader) mwResult {
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.7:4711"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := mwResult{code: w.Code, body: w.Body.String(), hdr: w.Header()}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		var e struct{ Error string }
		if json.Unmarshal(w.Body.Bytes(), &e) == nil {
			res.errMsg = e.Error
		}
	}
	return res
}

func testVerifier(t *testing.T) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierOptions{HS256Secret: testSecret, Audience: "ringside"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tokenFor(t *testing.T, r Role) string {
	return mint(t, MintOptions{Role: r, Subject: "u-" + r.String(), Audience: "ringside", HS256Secret: testSecret})
}

func TestMiddlewareRoles(t *testing.T) {
	log, logs := newLogger()
	h := Middleware(echo, Policy{Verifier: testVerifier(t), Logger: log})
	read, operate, admin := tokenFor(t, RoleRead), tokenFor(t, RoleOperate), tokenFor(t, RoleAdmin)
	for _, tc := range []struct {
		tok, method, path string
		code              int
		err               string
	}{
		{read, "GET", "/v1/settings", 200, ""},
		{read, "HEAD", "/v1/health/replica", 200, ""},
		{read, "PUT", "/v1/settings", 403, "role read may not PUT /v1/settings (needs operate)"},
		{read, "POST", "/v1/bulkcmd/flush", 403, "role read may not POST /v1/bulkcmd/flush (needs operate)"},
		{read, "POST", "/v1/desires/node/stop", 403, "needs operate"},
		{read, "DELETE", "/v1/jobs/7", 403, "needs operate"},
		{read, "OPTIONS", "/v1/anything", 403, "needs operate"},
		{operate, "PUT", "/v1/settings", 200, ""},
		{operate, "POST", "/v1/bulkcmd/flush", 200, ""},
		{operate, "GET", "/v1/admin/keys", 403, "role operate may not GET /v1/admin/keys (needs admin)"},
		{operate, "POST", "/v1/health/../admin/x", 403, "needs admin"},
		{admin, "GET", "/v1/admin/keys", 200, ""},
		{admin, "DELETE", "/v1/settings", 200, ""},
	} {
		res := do(h, tc.method, tc.path, tc.tok, nil)
		if res.code != tc.code || !strings.Contains(res.errMsg, tc.err) {
			t.Errorf("%s %s as %s: %d %q, want %d %q", tc.method, tc.path, tc.tok[len(tc.tok)-6:], res.code, res.errMsg, tc.code, tc.err)
		}
		if res.code == 200 && tc.method != "HEAD" && !strings.HasSuffix(res.body, "|Bearer "+tc.tok) {
			t.Errorf("%s %s: the handler got %q; want the claims and the Authorization header", tc.method, tc.path, res.body)
		}
	}
	// The claims reach the handler.
	if res := do(h, "GET", "/v1/x", operate, nil); !strings.HasPrefix(res.body, "operate u-operate|") {
		t.Errorf("handler saw %q", res.body)
	}
	// Refusals are logged, with the subject but never the token.
	out := logs.String()
	for _, want := range []string{"auth: request refused", "status=403", "remote=192.0.2.7:4711", "method=PUT", "path=/v1/settings", "subject=u-read", `reason="role read may not PUT /v1/settings (needs operate)"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, tok := range []string{read, operate, admin} {
		if strings.Contains(out, tok) || strings.Contains(out, tok[strings.LastIndexByte(tok, '.')+1:]) {
			t.Errorf("log holds a token:\n%s", out)
		}
	}
}

func TestMiddlewareUnauthenticated(t *testing.T) {
	log, logs := newLogger()
	v := testVerifier(t)
	h := Middleware(echo, Policy{Verifier: v, Logger: log})
	expired := mint(t, MintOptions{Role: RoleAdmin, Audience: "ringside", HS256Secret: testSecret, TTL: time.Minute})
	v.now = func() time.Time { return time.Now().Add(time.Hour) }
	wrongAud := mint(t, MintOptions{Role: RoleAdmin, Audience: "other", HS256Secret: testSecret, TTL: 3 * time.Hour})
	wrongKey := mint(t, MintOptions{Role: RoleAdmin, Audience: "ringside", HS256Secret: []byte("another secret of at least 32 bytes"), TTL: 3 * time.Hour})

	const plain, invalid = `Bearer realm="ringside"`, `Bearer realm="ringside", error="invalid_token"`
	for name, tc := range map[string]struct {
		header    []string
		challenge string
		err       string
	}{
		"missing":      {nil, plain, "missing bearer token"},
		"basic":        {[]string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, plain, "not a Bearer token"},
		"empty bearer": {[]string{"Bearer "}, invalid, "empty bearer token"},
		"two headers":  {[]string{"Bearer a", "Bearer b"}, invalid, "more than one"},
		"garbled":      {[]string{"Bearer !!!"}, invalid, "malformed token"},
		"expired":      {[]string{"Bearer " + expired}, invalid, "token expired at "},
		"wrong aud":    {[]string{"bearer " + wrongAud}, invalid, "wrong audience"},
		"wrong key":    {[]string{"Bearer " + wrongKey}, invalid, "bad signature"},
	} {
		r := httptest.NewRequest("GET", "/v1/settings", nil)
		for _, v := range tc.header {
			r.Header.Add("Authorization", v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var e map[string]string
		json.Unmarshal(w.Body.Bytes(), &e)
		if w.Code != 401 || w.Header().Get("WWW-Authenticate") != tc.challenge || !strings.Contains(e["error"], tc.err) ||
			w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q %q, want 401 %q %q", name, w.Code, w.Header().Get("WWW-Authenticate"), e["error"], tc.challenge, tc.err)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "status=401"); n != 8 {
		t.Errorf("%d refusals logged, want 8:\n%s", n, out)
	}
	for _, tok := range []string{expired, wrongAud, wrongKey} {
		if strings.Contains(out, tok[strings.LastIndexByte(tok, '.')+1:]) || strings.Contains(out, tok[:strings.IndexByte(tok, '.')+8]) {
			t.Errorf("log holds a token:\n%s", out)
		}
	}
}

func TestMiddlewareHealth(t *testing.T) {
	for _, anon := range []bool{false, true} {
		h := Middleware(echo, Policy{Verifier: testVerifier(t), AnonymousHealth: anon})
		for _, tc := range []struct {
			method, path string
			open         bool // reachable without a token when anon
		}{
			{"GET", "/v1/health/replica", true},
			{"HEAD", "/v1/health/coordinator", true},
			{"GET", "/v1/health", true},
			{"GET", "/metrics", true},
			{"POST", "/v1/health/replica", false},
			{"GET", "/v1/healthz", false},
			{"GET", "/v1/health/../settings", false},
			{"GET", "/metrics/../v1/settings", false},
			{"GET", "/v1/settings", false},
		} {
			want := 401
			if anon && tc.open {
				want = 200
			}
			res := do(h, tc.method, tc.path, "", nil)
			if res.code != want {
				t.Errorf("AnonymousHealth %v: %s %s: %d, want %d", anon, tc.method, tc.path, res.code, want)
			}
			if res.code == 200 && tc.method == "GET" && !strings.HasPrefix(res.body, "anonymous|") {
				t.Errorf("anonymous request had claims: %q", res.body)
			}
		}
	}
}

func TestMiddlewareBody(t *testing.T) {
	log, logs := newLogger()
	h := Middleware(echo, Policy{Verifier: testVerifier(t), MaxBodyBytes: 100, Logger: log})
	tok := tokenFor(t, RoleOperate)

	res := do(h, "PUT", "/v1/settings", tok, strings.NewReader(strings.Repeat("x", 101)))
	if res.code != 413 || !strings.Contains(res.errMsg, "101 bytes is over the limit of 100") {
		t.Errorf("declared oversize body: %d %q", res.code, res.errMsg)
	}
	if !strings.Contains(logs.String(), "status=413") {
		t.Errorf("413 not logged: %s", logs)
	}
	if res := do(h, "PUT", "/v1/settings", tok, strings.NewReader(strings.Repeat("x", 100))); res.code != 200 {
		t.Errorf("body at the limit: %d %s", res.code, res.body)
	}
	// Without a Content-Length the handler's read stops at the limit.
	r := httptest.NewRequest("PUT", "/v1/settings", io.MultiReader(strings.NewReader(strings.Repeat("x", 150))))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 413 || !strings.Contains(w.Body.String(), "body over") {
		t.Errorf("streamed oversize body: %d %q", w.Code, w.Body)
	}
	// The default limit is 1 MiB.
	h = Middleware(echo, Policy{})
	if res := do(h, "POST", "/v1/x", "", strings.NewReader(strings.Repeat("x", DefaultMaxBodyBytes+1))); res.code != 413 {
		t.Errorf("default limit: %d", res.code)
	}
}

func TestMiddlewareNoVerifier(t *testing.T) {
	h := Middleware(echo, Policy{})
	if res := do(h, "POST", "/v1/admin/x", "", nil); res.code != 200 || !strings.HasPrefix(res.body, "admin |") {
		t.Errorf("without a verifier: %d %q", res.code, res.body)
	}
}

func TestMiddlewarePeerWithoutTLS(t *testing.T) {
	h := Middleware(echo, Policy{RequireClientCertPrefix: "/v1/peer/", PeerCertRequired: true})
	for path, want := range map[string]int{"/v1/peer/x": 403, "/v1/peer": 403, "/v1//peer/x": 403, "/v1/peerx": 200, "/v1/settings": 200} {
		if res := do(h, "GET", path, "", nil); res.code != want {
			t.Errorf("%s over plain HTTP: %d, want %d", path, res.code, want)
		}
	}
	// Not enforced when the server has no client CA.
	h = Middleware(echo, Policy{RequireClientCertPrefix: "/v1/peer/"})
	if res := do(h, "GET", "/v1/peer/x", "", nil); res.code != 200 {
		t.Errorf("PeerCertRequired false: %d", res.code)
	}
}

func TestDefaultRoleFor(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         Role
	}{
		{"GET", "/v1/settings", RoleRead},
		{"HEAD", "/metrics", RoleRead},
		{"PUT", "/v1/settings", RoleOperate},
		{"PUT", "/v1/settings/compaction", RoleOperate},
		{"POST", "/v1/bulkcmd/flush", RoleOperate},
		{"POST", "/v1/desires/node/stop", RoleOperate},
		{"DELETE", "/v1/jobs", RoleOperate},
		{"PATCH", "/v1/new", RoleOperate},
		{"GET", "/v1/admin", RoleAdmin},
		{"GET", "/v1/admin/users", RoleAdmin},
		{"PUT", "/v1/admin/users", RoleAdmin},
		{"GET", "/v1/x/../admin/users", RoleAdmin},
		{"GET", "/v1/administrators", RoleRead},
	} {
		if got := DefaultRoleFor(httptest.NewRequest(tc.method, tc.path, nil)); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}

// The checks see paths as ServeMux routes them: whatever a token-less or
// low-role request reaches, it must be what the policy let it reach.
func TestMiddlewareAgreesWithServeMux(t *testing.T) {
	mux := http.NewServeMux()
	for _, pat := range []string{"/v1/health/{name}", "/v1/settings/", "/v1/admin/", "/v1/peer/", "/metrics", "/"} {
		mux.HandleFunc(pat, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, pat) })
	}
	h := Middleware(mux, Policy{Verifier: testVerifier(t), AnonymousHealth: true, RequireClientCertPrefix: "/v1/peer/", PeerCertRequired: true})
	operate := tokenFor(t, RoleOperate)
	paths := []string{
		"/v1/health/x", "/v1/health/../settings/x", "/v1/settings/%2E%2E/%2E%2E/v1/health/x",
		"/v1/settings/%2e%2e/..%2F..%2Fv1/health/x", "/v1/health%2F..%2F..%2Fsettings/x", "/v1/%68ealth/x",
		"/v1/%61dmin/x", "/v1/admin%2Fx", "/v1/./admin/x", "//v1/admin/x", "/v1/admin/", "/%761/admin/x",
		"/v1/%70eer/x", "/v1/peer%2Fx", "/v1/x/../peer/x", "/metrics/", "/metrics/../v1/settings/x", "/%6Detrics",
	}
	for _, p := range paths {
		// Anonymous: only health and metrics handlers may answer 200.
		res := do(h, "GET", p, "", nil)
		if res.code == 200 && res.body != "/v1/health/{name}" && res.body != "/metrics" {
			t.Errorf("anonymous GET %s reached %s", p, res.body)
		}
		// Operate: never the admin or peer handlers.
		res = do(h, "POST", p, operate, nil)
		if res.code == 200 && (res.body == "/v1/admin/" || res.body == "/v1/peer/") {
			t.Errorf("operate POST %s (plain HTTP) reached %s", p, res.body)
		}
	}
}
