package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// reqErr is a coordinator's error answer with a code.
type reqErr struct {
	code int
	msg  string
}

func (e reqErr) Error() string   { return fmt.Sprintf("code %#x: %s", e.code, e.msg) }
func (e reqErr) Code() int       { return e.code }
func (e reqErr) Message() string { return e.msg }

func TestUncertain(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&gocql.RequestErrWriteTimeout{}, true},
		{&gocql.RequestErrCASWriteUnknown{}, true},
		{reqErr{code: gocql.ErrCodeUnavailable}, true},
		{reqErr{code: gocql.ErrCodeOverloaded}, true},
		{reqErr{code: gocql.ErrCodeInvalid}, false},
		{reqErr{code: gocql.ErrCodeSyntax}, false},
		{reqErr{code: gocql.ErrCodeUnauthorized}, false},
		{gocql.ErrTimeoutNoResponse, true},
		{gocql.ErrConnectionClosed, true},
		{fmt.Errorf("gocql: failed to read uncompressed frame, err: %w", io.EOF), true},
		{context.DeadlineExceeded, true},
		{gocql.ErrNoConnections, false},
		{gocql.ErrSessionClosed, false},
	} {
		if got := uncertain(c.err); got != c.want {
			t.Errorf("uncertain(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestMissing(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		// Cassandra 4.1.6's answers (testdata of the reference run:
		// code=0x2200 message="keyspace nosuchks does not exist").
		{reqErr{gocql.ErrCodeInvalid, "keyspace ringside does not exist"}, true},
		{reqErr{gocql.ErrCodeInvalid, "table ringside.leases does not exist"}, true},
		{reqErr{gocql.ErrCodeInvalid, "unconfigured table leases"}, true},
		{reqErr{gocql.ErrCodeInvalid, "Invalid STRING constant"}, false},
		{reqErr{gocql.ErrCodeUnavailable, "keyspace ringside does not exist"}, false},
		{errors.New("keyspace ringside does not exist"), false},
	} {
		if got := missing(c.err); got != c.want {
			t.Errorf("missing(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
