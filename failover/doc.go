// Package failover is a gocql v2 host selection policy for applications
// whose data centers are asynchronous (LOCAL_* consistency levels): it
// routes to one active DC, switches to a backup DC when the active one
// fails, and switches back only when that is safe. It is the Go version of
// the DCAwareFailoverRoundRobinPolicy described in "Going multi DC with
// Cassandra" and keeps its vocabulary (local DC, backup DC, switch, switch
// back, hint window, switchBackDelayFactor, minimumTimeBetweenSwitches).
//
//	p, err := failover.New(failover.Options{
//		LocalDC:    "dc1",
//		BackupDCs:  []string{"dc2"},
//		Keyspaces:  []string{"shop"}, // switch when a range of shop loses LOCAL_QUORUM in the DC
//		SwitchBack: failover.SwitchBackSafe,
//	})
//	cluster.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(p)
//	p.AttachTo(cluster)
//
// A DC fails when its nodes are all down, or, as configured, when
// HostDownSwitchThreshold of its nodes are down, when a token range of a
// watched keyspace cannot be served at the consistency level by a
// coordinator in that DC (computed with package ring from the driver's own
// host tokens and keyspace metadata), or when the share of failed requests
// reported for it passes a threshold. Switching back needs the DC to have
// been down for less than the hint window and back for downtime × factor,
// its hints not dropped. docs/failover.md has the rules, the hysteresis,
// the consistency trade-off, the metrics and the benchmarks.
//
// The decisions are made by a state machine with no clock and no I/O
// (decide.go), fed with events and the time they happened; Policy adapts
// it to gocql and to real time.
package failover
