package ring

import (
	"encoding/hex"
	"math"
	"strconv"
	"testing"
)

// Vectors from the gocql driver's internal/murmur tests (generated with the
// Java DataStax driver, which reproduces Murmur3Partitioner): every tail
// length 0..19 and a few strings.
func TestMurmur3H1Vectors(t *testing.T) {
	series := []uint64{
		0x0000000000000000, 0x2ac9debed546a380, 0x649e4eaa7fc1708e, 0xce68f60d7c353bdb,
		0x0f95757ce7f38254, 0x0f04e459497f3fc1, 0x88c0a92586be0a27, 0x13eb9fb82606f7a6,
		0x8236039b7387354d, 0x4c1e87519fe738ba, 0x3f9652ac3effeb24, 0x3f33760ded9006c6,
		0xaed70a6631854cb1, 0x8a299a8f8e0e2da7, 0x624b675c779249a6, 0xa4b203bb1d90b9a3,
		0xa3293ad698ecb99a, 0xbc740023dbd50048, 0x3fe5ab9837d25cdd, 0x2d0338c1ca87d132,
	}
	sample := ""
	for i, want := range series {
		if got := murmur3H1([]byte(sample)); got != int64(want) {
			t.Errorf("h1(%q) = %x, want %x", sample, uint64(got), want)
		}
		sample += strconv.Itoa(i % 10)
	}
	for s, want := range map[string]uint64{
		"hello":                     0xcbd8a7b341bd9b02,
		"hello, world":              0x342fac623a5ebc8e,
		"19 Jan 2038 at 3:14:07 AM": 0xb89e5988b737affc,
		"The quick brown fox jumps over the lazy dog.": 0xcd99481f9ee902c9,
	} {
		if got := murmur3H1([]byte(s)); got != int64(want) {
			t.Errorf("h1(%q) = %x, want %x", s, uint64(got), want)
		}
	}
}

// The signed-byte tail quirk of MurmurHash.hash3_x64_128 (gocql's
// TestMurmur3H1_CassandraSign): a key with tail bytes >= 0x80.
func TestMurmur3CassandraSignQuirk(t *testing.T) {
	key, _ := hex.DecodeString("00104327529fb645dd00b883ec39ae448bb800000400066a6b00")
	if got, want := Murmur3Token(key), Token(-9223371632693506265); got != want {
		t.Fatalf("Murmur3Token = %d, want %d", got, want)
	}
}

func TestMurmur3TokenEdges(t *testing.T) {
	// Murmur3Partitioner.getToken: the empty key is MINIMUM.
	if got := Murmur3Token(nil); got != MinToken {
		t.Errorf("empty key: %d, want MinToken", got)
	}
	if got, want := Murmur3Token([]byte("hello")), Token(-0x3427584cbe4264fe); got != want {
		t.Errorf("hello: %d, want %d", got, want)
	}
	// Murmur3Partitioner.normalize: Long.MIN_VALUE is reserved for MINIMUM.
	if normalize(math.MinInt64) != MaxToken || normalize(-5) != -5 {
		t.Error("normalize")
	}
}

func TestParseToken(t *testing.T) {
	for _, s := range []string{"-9223372036854775808", "9223372036854775807", "0", "-1276551622235670265", "+5"} {
		tk, err := ParseToken(s)
		if err != nil {
			t.Fatalf("ParseToken(%q): %v", s, err)
		}
		want, _ := strconv.ParseInt(s, 10, 64)
		if int64(tk) != want {
			t.Fatalf("ParseToken(%q) = %d", s, tk)
		}
	}
	if tk, _ := ParseToken("-9223372036854775808"); tk != MinToken || tk.String() != "-9223372036854775808" {
		t.Fatalf("min token round trip: %v", tk)
	}
	for _, s := range []string{"", "abc", "9223372036854775808", "1.5", " 1"} {
		if _, err := ParseToken(s); err == nil {
			t.Errorf("ParseToken(%q) accepted", s)
		}
	}
}

func TestRangeContains(t *testing.T) {
	cases := []struct {
		r   Range
		tok Token
		in  bool
	}{
		{Range{10, 20}, 10, false},
		{Range{10, 20}, 11, true},
		{Range{10, 20}, 20, true},
		{Range{10, 20}, 21, false},
		{Range{20, 10}, 25, true}, // wraps
		{Range{20, 10}, math.MinInt64, true},
		{Range{20, 10}, 10, true},
		{Range{20, 10}, 15, false},
		{Range{20, 10}, 20, false},
		{Range{5, 5}, 5, true}, // whole ring
		{Range{5, 5}, -100, true},
	}
	for _, c := range cases {
		if got := c.r.Contains(c.tok); got != c.in {
			t.Errorf("%v.Contains(%d) = %v", c.r, c.tok, got)
		}
	}
}
