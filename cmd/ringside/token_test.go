package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringside/ringside/auth"
)

const tokenSecret = "a test secret of 32 bytes or more"

func TestTokenVerifies(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "jwt.secret")
	if err := os.WriteFile(secretFile, []byte(tokenSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(key)
	keyFile := filepath.Join(dir, "jwt.key")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(dir, "jwt.pub")
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)

	v, err := auth.NewVerifier(auth.VerifierOptions{HS256Secret: []byte(tokenSecret), PublicKeyFiles: []string{pubFile}, Audience: "ringside", Issuer: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "RINGSIDE_JWT_SECRET" {
			return tokenSecret + "\r\n"
		}
		return ""
	}
	for name, keyArgs := range map[string][]string{
		"secret file": {"--secret-file", secretFile},
		"secret env":  {"--secret-env", "RINGSIDE_JWT_SECRET"},
		"key file":    {"--key-file", keyFile},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"--role", "operate", "--subject", "bob", "--audience", "ringside", "--issuer", "ops", "--ttl", "10m"}, keyArgs...)
			if err := tokenCmd(args, env, &out, &errOut); err != nil {
				t.Fatal(err, errOut.String())
			}
			tok := strings.TrimSuffix(out.String(), "\n")
			if strings.ContainsAny(tok, " \n") {
				t.Fatalf("output %q is not one token line", out.String())
			}
			c, err := v.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if c.Role != auth.RoleOperate || c.Subject != "bob" || time.Until(c.ExpiresAt) > 10*time.Minute || time.Until(c.ExpiresAt) < 9*time.Minute {
				t.Fatalf("claims %+v", c)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tiny\n"), 0o600)
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte(tokenSecret), 0o600)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no key":         {[]string{"--role", "read"}, "no key"},
		"no role":        {[]string{"--secret-file", secret}, "--role is required"},
		"unknown role":   {[]string{"--role", "root", "--secret-file", secret}, `unknown role "root"`},
		"two keys":       {[]string{"--role", "read", "--secret-file", secret, "--key-file", secret}, "only one"},
		"short secret":   {[]string{"--role", "read", "--secret-file", short}, "at least 32"},
		"missing file":   {[]string{"--role", "read", "--secret-file", short + ".nope"}, "no such file"},
		"unset env":      {[]string{"--role", "read", "--secret-env", "NOPE"}, "NOPE is empty or unset"},
		"not a key":      {[]string{"--role", "read", "--key-file", secret}, "no PEM private key"},
		"negative ttl":   {[]string{"--role", "read", "--secret-file", secret, "--ttl", "-1h"}, "must be positive"},
		"extra argument": {[]string{"--role", "read", "--secret-file", secret, "extra"}, "unexpected argument"},
	} {
		var out, errOut bytes.Buffer
		err := tokenCmd(tc.args, func(string) string { return "" }, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("%s: printed %q", name, out.String())
		}
	}
	var out, errOut bytes.Buffer
	var ee *exitError
	if err := tokenCmd([]string{"--bogus"}, os.Getenv, &out, &errOut); !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(errOut.String(), "Usage: ringside token") {
		t.Errorf("bad flag: %v, stderr %q", err, errOut.String())
	}
}

// Through main: the exit status and message.
func TestTokenCommand(t *testing.T) {
	cmd := ringside(t, "token --role read")
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "ringside: token: no key") {
		t.Fatalf("exit %v, output %q", err, out)
	}
}
