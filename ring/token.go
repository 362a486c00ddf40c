package ring

import (
	"fmt"
	"math"
	"strconv"
)

// Token is a Murmur3Partitioner token: a signed 64-bit integer, written in
// decimal in system.local.tokens and system.peers_v2.tokens.
type Token int64

// MinToken is Murmur3Partitioner.MINIMUM (Long.MIN_VALUE). It is the token of
// the empty partition key and never the result of hashing a non-empty key.
const MinToken Token = math.MinInt64

// MaxToken is Murmur3Partitioner.MAXIMUM (Long.MAX_VALUE).
const MaxToken Token = math.MaxInt64

// ParseToken parses a token as Cassandra writes it (Long.parseLong, decimal).
func ParseToken(s string) (Token, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("ring: invalid Murmur3 token %q: not a signed 64-bit decimal integer", s)
	}
	return Token(v), nil
}

// String formats the token in decimal, as the system tables store it.
func (t Token) String() string { return strconv.FormatInt(int64(t), 10) }

// Range is a token range (Start, End], Cassandra's dht.Range: it wraps
// around the ring when Start >= End, and Start == End is the whole ring.
type Range struct {
	Start, End Token
}

// Contains reports whether tok lies in (Start, End] (dht.Range.contains).
func (r Range) Contains(tok Token) bool {
	if r.Start < r.End {
		return r.Start < tok && tok <= r.End
	}
	return tok > r.Start || tok <= r.End
}

// IsFullRing reports whether the range covers every token.
func (r Range) IsFullRing() bool { return r.Start == r.End }

// String formats the range as Cassandra does: "(start,end]".
func (r Range) String() string { return "(" + r.Start.String() + "," + r.End.String() + "]" }
