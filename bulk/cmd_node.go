package bulk

import (
	"context"
	"fmt"
)

// drain: nodetool Drain.java calls NodeProbe.drain() →
// StorageServiceMBean.drain(), the no-argument operation drain of
// list_storageservice.json. It stops the native transport and gossip and
// flushes everything; it takes seconds (4.3 s on the captured node:
// jolokia/drain.txt) and a drained node stays so until restarted.
func init() {
	register(Command{
		Name: "drain",
		Help: "Drain the node (stop accepting writes, flush all tables), as `nodetool drain`: StorageService drain(). " +
			"The node then serves nothing until it is restarted.",
		Long:       true,
		Disruptive: true,
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			if j == nil {
				_, err := untimed(nt).Run(ctx, "drain")
				return nil, err
			}
			if _, err := j.Exec(ctx, storageService, "drain"); err != nil {
				return nil, fmt.Errorf("StorageService drain: %w", err)
			}
			return nil, nil
		},
	})

	// statusgossip and statusbinary print "running" or "not running"
	// (nodetool StatusGossip.java, StatusBinary.java; nodetool.txt) from
	// StorageServiceMBean.isGossipRunning() and isNativeTransportRunning():
	// the boolean attributes GossipRunning and NativeTransportRunning.
	register(running("statusgossip", "GossipRunning", "Status of gossip, as `nodetool statusgossip`",
		func(ctx context.Context, n Node) (bool, error) { return n.Nodetool().StatusGossip(ctx) }))
	register(running("statusbinary", "NativeTransportRunning", "Status of the native transport (CQL), as `nodetool statusbinary`",
		func(ctx context.Context, n Node) (bool, error) { return n.Nodetool().StatusBinary(ctx) }))

	// version: nodetool Version.java prints "ReleaseVersion: " +
	// NodeProbe.getReleaseVersion() → StorageServiceMBean.getReleaseVersion(),
	// the attribute ReleaseVersion. The value is the version alone.
	register(Command{
		Name: "version",
		Help: "Cassandra's release version, as `nodetool version`: StorageService attribute ReleaseVersion.",
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			if j == nil {
				return nt.Version(ctx)
			}
			v, err := readStorageService(ctx, j, "ReleaseVersion")
			if err != nil {
				return nil, err
			}
			return toString(v)
		},
	})
}

// running is a status command: a boolean attribute shown as nodetool does.
func running(name, attr, help string, viaNodetool func(context.Context, Node) (bool, error)) Command {
	return Command{
		Name: name,
		Help: help + ": StorageService attribute " + attr + `; "running" or "not running".`,
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			j, _, err := access(n)
			if err != nil {
				return nil, err
			}
			var on bool
			if j == nil {
				on, err = viaNodetool(ctx, n)
			} else {
				var v any
				if v, err = readStorageService(ctx, j, attr); err == nil {
					on, err = toBool(v)
				}
			}
			if err != nil {
				return nil, err
			}
			if on {
				return "running", nil
			}
			return "not running", nil
		},
	}
}
