package health

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Cassandra 4.1 writes durations, data sizes and data rates with units
// (CASSANDRA-15234): DurationSpec "^(\d+)(d|h|s|ms|us|µs|ns|m)$",
// DataStorageSpec "^(\d+)(GiB|MiB|KiB|B)$", DataRateSpec
// "^(\d+)(MiB/s|KiB/s|B/s)$", case sensitive. A quantity is kept exactly as
// a rational number of base units (nanoseconds, bytes, bytes per second) so
// that "3h" and 10800000 ms compare equal without rounding.

type quantityKind uint8

const (
	kindNone quantityKind = iota
	kindDuration
	kindStorage
	kindRate
)

func (k quantityKind) String() string {
	switch k {
	case kindDuration:
		return "duration"
	case kindStorage:
		return "data storage"
	case kindRate:
		return "data rate"
	}
	return "number"
}

type quantity struct {
	kind  quantityKind
	value *big.Rat // in ns, bytes or bytes/s
}

func (q quantity) equal(o quantity) bool {
	return q.kind == o.kind && q.value.Cmp(o.value) == 0
}

var (
	durationRE = regexp.MustCompile(`^(\d+)(d|h|s|ms|us|µs|ns|m)$`)
	storageRE  = regexp.MustCompile(`^(\d+)(GiB|MiB|KiB|B)$`)
	rateRE     = regexp.MustCompile(`^(\d+)(MiB/s|KiB/s|B/s)$`)
)

// unitScale is the size of one unit in base units.
var unitScale = map[string]*big.Rat{
	"ns": big.NewRat(1, 1), "us": big.NewRat(1e3, 1), "µs": big.NewRat(1e3, 1),
	"ms": big.NewRat(1e6, 1), "s": big.NewRat(1e9, 1), "m": big.NewRat(60e9, 1),
	"h": big.NewRat(3600e9, 1), "d": big.NewRat(86400e9, 1),
	"B": big.NewRat(1, 1), "KiB": big.NewRat(1<<10, 1), "MiB": big.NewRat(1<<20, 1), "GiB": big.NewRat(1<<30, 1),
	"B/s": big.NewRat(1, 1), "KiB/s": big.NewRat(1<<10, 1), "MiB/s": big.NewRat(1<<20, 1),
	// Old-style megabits per second: DataRateSpec.LongBytesPerSecondBound.
	// megabitsPerSecondInBytesPerSecond multiplies by 125,000.
	"megabits/s": big.NewRat(125000, 1),
}

var unitKind = map[string]quantityKind{
	"ns": kindDuration, "us": kindDuration, "µs": kindDuration, "ms": kindDuration, "s": kindDuration, "m": kindDuration, "h": kindDuration, "d": kindDuration,
	"B": kindStorage, "KiB": kindStorage, "MiB": kindStorage, "GiB": kindStorage,
	"B/s": kindRate, "KiB/s": kindRate, "MiB/s": kindRate, "megabits/s": kindRate,
}

// parseSpec parses a value written with a unit, as the 4.1 *Spec classes do.
func parseSpec(s string) (quantity, bool) {
	for _, re := range []*regexp.Regexp{durationRE, storageRE, rateRE} {
		if m := re.FindStringSubmatch(s); m != nil {
			return makeQuantity(m[1], m[2])
		}
	}
	return quantity{}, false
}

// makeQuantity is number × unit; number may be fractional ("0.0" ms, as
// MILLIS_DURATION_DOUBLE accepts) but not NaN.
func makeQuantity(number, unit string) (quantity, bool) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(number))
	scale, known := unitScale[unit]
	if !ok || !known {
		return quantity{}, false
	}
	return quantity{kind: unitKind[unit], value: r.Mul(r, scale)}, true
}

// in expresses q in unit, rounded towards zero as TimeUnit.convert and the
// DataStorageSpec conversions do (rates round to nearest, as the *AsInt
// helpers of DataRateSpec use Math.round).
func (q quantity) in(unit string) string {
	v := new(big.Rat).Quo(q.value, unitScale[unit])
	if q.kind == kindRate {
		f, _ := v.Float64()
		return strconv.FormatInt(int64(math.Round(f)), 10)
	}
	n := new(big.Int).Quo(v.Num(), v.Denom())
	return n.String()
}

// parseNumber accepts what Java's Long/Double parsing and SnakeYAML's
// numbers accept in practice (including "NaN").
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}
