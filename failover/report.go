package failover

import (
	"context"
	"errors"
	"net"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// IsDCFailure reports whether a request error says something about the
// health of the DC that coordinated it: Cassandra's Unavailable,
// Overloaded, Is_bootstrapping, Server_error, read and write timeouts and
// failures (CAS_WRITE_UNKNOWN included), and the driver's timeouts,
// closed connections and empty pools. Errors such as Syntax_error,
// Invalid or Unauthorized are answers, not failures.
func IsDCFailure(err error) bool {
	_, failed := classify(err)
	return failed
}

// classify says whether an outcome counts for the error rate, and whether as a failure.
func classify(err error) (counted, failed bool) {
	if err == nil || errors.Is(err, gocql.ErrNotFound) {
		return true, false
	}
	if errors.Is(err, context.Canceled) {
		return false, false
	}
	var re gocql.RequestError
	if errors.As(err, &re) {
		switch re.Code() {
		case gocql.ErrCodeServer, gocql.ErrCodeUnavailable, gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping,
			gocql.ErrCodeWriteTimeout, gocql.ErrCodeReadTimeout, gocql.ErrCodeReadFailure, gocql.ErrCodeWriteFailure,
			gocql.ErrCodeCDCWriteFailure, gocql.ErrCodeCASWriteUnknown:
			return true, true
		}
		return true, false
	}
	for _, e := range []error{gocql.ErrTimeoutNoResponse, gocql.ErrConnectionClosed, gocql.ErrNoConnections,
		gocql.ErrNoStreams, gocql.ErrTooManyTimeouts, gocql.ErrUnavailable, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true, true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true, true
	}
	return false, false
}
