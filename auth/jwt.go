package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLen is the shortest HS256 secret accepted: RFC 7518 §3.2 asks
// for a key at least as long as the hash, and a short one can be guessed
// offline from any token.
const MinSecretLen = 32

// minRSABits: smaller RSA keys are breakable.
const minRSABits = 2048

// maxTokenLen bounds the work an anonymous client can cause; real tokens
// are well under 2 KiB.
const maxTokenLen = 16 << 10

// VerifierOptions configure a Verifier. At least one of HS256Secret and
// PublicKeyFiles is needed.
type VerifierOptions struct {
	// HS256Secret enables HS256 tokens; at least MinSecretLen bytes.
	HS256Secret []byte
	// PublicKeyFiles hold PEM RSA or ECDSA (P-256, P-384) public keys or
	// certificates, several per file allowed: RSA keys enable RS256, RS384
	// and RS512, P-256 keys ES256, P-384 keys ES384.
	PublicKeyFiles []string
	// Audience, when set, must be among the token's aud (strongly advised:
	// otherwise a token minted for another service is accepted here).
	Audience string
	// Issuer, when set, must be the token's iss.
	Issuer string
	// Leeway is the clock skew tolerated on exp, nbf and iat.
	Leeway time.Duration
	// RoleClaim names the claim holding the role; default "role". Either
	// way an array claim "roles" is read when it is absent.
	RoleClaim string
}

// Claims is what the API needs to know of a verified token.
type Claims struct {
	Subject   string
	Role      Role
	ExpiresAt time.Time
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	secret    []byte
	rsaKeys   []jwt.VerificationKey
	ec256     []jwt.VerificationKey
	ec384     []jwt.VerificationKey
	algs      []string
	audience  string
	issuer    string
	roleClaim string
	parser    *jwt.Parser
	now       func() time.Time // tests move the clock
}

// NewVerifier reads the keys; it fails on anything it cannot use, so a
// typo in the configuration is found at start-up rather than as 401s.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	v := &Verifier{audience: o.Audience, issuer: o.Issuer, roleClaim: o.RoleClaim, now: time.Now}
	if v.roleClaim == "" {
		v.roleClaim = "role"
	}
	if o.Leeway < 0 {
		return nil, fmt.Errorf("jwt leeway %s is negative", o.Leeway)
	}
	if o.HS256Secret != nil {
		if len(o.HS256Secret) < MinSecretLen {
			return nil, fmt.Errorf("HS256 secret has %d bytes; at least %d are needed", len(o.HS256Secret), MinSecretLen)
		}
		v.secret = slices.Clone(o.HS256Secret)
		v.algs = append(v.algs, "HS256")
	}
	for _, f := range o.PublicKeyFiles {
		keys, err := readPublicKeys(f)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			switch k := k.(type) {
			case *rsa.PublicKey:
				v.rsaKeys = append(v.rsaKeys, k)
			case *ecdsa.PublicKey:
				if k.Curve == elliptic.P256() {
					v.ec256 = append(v.ec256, k)
				} else {
					v.ec384 = append(v.ec384, k)
				}
			}
		}
	}
	if len(v.rsaKeys) > 0 {
		v.algs = append(v.algs, "RS256", "RS384", "RS512")
	}
	if len(v.ec256) > 0 {
		v.algs = append(v.algs, "ES256")
	}
	if len(v.ec384) > 0 {
		v.algs = append(v.algs, "ES384")
	}
	if len(v.algs) == 0 {
		return nil, errors.New("jwt: no HS256 secret and no public key: nothing to verify tokens with")
	}
	opts := []jwt.ParserOption{
		// The key function picks keys by alg too; this is the second lock.
		jwt.WithValidMethods(v.algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(o.Leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	}
	if o.Audience != "" {
		opts = append(opts, jwt.WithAudience(o.Audience))
	}
	if o.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(o.Issuer))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Algorithms lists the algs accepted, for a start-up log line.
func (v *Verifier) Algorithms() []string { return slices.Clone(v.algs) }

// refusal is an error worded for the client; it never holds the token.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func refuse(format string, a ...any) error { return &refusal{fmt.Sprintf(format, a...)} }

// key hands the parser only keys of the kind the token's alg names, so a
// token cannot choose how its signature is checked: "none" has no key, and
// an HS256 token is never checked against an RSA public key used as an
// HMAC secret (algorithm confusion).
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, refuse("token has a crit header, which is not supported") // RFC 7515 §4.1.11
	}
	alg := t.Method.Alg()
	var keys []jwt.VerificationKey
	switch alg {
	case "HS256":
		if v.secret != nil {
			return v.secret, nil
		}
	case "RS256", "RS384", "RS512":
		keys = v.rsaKeys
	case "ES256":
		keys = v.ec256
	case "ES384":
		keys = v.ec384
	}
	if len(keys) == 0 {
		return nil, v.badAlg(alg)
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

func (v *Verifier) badAlg(alg string) error {
	return refuse("alg %q not accepted (accepted: %s)", clip(alg), strings.Join(v.algs, ", "))
}

// Verify checks the token's signature and claims and returns its claims.
// Errors say why the token was refused, never what it was.
func (v *Verifier) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, refuse("empty token")
	}
	if len(token) > maxTokenLen {
		return Claims{}, refuse("token too long (%d bytes)", len(token))
	}
	mc := jwt.MapClaims{}
	t, err := v.parser.ParseWithClaims(token, mc, v.key)
	if err != nil {
		return Claims{}, v.explain(err, t, mc)
	}
	var c Claims
	if c.Subject, err = mc.GetSubject(); err != nil {
		return Claims{}, refuse("sub claim is not a string")
	}
	exp, _ := mc.GetExpirationTime() // checked by the parser
	c.ExpiresAt = exp.Time
	if c.Role, err = v.role(mc); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// explain words the parser's error for the client.
func (v *Verifier) explain(err error, t *jwt.Token, mc jwt.MapClaims) error {
	var r *refusal
	if errors.As(err, &r) {
		return r
	}
	stamp := func(get func() (*jwt.NumericDate, error)) string {
		if d, _ := get(); d != nil {
			return d.UTC().Format(time.RFC3339)
		}
		return "?"
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse("malformed token")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if t != nil && t.Method != nil && !slices.Contains(v.algs, t.Method.Alg()) {
			return v.badAlg(t.Method.Alg())
		}
		return refuse("bad signature")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		if t != nil {
			if alg, ok := t.Header["alg"].(string); ok {
				return v.badAlg(alg)
			}
		}
		return refuse("token has no alg")
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse("token expired at %s", stamp(mc.GetExpirationTime))
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return refuse("token not valid before %s", stamp(mc.GetNotBefore))
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuse("token issued in the future (iat %s)", stamp(mc.GetIssuedAt))
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		switch {
		case mc["exp"] == nil:
			return refuse("token has no exp claim: an expiry is required")
		case v.audience != "" && mc["aud"] == nil:
			return refuse("token has no aud claim (want %q)", v.audience)
		case v.issuer != "" && mc["iss"] == nil:
			return refuse("token has no iss claim (want %q)", v.issuer)
		}
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		aud, _ := mc.GetAudience()
		return refuse("wrong audience %q (want %q)", clipAll(aud), v.audience)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		iss, _ := mc.GetIssuer()
		return refuse("wrong issuer %q (want %q)", clip(iss), v.issuer)
	}
	// What is left comes from the claims validator, whose messages are
	// fixed strings ("exp is invalid: invalid type for claim").
	return refuse("invalid token: %s", strings.TrimPrefix(err.Error(), jwt.ErrTokenInvalidClaims.Error()+": "))
}

func clipAll(ss []string) []string {
	if len(ss) > 8 {
		ss = ss[:8]
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clip(s)
	}
	return out
}

// role reads the role claim (a string, or an array whose highest known
// role wins), else the "roles" array.
func (v *Verifier) role(mc jwt.MapClaims) (Role, error) {
	name := v.roleClaim
	val, ok := mc[name]
	if !ok && name != "roles" {
		name = "roles"
		val, ok = mc[name]
	}
	if !ok {
		return RoleNone, refuse("token has no %q or \"roles\" claim", v.roleClaim)
	}
	switch val := val.(type) {
	case string:
		r, err := ParseRole(val)
		if err != nil {
			return RoleNone, refuse("%s claim: %v", name, err)
		}
		return r, nil
	case []any:
		// Unknown entries are other services' roles from a shared
		// identity provider: skip them.
		best := RoleNone
		for _, e := range val {
			if s, ok := e.(string); ok {
				if r, err := ParseRole(s); err == nil && r > best {
					best = r
				}
			}
		}
		if best == RoleNone {
			return RoleNone, refuse("%s claim names no known role (want read, operate or admin)", name)
		}
		return best, nil
	}
	return RoleNone, refuse("%s claim is neither a string nor an array", name)
}

// readPublicKeys reads every public key and certificate of a PEM file.
func readPublicKeys(file string) ([]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("jwt public key: %w", err)
	}
	var keys []any
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		var k any
		switch blk.Type {
		case "PUBLIC KEY":
			k, err = x509.ParsePKIXPublicKey(blk.Bytes)
		case "RSA PUBLIC KEY":
			k, err = x509.ParsePKCS1PublicKey(blk.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(blk.Bytes); err == nil {
				k = c.PublicKey
			}
		default:
			if strings.Contains(blk.Type, "PRIVATE") {
				return nil, fmt.Errorf("jwt public key %s: holds a private key; give the sidecar only the public key", file)
			}
			return nil, fmt.Errorf("jwt public key %s: unexpected PEM block %q", file, blk.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("jwt public key %s: %w", file, err)
		}
		if err := checkPublicKey(k); err != nil {
			return nil, fmt.Errorf("jwt public key %s: %w", file, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwt public key %s: no PEM public key or certificate found", file)
	}
	return keys, nil
}

func checkPublicKey(k any) error {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key of %d bits; at least %d are needed", k.N.BitLen(), minRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return nil
		}
		return fmt.Errorf("ECDSA curve %s not supported (want P-256 or P-384)", k.Curve.Params().Name)
	}
	return fmt.Errorf("%T keys not supported (want RSA or ECDSA)", k)
}

// MintOptions describe a token to Mint. Exactly one of HS256Secret and
// PrivateKeyFile is needed.
type MintOptions struct {
	Role     Role
	Subject  string
	Audience string
	Issuer   string
	TTL      time.Duration // default 1h
	// HS256Secret signs with HS256; at least MinSecretLen bytes.
	HS256Secret []byte
	// PrivateKeyFile is a PEM RSA key (signs RS256) or ECDSA P-256 or P-384
	// key (ES256, ES384), PKCS#1, PKCS#8 or SEC 1.
	PrivateKeyFile string
}

// Mint makes a signed token, for tests and `ringside token`; production
// tokens come from the organisation's identity provider.
func Mint(o MintOptions) (string, error) {
	if o.Role <= RoleNone || o.Role > RoleAdmin {
		return "", fmt.Errorf("mint: role %s: want read, operate or admin", o.Role)
	}
	ttl := o.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	if ttl < 0 {
		return "", fmt.Errorf("mint: ttl %s is negative", ttl)
	}
	var (
		method jwt.SigningMethod
		key    any
	)
	switch {
	case o.HS256Secret != nil && o.PrivateKeyFile != "":
		return "", errors.New("mint: give an HS256 secret or a private key, not both")
	case o.HS256Secret != nil:
		if len(o.HS256Secret) < MinSecretLen {
			return "", fmt.Errorf("mint: HS256 secret has %d bytes; at least %d are needed", len(o.HS256Secret), MinSecretLen)
		}
		method, key = jwt.SigningMethodHS256, o.HS256Secret
	case o.PrivateKeyFile != "":
		var err error
		if method, key, err = readPrivateKey(o.PrivateKeyFile); err != nil {
			return "", err
		}
	default:
		return "", errors.New("mint: no key: give an HS256 secret or a private key file")
	}
	now := time.Now()
	mc := jwt.MapClaims{
		"role": o.Role.String(),
		"iat":  jwt.NewNumericDate(now),
		"exp":  jwt.NewNumericDate(now.Add(ttl)),
	}
	for k, s := range map[string]string{"sub": o.Subject, "aud": o.Audience, "iss": o.Issuer} {
		if s != "" {
			mc[k] = s
		}
	}
	return jwt.NewWithClaims(method, mc).SignedString(key)
}

func readPrivateKey(file string) (jwt.SigningMethod, any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("mint: %w", err)
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return nil, nil, fmt.Errorf("mint: %s: no PEM private key found", file)
		}
		var k any
		switch blk.Type {
		case "EC PARAMETERS":
			continue // openssl ecparam -genkey writes it before the key
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, nil, fmt.Errorf("mint: %s: encrypted keys are not supported", file)
		default:
			return nil, nil, fmt.Errorf("mint: %s: unexpected PEM block %q (want a private key)", file, blk.Type)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("mint: %s: %w", file, err)
		}
		switch k := k.(type) {
		case *rsa.PrivateKey:
			if err := checkPublicKey(&k.PublicKey); err != nil {
				return nil, nil, fmt.Errorf("mint: %s: %w", file, err)
			}
			return jwt.SigningMethodRS256, k, nil
		case *ecdsa.PrivateKey:
			if err := checkPublicKey(&k.PublicKey); err != nil {
				return nil, nil, fmt.Errorf("mint: %s: %w", file, err)
			}
			if k.Curve == elliptic.P256() {
				return jwt.SigningMethodES256, k, nil
			}
			return jwt.SigningMethodES384, k, nil
		}
		return nil, nil, fmt.Errorf("mint: %s: %T keys not supported (want RSA or ECDSA)", file, k)
	}
}

// ReadSecretFile reads an HS256 secret, without the trailing newline an
// editor or echo leaves, and checks its length. The sidecar and `ringside
// token` both read secrets through it so they agree on the bytes.
func ReadSecretFile(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	b = TrimSecret(b)
	if len(b) < MinSecretLen {
		return nil, fmt.Errorf("jwt secret %s: %d bytes; at least %d are needed", file, len(b), MinSecretLen)
	}
	return b, nil
}

// TrimSecret drops trailing CR and LF characters.
func TrimSecret(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
