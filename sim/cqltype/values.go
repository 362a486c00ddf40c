package cqltype

import "math/big"

// UUID is a uuid or timeuuid value.
type UUID [16]byte

// Decimal is unscaled * 10^-scale, as the native protocol encodes it.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// Date is a CQL date: days since the Unix epoch (the wire form adds 2^31).
type Date int32

// Time is a CQL time: nanoseconds since midnight.
type Time int64

// Duration is a CQL duration.
type Duration struct {
	Months, Days int32
	Nanos        int64
}

// Pair is one entry of a map value.
type Pair struct {
	Key, Value any
}
