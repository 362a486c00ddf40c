package sim

import (
	"fmt"

	"github.com/ringside/ringside/sim/native"
)

// Errors as the coordinator reports them; codes from native_protocol_v4.spec §9.

func invalid(f string, a ...any) *native.Error {
	return &native.Error{Code: native.ErrInvalid, Message: fmt.Sprintf(f, a...)}
}

func config(f string, a ...any) *native.Error {
	return &native.Error{Code: native.ErrConfig, Message: fmt.Sprintf(f, a...)}
}

func serverErr(f string, a ...any) *native.Error {
	return &native.Error{Code: native.ErrServer, Message: fmt.Sprintf(f, a...)}
}

// unavailable words the message as UnavailableException does: "Cannot
// achieve consistency level X" (and " in DC d" for EACH_QUORUM), see
// testdata/cassandra-4.1.6/node-down.txt.
func unavailable(cl native.Consistency, dc string, required, alive int) *native.Error {
	msg := "Cannot achieve consistency level " + cl.String()
	if dc != "" {
		msg += " in DC " + dc
	}
	return &native.Error{Code: native.ErrUnavailable, Message: msg, Consistency: cl, Required: int32(required), Alive: int32(alive)}
}

// writeTimeout and readTimeout word their messages as
// WriteTimeoutException/ReadTimeoutException (RequestTimeoutException).
func writeTimeout(cl native.Consistency, received, blockFor int, writeType string) *native.Error {
	return &native.Error{Code: native.ErrWriteTimeout, Consistency: cl, Received: int32(received), BlockFor: int32(blockFor), WriteType: writeType,
		Message: fmt.Sprintf("Operation timed out - received only %d responses.", received)}
}

func readTimeout(cl native.Consistency, received, blockFor int, dataPresent bool) *native.Error {
	return &native.Error{Code: native.ErrReadTimeout, Consistency: cl, Received: int32(received), BlockFor: int32(blockFor), DataPresent: dataPresent,
		Message: fmt.Sprintf("Operation timed out - received only %d responses.", received)}
}

// asNative converts an error to the protocol error the client gets
// (InvalidRequest unless it already is one). It returns a plain error so
// that nil stays nil.
func asNative(err error) error {
	if err == nil {
		return nil
	}
	return toNative(err)
}

func toNative(err error) *native.Error {
	if e, ok := err.(*native.Error); ok {
		return e
	}
	return invalid("%s", err.Error())
}
