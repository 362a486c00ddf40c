//go:build !unix

package fanout

func nofileLimit() (uint64, bool) { return 0, false }
