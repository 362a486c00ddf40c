// Package api is the sidecar's HTTP API (CEP-1 paths): health checks now,
// more endpoints as they are built. Handlers serve state computed in the
// background, so a health call costs microseconds.
package api

import "time"

// Report is one precomputed health answer: the JSON body served as is,
// whether it is healthy (200) or not (503), and when its data was read.
type Report struct {
	Body    []byte
	Healthy bool
	AsOf    time.Time
}

// Source supplies the latest reports. Names: "coordinator", "replica",
// "cluster". ok is false while no report has been computed yet (the API
// then answers 503 with a JSON error saying the first refresh is pending).
type Source interface {
	Report(name string) (r Report, ok bool)
}
