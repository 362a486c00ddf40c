// Package api is the sidecar's HTTP API (CEP-1 paths): health checks now,
// more endpoints as they are built. Handlers serve state computed in the
// background, so a health call costs microseconds.
package api

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/url"
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

// Querier is a Source that also answers a check asked with query
// parameters: GET /v1/health/cluster?dc=dc1&cl=LOCAL_QUORUM, the routing
// health of one DC. Only a request with a query reaches it; the plain
// check is served from Report as before. ok false: no view yet (503, as
// for a pending report); an error that is a *ParamError is a 400, any
// other a 503 with the error.
type Querier interface {
	Query(name string, query url.Values) (r Report, ok bool, err error)
}

// ParamError refuses a request's query: a 400 whose JSON body is
// {"error": Msg, "field": Param} plus Extra (such as the values Param
// may take).
type ParamError struct {
	Param string
	Msg   string
	Extra map[string]any
}

func (e *ParamError) Error() string { return e.Msg }
