package bulk

import (
	"context"
	"errors"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/node"
)

// SchemaGuard is implemented by a fanout.Cluster that knows the cluster's
// schema: a command naming a keyspace that does not exist is then refused
// (400) before anything is fanned out, rather than failing on every node.
type SchemaGuard interface {
	// CheckKeyspace returns a *ParamError naming the keyspace when the
	// schema has no such keyspace; nil when it has, or cannot tell.
	CheckKeyspace(ctx context.Context, keyspace string) error
}

// callerMistake tells whether a node refused the command's arguments:
// Cassandra's MBeans throw IllegalArgumentException for them
// (StorageService.verifyKeyspaceIsValid: "Keyspace x does not exist", an
// unknown table, …). That is the caller's mistake, a 4xx, not the node's
// failure.
func callerMistake(err error) bool {
	var je *node.JolokiaError
	return errors.As(err, &je) && je.ErrorType == "java.lang.IllegalArgumentException"
}

// allCallerMistakes: every node refused the arguments (none succeeded).
func allCallerMistakes(results []fanout.Result, localMistake bool) bool {
	if len(results) == 0 {
		return false
	}
	for _, r := range results {
		switch {
		case r.Success:
			return false
		case r.Self:
			if !localMistake {
				return false
			}
		case r.Status < 400 || r.Status >= 500:
			return false
		}
	}
	return true
}
