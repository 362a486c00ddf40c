package node

import (
	"context"
	"fmt"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Settings reads system_views.settings afresh (name → value; rows with a
// null value are left out), over the adapter's CQL session and within its
// Timeout. Unlike a Snapshot it reads nothing else, so a settings change
// can read back what the node now runs with.
func (a *Adapter) Settings(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	return a.cql.readSettings(ctx)
}

func (c *cqlClient) readSettings(ctx context.Context) (map[string]string, error) {
	s, err := c.session()
	if err != nil {
		return nil, fmt.Errorf("cql: connect %s: %w", c.addr, err)
	}
	it := s.Query(cqlSettings).WithContext(ctx).Consistency(gocql.LocalOne).Iter()
	settings := scanSettings(it)
	if err := it.Close(); err != nil {
		// As in read: a connection-level failure drops the session.
		if !serverError(err) && ctx.Err() == nil {
			c.drop(s)
		}
		return nil, fmt.Errorf("cql: system_views.settings: %w", err)
	}
	return settings, nil
}
