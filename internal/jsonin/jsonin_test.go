package jsonin

import (
	"net/http"
	"strings"
	"testing"
)

func TestWhole(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		err  string
	}{
		{"12", 12, ""},
		{"-3", -3, ""},
		{"1e3", 1000, ""},
		{"12.0", 12, ""},
		{"1.5E1", 15, ""},
		{"0e0", 0, ""},
		{"12.5", 0, "must be a whole number, not 12.5"},
		{"1e-3", 0, "must be a whole number, not 1e-3"},
		{"1e300", 0, "out of range"},
		{"1e400", 0, "out of range"},
		{"-1e19", 0, "out of range"},
		{"99999999999999999999", 0, "out of range"},
		{"9223372036854775807", 9223372036854775807, ""},
		{"1e17", 0, "too large to be exact"},
		{"\"12\"", 0, "must be a whole number"},
		{strings.Repeat("9", 500) + ".5", 0, "out of range"},
	} {
		got, err := Whole(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("Whole(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Whole(%q) error %v, want one containing %q", tt.in, err, tt.err)
		}
		if err != nil && len(err.Error()) > 80 {
			t.Errorf("Whole(%q): error %q is too long", tt.in, err)
		}
	}
}

func TestRead(t *testing.T) {
	r, _ := http.NewRequest("PUT", "/", strings.NewReader(strings.Repeat(" ", MaxBody)))
	if b, err := Read(r); err != nil || len(b) != MaxBody {
		t.Fatalf("a body of MaxBody bytes: %d, %v", len(b), err)
	}
	r, _ = http.NewRequest("PUT", "/", strings.NewReader(strings.Repeat(" ", MaxBody+1)))
	if _, err := Read(r); err != ErrTooLarge {
		t.Fatalf("a body of MaxBody+1 bytes: %v, want ErrTooLarge", err)
	}
}

func FuzzWhole(f *testing.F) {
	for _, s := range []string{"12", "1e3", "12.0", "1e300", "-0.0", "1e-400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := Whole(s); err != nil && len(err.Error()) > 100 {
			t.Fatalf("Whole(%q): error of %d bytes", s, len(err.Error()))
		}
	})
}
