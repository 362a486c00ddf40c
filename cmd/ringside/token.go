package main

// ringside token: mint a JWT for testing the API's authentication; real
// deployments get tokens from their identity provider.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ringside/ringside/auth"
)

const tokenUsage = `Usage: ringside token --role read|operate|admin [--subject S] [--audience A] [--issuer I] [--ttl 1h]
                      (--secret-file FILE | --secret-env VAR | --key-file PRIVATE.pem)

Print a signed JWT bearer token for the sidecar's API, for tests and
demos. Sign with the HS256 secret the sidecar is configured with
(--secret-file, --secret-env: at least 32 bytes, a trailing newline is
dropped) or with an RSA or ECDSA private key whose public key the sidecar
trusts (--key-file: RS256, ES256 or ES384). --audience and --issuer must
match the sidecar's settings when it checks them.

  curl -H "Authorization: Bearer $(ringside token --role read --secret-file jwt.secret)" ...

Flags:
`

// runToken runs `ringside token args...`, printing the token to stdout.
func runToken(args []string, stdout io.Writer) error {
	return tokenCmd(args, os.Getenv, stdout, os.Stderr)
}

func tokenCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ringside token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), tokenUsage)
		fs.PrintDefaults()
	}
	role := fs.String("role", "", "the token's role: read, operate or admin (required)")
	subject := fs.String("subject", "", "the token's subject (sub), who the sidecar logs as acting")
	audience := fs.String("audience", "", "the token's audience (aud)")
	issuer := fs.String("issuer", "", "the token's issuer (iss)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	secretFile := fs.String("secret-file", "", "sign with HS256 using the secret in this file")
	secretEnv := fs.String("secret-env", "", "sign with HS256 using the secret in this environment variable")
	keyFile := fs.String("key-file", "", "sign with this PEM RSA or ECDSA private key")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: 2} // flag printed the error and the usage
	}
	if err := strayArgs(fs); err != nil {
		return err
	}
	if *role == "" {
		return errors.New("token: --role is required (read, operate or admin)")
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if *ttl <= 0 {
		return fmt.Errorf("token: --ttl %s must be positive", *ttl)
	}
	o := auth.MintOptions{Role: r, Subject: *subject, Audience: *audience, Issuer: *issuer, TTL: *ttl}
	n := 0
	for _, s := range []string{*secretFile, *secretEnv, *keyFile} {
		if s != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return errors.New("token: no key: give --secret-file, --secret-env or --key-file")
	case n > 1:
		return errors.New("token: give only one of --secret-file, --secret-env and --key-file")
	case *secretFile != "":
		if o.HS256Secret, err = auth.ReadSecretFile(*secretFile); err != nil {
			return fmt.Errorf("token: %w", err)
		}
	case *secretEnv != "":
		o.HS256Secret = auth.TrimSecret([]byte(getenv(*secretEnv)))
		if len(o.HS256Secret) == 0 {
			return fmt.Errorf("token: environment variable %s is empty or unset", *secretEnv)
		}
	default:
		o.PrivateKeyFile = *keyFile
	}
	tok, err := auth.Mint(o)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
