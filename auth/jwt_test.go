package auth

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// keys are signing keys on disk and a Verifier trusting them all.
type keys struct {
	dir                 string
	rsaPriv, rsaPub     string // PKCS#1 private key, PKIX public key
	ecPriv, ecCert      string // PKCS#8 P-256 key from the CA, its certificate
	ec384Priv, ec384Pub string // SEC 1 P-384 key, PKIX public key
	otherRSAPriv        string // a key the verifier does not know
	rsaPubPEM           []byte
	verifier            *Verifier
	audience            string
}

func newKeys(t *testing.T) *keys {
	t.Helper()
	k := &keys{dir: t.TempDir(), audience: "ringside"}
	rk := testRSAKey(t)
	k.rsaPriv = writePEM(t, k.dir, "rsa.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))
	k.rsaPub = writePEM(t, k.dir, "rsa.pub", "PUBLIC KEY", pkixDER(t, &rk.PublicKey))
	var err error
	if k.rsaPubPEM, err = os.ReadFile(k.rsaPub); err != nil {
		t.Fatal(err)
	}

	ca, err := NewCA("jwt issuer")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue("issuer", nil, []string{"issuer.example"}, true, false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if k.ecCert, k.ecPriv, err = WriteFiles(k.dir, "ec", cert, key); err != nil {
		t.Fatal(err)
	}

	e384 := ecKey(t, elliptic.P384())
	sec1, err := x509.MarshalECPrivateKey(e384)
	if err != nil {
		t.Fatal(err)
	}
	k.ec384Priv = writePEM(t, k.dir, "ec384.key", "EC PRIVATE KEY", sec1)
	k.ec384Pub = writePEM(t, k.dir, "ec384.pub", "PUBLIC KEY", pkixDER(t, &e384.PublicKey))

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k.otherRSAPriv = writePEM(t, k.dir, "other.key", "PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(other)))

	k.verifier, err = NewVerifier(VerifierOptions{
		HS256Secret:    testSecret,
		PublicKeyFiles: []string{k.rsaPub, k.ecCert, k.ec384Pub},
		Audience:       k.audience,
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func mint(t *testing.T, o MintOptions) string {
	t.Helper()
	tok, err := Mint(o)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign makes a token with arbitrary claims and header.
func sign(t *testing.T, m jwt.SigningMethod, key any, mc jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, mc)
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": "alice", "aud": "ringside", "role": "operate", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func TestVerifyAccepts(t *testing.T) {
	k := newKeys(t)
	if got := strings.Join(k.verifier.Algorithms(), ","); got != "HS256,RS256,RS384,RS512,ES256,ES384" {
		t.Errorf("algorithms %s", got)
	}
	for name, o := range map[string]MintOptions{
		"HS256":       {HS256Secret: testSecret},
		"RS256":       {PrivateKeyFile: k.rsaPriv},
		"ES256":       {PrivateKeyFile: k.ecPriv},
		"ES384 SEC 1": {PrivateKeyFile: k.ec384Priv},
	} {
		t.Run(name, func(t *testing.T) {
			o.Role, o.Subject, o.Audience, o.TTL = RoleOperate, "alice", "ringside", time.Minute
			tok := mint(t, o)
			parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
			if err != nil {
				t.Fatal(err)
			}
			alg := parsed.Method.Alg()
			if want := strings.Fields(name)[0]; alg != want {
				t.Errorf("minted alg %s, want %s", alg, want)
			}
			c, err := k.verifier.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != "alice" || c.Role != RoleOperate || time.Until(c.ExpiresAt) > time.Minute || time.Until(c.ExpiresAt) < 50*time.Second {
				t.Fatalf("claims %+v", c)
			}
		})
	}
	// RS384 and RS512 from another issuer.
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodRS384, jwt.SigningMethodRS512} {
		if _, err := k.verifier.Verify(sign(t, m, testRSAKey(t), validClaims(), nil)); err != nil {
			t.Errorf("%s: %v", m.Alg(), err)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := newKeys(t)
	rk := testRSAKey(t)
	noAud := validClaims()
	delete(noAud, "aud")
	noExp := validClaims()
	delete(noExp, "exp")
	expired := validClaims()
	expired["exp"] = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC).Unix()
	future := validClaims()
	future["nbf"] = time.Now().Add(time.Hour).Unix()
	iatFuture := validClaims()
	iatFuture["iat"] = time.Now().Add(time.Hour).Unix()
	wrongAud := validClaims()
	wrongAud["aud"] = []string{"other", "another"}
	badRole := validClaims()
	badRole["role"] = "root"
	noRole := validClaims()
	delete(noRole, "role")
	strExp := validClaims()
	strExp["exp"] = "tomorrow"

	for name, tc := range map[string]struct {
		tok  string
		want string
	}{
		"expired":           {sign(t, jwt.SigningMethodHS256, testSecret, expired, nil), "token expired at 2020-01-02T03:04:05Z"},
		"not yet valid":     {sign(t, jwt.SigningMethodHS256, testSecret, future, nil), "token not valid before"},
		"issued in future":  {sign(t, jwt.SigningMethodHS256, testSecret, iatFuture, nil), "issued in the future"},
		"no exp":            {sign(t, jwt.SigningMethodHS256, testSecret, noExp, nil), "no exp claim"},
		"no aud":            {sign(t, jwt.SigningMethodHS256, testSecret, noAud, nil), `no aud claim (want "ringside")`},
		"wrong audience":    {sign(t, jwt.SigningMethodHS256, testSecret, wrongAud, nil), `wrong audience ["other" "another"] (want "ringside")`},
		"wrong secret":      {sign(t, jwt.SigningMethodHS256, []byte("another secret, 32 bytes or more!"), validClaims(), nil), "bad signature"},
		"wrong RSA key":     {mint(t, MintOptions{Role: RoleRead, Audience: "ringside", PrivateKeyFile: k.otherRSAPriv}), "bad signature"},
		"alg none":          {sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(), nil), `alg "none" not accepted`},
		"unknown alg":       {sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), map[string]any{"alg": "XY999"}), `alg "XY999" not accepted`},
		"PS256":             {sign(t, jwt.SigningMethodPS256, rk, validClaims(), nil), `alg "PS256" not accepted`},
		"ES512":             {sign(t, jwt.SigningMethodES512, ecKey(t, elliptic.P521()), validClaims(), nil), `alg "ES512" not accepted`},
		"unknown P-256 key": {sign(t, jwt.SigningMethodES256, ecKey(t, elliptic.P256()), validClaims(), nil), "bad signature"},
		"unknown role":      {sign(t, jwt.SigningMethodHS256, testSecret, badRole, nil), `unknown role "root"`},
		"no role":           {sign(t, jwt.SigningMethodHS256, testSecret, noRole, nil), `no "role" or "roles" claim`},
		"exp not a number":  {sign(t, jwt.SigningMethodHS256, testSecret, strExp, nil), "exp is invalid"},
		"crit header":       {sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), map[string]any{"crit": []string{"x"}}), "crit"},
		"garbage":           {"not.a.token", "malformed token"},
		"two parts":         {"abc.def", "malformed token"},
		"empty":             {"", "empty token"},
		"too long":          {strings.Repeat("a", maxTokenLen+1), "too long"},
		"signature dropped": {strings.TrimRightFunc(sign(t, jwt.SigningMethodHS256, testSecret, validClaims(), nil), func(r rune) bool { return r != '.' }), "bad signature"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := k.verifier.Verify(tc.tok)
			if err == nil {
				t.Fatalf("accepted")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want it to say %q", err, tc.want)
			}
			if len(tc.tok) > 20 && strings.Contains(err.Error(), tc.tok[len(tc.tok)-20:]) {
				t.Fatalf("error echoes the token: %q", err)
			}
		})
	}
}

// Algorithm confusion: an HS256 token whose "secret" is the RSA public
// key, which an attacker has.
func TestVerifyAlgorithmConfusion(t *testing.T) {
	k := newKeys(t)
	forged := sign(t, jwt.SigningMethodHS256, k.rsaPubPEM, validClaims(), nil)

	rsaOnly, err := NewVerifier(VerifierOptions{PublicKeyFiles: []string{k.rsaPub}, Audience: "ringside"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rsaOnly.Verify(forged); err == nil || !strings.Contains(err.Error(), `alg "HS256" not accepted`) {
		t.Errorf("RSA-only verifier: %v", err)
	}
	// With a secret as well, HS256 is checked against the secret only.
	if _, err := k.verifier.Verify(forged); err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Errorf("verifier with a secret: %v", err)
	}
	// And RS256 is not checked against an HS256 secret.
	hsOnly, err := NewVerifier(VerifierOptions{HS256Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hsOnly.Verify(mint(t, MintOptions{Role: RoleAdmin, PrivateKeyFile: k.rsaPriv})); err == nil || !strings.Contains(err.Error(), `alg "RS256" not accepted`) {
		t.Errorf("HS256-only verifier: %v", err)
	}
}

func TestVerifyClock(t *testing.T) {
	v, err := NewVerifier(VerifierOptions{HS256Secret: testSecret, Leeway: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, MintOptions{Role: RoleRead, HS256Secret: testSecret, TTL: time.Hour})
	v.now = func() time.Time { return time.Now().Add(time.Hour + 30*time.Second) }
	if _, err := v.Verify(tok); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	v.now = func() time.Time { return time.Now().Add(time.Hour + 2*time.Minute) }
	if _, err := v.Verify(tok); err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("past leeway: %v", err)
	}
	v.now = func() time.Time { return time.Now().Add(-30 * time.Second) } // our clock behind the issuer's
	if _, err := v.Verify(tok); err != nil {
		t.Errorf("iat within leeway: %v", err)
	}
}

func TestVerifyIssuerAndRoles(t *testing.T) {
	v, err := NewVerifier(VerifierOptions{HS256Secret: testSecret, Issuer: "idp", RoleClaim: "ringside_role"})
	if err != nil {
		t.Fatal(err)
	}
	tok := func(edit func(jwt.MapClaims)) string {
		mc := validClaims()
		delete(mc, "role")
		mc["iss"] = "idp"
		edit(mc)
		return sign(t, jwt.SigningMethodHS256, testSecret, mc, nil)
	}
	for name, tc := range map[string]struct {
		tok  string
		role Role
		err  string
	}{
		"custom claim":       {tok(func(mc jwt.MapClaims) { mc["ringside_role"] = "admin" }), RoleAdmin, ""},
		"custom claim array": {tok(func(mc jwt.MapClaims) { mc["ringside_role"] = []string{"read", "operate"} }), RoleOperate, ""},
		"roles array":        {tok(func(mc jwt.MapClaims) { mc["roles"] = []string{"billing", "read", "admin", "operate"} }), RoleAdmin, ""},
		"roles none known":   {tok(func(mc jwt.MapClaims) { mc["roles"] = []string{"billing"} }), 0, "names no known role"},
		"role wrong type":    {tok(func(mc jwt.MapClaims) { mc["ringside_role"] = 3 }), 0, "neither a string nor an array"},
		"plain role ignored": {tok(func(mc jwt.MapClaims) { mc["role"] = "admin" }), 0, `no "ringside_role" or "roles" claim`},
		"wrong issuer":       {tok(func(mc jwt.MapClaims) { mc["iss"] = "evil"; mc["roles"] = []string{"read"} }), 0, `wrong issuer "evil" (want "idp")`},
		"no issuer":          {tok(func(mc jwt.MapClaims) { delete(mc, "iss"); mc["roles"] = []string{"read"} }), 0, `no iss claim`},
		"sub not a string":   {tok(func(mc jwt.MapClaims) { mc["sub"] = 7; mc["roles"] = []string{"read"} }), 0, "sub"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(tc.tok)
			if tc.err == "" {
				if err != nil || c.Role != tc.role {
					t.Fatalf("got %v %v, want %v", c.Role, err, tc.role)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestNewVerifierErrors(t *testing.T) {
	k := newKeys(t)
	small := must(rsa.GenerateKey(rand.Reader, 1024))
	smallFile := writePEM(t, k.dir, "small.pub", "PUBLIC KEY", pkixDER(t, &small.PublicKey))
	p521 := writePEM(t, k.dir, "p521.pub", "PUBLIC KEY", pkixDER(t, &ecKey(t, elliptic.P521()).PublicKey))
	junk := filepath.Join(k.dir, "junk.pem")
	os.WriteFile(junk, []byte("hello"), 0o600)
	for name, tc := range map[string]struct {
		o    VerifierOptions
		want string
	}{
		"nothing":       {VerifierOptions{}, "nothing to verify"},
		"short secret":  {VerifierOptions{HS256Secret: []byte("short")}, "at least 32"},
		"private key":   {VerifierOptions{PublicKeyFiles: []string{k.rsaPriv}}, "private key"},
		"small RSA":     {VerifierOptions{PublicKeyFiles: []string{smallFile}}, "at least 2048"},
		"P-521":         {VerifierOptions{PublicKeyFiles: []string{p521}}, "P-521 not supported"},
		"not PEM":       {VerifierOptions{PublicKeyFiles: []string{junk}}, "no PEM"},
		"missing file":  {VerifierOptions{PublicKeyFiles: []string{junk + ".nope"}}, "no such file"},
		"negative skew": {VerifierOptions{HS256Secret: testSecret, Leeway: -time.Second}, "negative"},
	} {
		if _, err := NewVerifier(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func TestMintErrors(t *testing.T) {
	k := newKeys(t)
	for name, tc := range map[string]struct {
		o    MintOptions
		want string
	}{
		"no role":   {MintOptions{HS256Secret: testSecret}, "role none"},
		"no key":    {MintOptions{Role: RoleRead}, "no key"},
		"both keys": {MintOptions{Role: RoleRead, HS256Secret: testSecret, PrivateKeyFile: k.rsaPriv}, "not both"},
		"short":     {MintOptions{Role: RoleRead, HS256Secret: []byte("x")}, "at least 32"},
		"public":    {MintOptions{Role: RoleRead, PrivateKeyFile: k.rsaPub}, "want a private key"},
		"negative":  {MintOptions{Role: RoleRead, HS256Secret: testSecret, TTL: -time.Hour}, "negative"},
	} {
		if _, err := Mint(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	os.WriteFile(f, append(append([]byte(nil), testSecret...), "\r\n"...), 0o600)
	b, err := ReadSecretFile(f)
	if err != nil || string(b) != string(testSecret) {
		t.Fatalf("got %q %v", b, err)
	}
	os.WriteFile(f, []byte("short\n"), 0o600)
	if _, err := ReadSecretFile(f); err == nil || !strings.Contains(err.Error(), "5 bytes") {
		t.Fatalf("short secret: %v", err)
	}
}

func TestRole(t *testing.T) {
	for _, r := range []Role{RoleRead, RoleOperate, RoleAdmin} {
		p, err := ParseRole(strings.ToUpper(r.String()))
		if err != nil || p != r {
			t.Errorf("%s: %v %v", r, p, err)
		}
		var u Role
		if err := u.UnmarshalText(must(r.MarshalText())); err != nil || u != r {
			t.Errorf("text round trip %s: %v %v", r, u, err)
		}
	}
	if !(RoleNone < RoleRead && RoleRead < RoleOperate && RoleOperate < RoleAdmin) {
		t.Error("roles not ordered")
	}
	if _, err := ParseRole("none"); err == nil {
		t.Error(`ParseRole("none") accepted`)
	}
	if s := Role(9).String(); s != "Role(9)" {
		t.Error(s)
	}
}

func FuzzVerify(f *testing.F) {
	v, err := NewVerifier(VerifierOptions{HS256Secret: testSecret, Audience: "ringside"})
	if err != nil {
		f.Fatal(err)
	}
	good, err := Mint(MintOptions{Role: RoleRead, Audience: "ringside", HS256Secret: testSecret})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good[:len(good)-3], "", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		"eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjpbMSxudWxsLHt9XX0.x", strings.Replace(good, ".", "..", 1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := v.Verify(s)
		if err == nil {
			if c.Role <= RoleNone || c.Role > RoleAdmin || c.ExpiresAt.IsZero() {
				t.Fatalf("accepted with claims %+v", c)
			}
			return
		}
		if strings.Count(s, ".") == 2 && len(s) >= 40 && strings.Contains(err.Error(), s) {
			t.Fatalf("error echoes the token: %v", err)
		}
	})
}
