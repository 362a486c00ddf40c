package node

import (
	"context"
	"fmt"
	"time"
)

// drainModeMaxAge: in nodetool mode, a CQL answer this recent stands for
// "not drained" before a drain.
const drainModeMaxAge = 5 * time.Second

// Drain does what `nodetool drain` does: StorageService.drain() (stop the
// native transport and gossip, flush every table, stop accepting writes),
// through Jolokia when configured, else through nodetool. A node whose
// OperationMode is already DRAINED is left alone and already is true (in
// nodetool mode the mode is read with netstats unless a snapshot's CQL
// read was answered in the last drainModeMaxAge).
//
// Only ctx bounds the drain itself: it flushes every memtable, which can
// take tens of seconds, so the adapter's Timeout (meant for reads) does
// not apply. The OperationMode check before it is a read and does.
func (a *Adapter) Drain(ctx context.Context) (already bool, err error) {
	if a.jmx != nil {
		mode, err := a.OperationMode(ctx)
		if err != nil {
			return false, fmt.Errorf("drain: %w", err)
		}
		if mode == "DRAINED" {
			return true, nil
		}
		// The Jolokia client has no timeout of its own (defaultJolokiaClient).
		if _, err := a.jmx.Exec(ctx, StorageServiceMBean, "drain"); err != nil {
			return false, fmt.Errorf("drain: StorageService.drain: %w", err)
		}
		return false, nil
	}
	// A CQL answer moments ago means the node is not drained (a drain
	// stops the native transport first): no JVM for netstats. Draining a
	// node drained meanwhile is harmless (StorageService.drain: "Cannot
	// drain node (did it already happen?)").
	if !a.ntm.answeredCQLSince(time.Now().Add(-drainModeMaxAge)) {
		mode, err := a.OperationMode(ctx)
		if err != nil {
			return false, fmt.Errorf("drain: %w", err)
		}
		if mode == "DRAINED" {
			return true, nil
		}
	}
	nt := *a.nt
	nt.Timeout = 0 // ctx decides
	if _, err := nt.Run(ctx, "drain"); err != nil {
		return false, fmt.Errorf("drain: %w", err)
	}
	return false, nil
}

// OperationMode is StorageService's OperationMode now (STARTING, NORMAL,
// JOINING, LEAVING, DECOMMISSIONED, MOVING, DRAINING, DRAINED), through
// Jolokia when configured, else nodetool (netstats' Mode line).
func (a *Adapter) OperationMode(ctx context.Context) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	if a.jmx == nil {
		mode, err := a.nt.OperationMode(rctx)
		if err != nil {
			return "", fmt.Errorf("reading OperationMode: %w", err)
		}
		return mode, nil
	}
	v, err := a.jmx.ReadAttr(rctx, StorageServiceMBean, "OperationMode")
	if err != nil {
		return "", fmt.Errorf("reading OperationMode: %w", err)
	}
	mode, err := asString(v)
	if err != nil {
		return "", fmt.Errorf("OperationMode: %w", err)
	}
	return mode, nil
}
