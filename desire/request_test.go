package desire

import (
	"testing"
)

// TestParseRequestNumbers: by and max_parallel take the whole numbers
// settings and bulk parameters take (1.9e9, 2.0), with short errors
// naming the field.
func TestParseRequestNumbers(t *testing.T) {
	r, err := ParseRequest([]byte(`{"type": "restart", "by": 1.9e9, "max_parallel": 2.0}`))
	if err != nil {
		t.Fatal(err)
	}
	if *r.By != 1900000000 || *r.MaxParallel != 2 {
		t.Fatalf("by %d, max_parallel %d", *r.By, *r.MaxParallel)
	}
	for body, want := range map[string]string{
		`{"type": "restart", "by": 1e300}`:                    "by: out of range",
		`{"type": "restart", "by": "soon"}`:                   `by: must be a whole number, not "soon"`,
		`{"type": "restart", "by": 1900000000.5}`:             "by: must be a whole number, not 1900000000.5",
		`{"type": "restart", "by": 1, "max_parallel": 12.5}`:  "max_parallel: must be a whole number, not 12.5",
		`{"type": "restart", "by": 1, "max_parallel": -1e30}`: "max_parallel: out of range",
	} {
		_, err := ParseRequest([]byte(body))
		fe, ok := err.(*FieldError)
		if !ok || fe.Error() != want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
