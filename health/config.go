package health

import (
	"fmt"
	"strings"
	"time"

	"github.com/ringside/ringside/ring"
)

// DefaultConsistencyLevels are checked when Config names none: the levels
// the CEP's example reports and the usual application level.
var DefaultConsistencyLevels = []string{"LOCAL_ONE", "LOCAL_QUORUM"}

// DefaultMaxAge is how old a snapshot may be and still count as current
// when Config.MaxAge is zero.
const DefaultMaxAge = 60 * time.Second

// Config tunes the health checks.
type Config struct {
	// ConsistencyLevels are the levels whose under-replicated keyspaces are
	// reported (and fail the coordinator check); default LOCAL_ONE,
	// LOCAL_QUORUM. Names are case-insensitive, as CQL's are.
	ConsistencyLevels []string
	// ConfigSyncFailsReplica makes a cassandra.yaml that differs from the
	// running settings (or cannot be compared) fail the replica check.
	// Default false: drift is reported, not fatal, because hot changes
	// through nodetool/JMX are routine and not a reason to take a replica
	// out of service.
	ConfigSyncFailsReplica bool
	// MaxAge is how old the snapshot may be before a check fails as stale
	// (default DefaultMaxAge).
	MaxAge time.Duration
}

// Validate reports unknown consistency level names (all of them at once)
// and levels availability is not defined for.
func (c *Config) Validate() error {
	_, err := c.levels()
	if err == nil && c.MaxAge < 0 {
		err = fmt.Errorf("health: max age %s is negative", c.MaxAge)
	}
	return err
}

// levels parses ConsistencyLevels (or the defaults), dropping duplicates.
func (c *Config) levels() ([]ring.ConsistencyLevel, error) {
	names := c.ConsistencyLevels
	if len(names) == 0 {
		names = DefaultConsistencyLevels
	}
	var out []ring.ConsistencyLevel
	var bad []string
	seen := map[ring.ConsistencyLevel]bool{}
	for _, n := range names {
		cl, err := ring.ParseConsistencyLevel(strings.TrimSpace(n))
		if err != nil || cl == ring.NodeLocal {
			// NODE_LOCAL is not a level clients can use for availability.
			bad = append(bad, fmt.Sprintf("%q", n))
			continue
		}
		if !seen[cl] {
			seen[cl] = true
			out = append(out, cl)
		}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("health: unknown consistency level %s (want ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, SERIAL, LOCAL_SERIAL, LOCAL_ONE)", strings.Join(bad, ", "))
	}
	return out, nil
}

func (c *Config) maxAge() time.Duration {
	if c.MaxAge > 0 {
		return c.MaxAge
	}
	return DefaultMaxAge
}

// fieldName is the coordinator report's field for a level, as the CEP
// spells it: "LOCAL_ONE_underreplicated_keyspaces".
func fieldName(cl ring.ConsistencyLevel) string {
	return cl.String() + "_underreplicated_keyspaces"
}
