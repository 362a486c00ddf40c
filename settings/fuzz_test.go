package settings

import (
	"context"
	"errors"
	"testing"
)

// FuzzSetRequest: decoding and validating any PUT body never panics, and
// a body that does not validate never reaches JMX; a valid one makes one
// JMX call per key.
func FuzzSetRequest(f *testing.F) {
	for _, seed := range []string{
		`{"compaction_throughput_mb_per_sec": 12}`,
		`{"compaction_throughput": "20MiB/s"}`,
		`{"stream_throughput_outbound": "25000000B/s", "max_hint_window": "2h"}`,
		`{"native_transport_allow_older_protocols": false, "hinted_handoff_enabled": true}`,
		`{"concurrent_compactors": 0}`,
		`{"compaction_throughput": "10MiB/s", "compaction_throughput_mb_per_sec": 10}`,
		`{"audit_logging_options": {"enabled": true}}`,
		`{"a": 1, "a": 2}`,
		`{"max_hint_window_in_ms": 1e3}`,
		`{"read_request_timeout": "9223372036854775807ms"}`,
		`[]`, `{}`, `{"x"`, `{} []`, `null`, `"\ud800"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		changes, err := decodeRequest(body)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("decode error %T %v", err, err)
			}
			return
		}
		verr := Validate(changes)
		l := newFakeLocal()
		out, serr := Set(context.Background(), l, changes)
		calls := l.jmx.recorded()
		if verr != nil {
			var ie *InputError
			if !errors.As(verr, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("Validate: %T %v", verr, verr)
			}
			if serr == nil || len(calls) > 0 {
				t.Fatalf("invalid body applied: %v %v", serr, calls)
			}
			return
		}
		if serr != nil || len(calls) != len(changes) || len(out) != len(changes) {
			t.Fatalf("valid body: %v, %d calls for %d keys, answer %v", serr, len(calls), len(changes), out)
		}
	})
}
