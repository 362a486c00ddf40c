// Package api is the sidecar's HTTP API (CEP-1 paths): health checks now,
// more endpoints as they are built. Handlers serve state computed in the
// background, so a health call costs microseconds.
package api

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"
)

// Report is one precomputed health answer: the JSON body served as is,
// whether it is healthy (200) or not (503), and when its data was read.
type Report struct {
	Body    []byte
	Healthy bool
	AsOf    time.Time

	// ageAt and ageLen locate the value of the body's top-level
	// data_age_seconds, which is written afresh at serve time from AsOf:
	// a report computed at one refresh is served until the next, and the
	// age it states must be its age when served. ageLen 0: none.
	ageAt, ageLen int
}

// NewReport is a Report whose top-level "data_age_seconds" number (if
// any) is replaced at serve time by the data's age then, in seconds with
// millisecond precision.
func NewReport(body []byte, healthy bool, asOf time.Time) Report {
	r := Report{Body: body, Healthy: healthy, AsOf: asOf}
	if !asOf.IsZero() {
		r.ageAt, r.ageLen = findTopLevelNumber(body, "data_age_seconds")
	}
	return r
}

// findTopLevelNumber finds the byte span of the number that key has in
// the top-level JSON object body; (0, 0) when there is none.
func findTopLevelNumber(body []byte, key string) (int, int) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, 0
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return 0, 0
		}
		if k != key {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, 0
			}
			continue
		}
		end0 := int(dec.InputOffset()) // just after the key's closing quote
		v, err := dec.Token()
		if err != nil {
			return 0, 0
		}
		if _, ok := v.(json.Number); !ok {
			return 0, 0
		}
		end := int(dec.InputOffset())
		// The value ends at end; it starts after the colon and any space.
		start := end0
		for start < end && (body[start] == ':' || body[start] == ' ' || body[start] == '\t' || body[start] == '\n' || body[start] == '\r') {
			start++
		}
		return start, end - start
	}
	return 0, 0
}

// writeBody writes the report's body with data_age_seconds as of now.
func (r *Report) writeBody(w io.Writer, now time.Time) {
	if r.ageLen == 0 || r.ageAt+r.ageLen > len(r.Body) {
		w.Write(r.Body)
		return
	}
	age := max(now.Sub(r.AsOf), 0)
	var num [32]byte
	b := strconv.AppendFloat(num[:0], math.Round(age.Seconds()*1000)/1000, 'f', -1, 64)
	w.Write(r.Body[:r.ageAt])
	w.Write(b)
	w.Write(r.Body[r.ageAt+r.ageLen:])
}

// Source supplies the latest reports. Names: "coordinator", "replica",
// "cluster". ok is false while no report has been computed yet (the API
// then answers 503 with a JSON error saying the first refresh is pending).
type Source interface {
	Report(name string) (r Report, ok bool)
}
