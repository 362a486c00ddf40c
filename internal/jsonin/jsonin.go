// Package jsonin holds the rules every JSON request body of the API
// follows, so that settings, bulk commands and desires read numbers and
// bodies alike: how large a body may be, and what a whole number is.
package jsonin

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody bounds every request body: parameters and settings are small.
const MaxBody = 64 << 10

// ErrTooLarge is what Read returns for a body over MaxBody; answer it
// with http.StatusRequestEntityTooLarge.
var ErrTooLarge = fmt.Errorf("the body is larger than %d KiB", MaxBody>>10)

// Read reads r's body, at most MaxBody bytes.
func Read(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if len(b) > MaxBody {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Whole reads the text of a JSON number as a whole number: 12, 1e3 and
// 12.0 are (JSON has one number type, and generators write 12.0 for a
// float that holds 12); 12.5 is not; what int64 cannot hold is out of
// range. The error is short, whatever the text: "out of range", not
// strconv's message with the number repeated.
func Whole(text string) (int64, error) {
	text = strings.TrimSpace(text)
	if !strings.ContainsAny(text, ".eE") {
		i, err := strconv.ParseInt(text, 10, 64)
		switch {
		case err == nil:
			return i, nil
		case errors.Is(err, strconv.ErrRange):
			return 0, errors.New("out of range")
		}
		return 0, fmt.Errorf("must be a whole number, not %s", Clip(text))
	}
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) || (err == nil && math.Abs(f) >= 1<<63):
		return 0, errors.New("out of range")
	case err != nil:
		return 0, fmt.Errorf("must be a whole number, not %s", Clip(text))
	case f != math.Trunc(f):
		return 0, fmt.Errorf("must be a whole number, not %s", Clip(text))
	case math.Abs(f) > 1<<53:
		// A float this large may not be the integer written.
		return 0, fmt.Errorf("%s is too large to be exact: write it as plain digits", Clip(text))
	}
	return int64(f), nil
}

// Clip shortens a value quoted in an error message.
func Clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Int is an int64 that a JSON body gives as any whole number (Whole's
// rule: 1e3 and 12.0 too), for fields decoded with encoding/json.
type Int int64

func (i *Int) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return fmt.Errorf("must be a whole number, not %s", Clip(s))
	}
	v, err := Whole(s)
	if err != nil {
		return err
	}
	*i = Int(v)
	return nil
}
