package ring

import (
	"encoding/binary"
	"math/bits"
)

// Murmur3Token is Murmur3Partitioner.getToken: the first 64 bits of
// MurmurHash3 x64_128 (seed 0) over the serialized partition key, with
// Long.MIN_VALUE mapped to Long.MAX_VALUE (Murmur3Partitioner.normalize)
// and the empty key mapped to MinToken.
//
// Cassandra's port (utils/MurmurHash.java hash3_x64_128) differs from the
// reference MurmurHash3 in the tail: bytes are sign-extended ((long) byte)
// before shifting, so keys whose length is not a multiple of 16 and whose
// tail holds bytes >= 0x80 hash differently. That quirk is reproduced here
// because tokens must match the ones Cassandra computes.
func Murmur3Token(partitionKey []byte) Token {
	if len(partitionKey) == 0 {
		return MinToken
	}
	return normalize(murmur3H1(partitionKey))
}

func normalize(h int64) Token {
	if h == int64(MinToken) {
		return MaxToken
	}
	return Token(h)
}

const (
	mmC1 = 0x87c37b91114253d5
	mmC2 = 0x4cf5ad432745937f
)

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// sx sign-extends a byte as Java's (long) cast of a byte does.
func sx(b byte) uint64 { return uint64(int64(int8(b))) }

func murmur3H1(data []byte) int64 {
	var h1, h2 uint64
	n := len(data)
	nblocks := n / 16
	for i := 0; i < nblocks; i++ {
		// The body reads blocks little-endian and unsigned (MurmurHash.getBlock).
		k1 := binary.LittleEndian.Uint64(data[i*16:])
		k2 := binary.LittleEndian.Uint64(data[i*16+8:])

		k1 *= mmC1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= mmC2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729

		k2 *= mmC2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= mmC1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}

	tail := data[nblocks*16:]
	var k1, k2 uint64
	switch n & 15 {
	case 15:
		k2 ^= sx(tail[14]) << 48
		fallthrough
	case 14:
		k2 ^= sx(tail[13]) << 40
		fallthrough
	case 13:
		k2 ^= sx(tail[12]) << 32
		fallthrough
	case 12:
		k2 ^= sx(tail[11]) << 24
		fallthrough
	case 11:
		k2 ^= sx(tail[10]) << 16
		fallthrough
	case 10:
		k2 ^= sx(tail[9]) << 8
		fallthrough
	case 9:
		k2 ^= sx(tail[8])
		k2 *= mmC2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= mmC1
		h2 ^= k2
		fallthrough
	case 8:
		k1 ^= sx(tail[7]) << 56
		fallthrough
	case 7:
		k1 ^= sx(tail[6]) << 48
		fallthrough
	case 6:
		k1 ^= sx(tail[5]) << 40
		fallthrough
	case 5:
		k1 ^= sx(tail[4]) << 32
		fallthrough
	case 4:
		k1 ^= sx(tail[3]) << 24
		fallthrough
	case 3:
		k1 ^= sx(tail[2]) << 16
		fallthrough
	case 2:
		k1 ^= sx(tail[1]) << 8
		fallthrough
	case 1:
		k1 ^= sx(tail[0])
		k1 *= mmC1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= mmC2
		h1 ^= k1
	}

	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	h1 += h2
	return int64(h1)
}
