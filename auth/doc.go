// Package auth authenticates and authorizes requests to the sidecar's HTTP
// API (CEP-1 "Authentication of the REST API"):
//
//   - TLS for the API, with certificate files re-read when they change
//     (ServerTLS, ClientTLS, CertReloader), so a rotated certificate needs
//     no restart;
//   - mutual TLS between sidecars: with a client CA configured, requests
//     under the peer prefix (/v1/peer/) need a client certificate issued by
//     the cluster CA (Policy.RequireClientCertPrefix);
//   - JWT bearer tokens carrying one of the roles read < operate < admin
//     (Verifier, Mint, Middleware);
//   - test and demo PKI (NewCA, CA.Issue, WriteFiles).
//
// Certificates: sidecars reach each other by IP address, and Go verifies a
// server reached by IP only against the certificate's IP SANs (never its
// CN or DNS names), so every sidecar certificate must list the node's
// addresses as IP SANs. A sidecar is both a server (its API) and a client
// (fan-out to peers): give its certificate both the serverAuth and the
// clientAuth extended key usages.
package auth
