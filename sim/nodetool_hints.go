package sim

import (
	"fmt"
	"strings"
	"time"
)

// The hint commands of nodetool (tools/nodetool/StatusHandoff.java,
// ListPendingHints, PauseHandoff, ResumeHandoff, TruncateHints,
// DisableHintsForDC, EnableHintsForDC), through the node's MBeans.

func init() {
	ntCommands["statushandoff"] = (*ntRun).statusHandoff
	ntCommands["listpendinghints"] = (*ntRun).listPendingHints
	ntCommands["pausehandoff"] = opRunner(hintsServiceName, "pauseDispatch")
	ntCommands["resumehandoff"] = opRunner(hintsServiceName, "resumeDispatch")
	ntCommands["truncatehints"] = (*ntRun).truncateHints
	ntCommands["disablehintsfordc"] = hintsForDC("disablehintsfordc", "disableHintsForDC")
	ntCommands["enablehintsfordc"] = hintsForDC("enablehintsfordc", "enableHintsForDC")
}

const hintsServiceName = "org.apache.cassandra.hints:type=HintsService"

// hintsForDC: checkArgument(args.size() == 1, "<cmd> requires exactly one data center").
func hintsForDC(cmd, sig string) func(*ntRun, []string) int {
	return func(r *ntRun, args []string) int {
		_, pos, err := parseArgs(args, nil)
		if err != nil {
			return r.badUse(err.Error())
		}
		if len(pos) != 1 {
			return r.badUse(cmd + " requires exactly one data center")
		}
		if _, err := r.call(storageProxyName, sig, pos[0]); err != nil {
			return r.fromJMX(err)
		}
		return 0
	}
}

// statusHandoff prints whether hinted handoff is enabled and the DCs it
// is disabled for.
func (r *ntRun) statusHandoff(args []string) int {
	if ok, code := r.noArgs(args); !ok {
		return code
	}
	on, err := r.attr(storageProxyName, "HintedHandoffEnabled")
	if err != nil {
		return r.fromJMX(err)
	}
	state := "not running"
	if b, _ := on.(bool); b {
		state = "running"
	}
	fmt.Fprintf(&r.out, "Hinted handoff is %s\n", state)
	dcs, err := r.attr(storageProxyName, "HintedHandoffDisabledDCs")
	if err != nil {
		return r.fromJMX(err)
	}
	for _, dc := range chmDeserialized(strs(dcs)) {
		fmt.Fprintf(&r.out, "Data center %s is disabled\n", dc)
	}
	return 0
}

// truncateHints: all hints, or those of the endpoint given.
func (r *ntRun) truncateHints(args []string) int {
	_, pos, err := parseArgs(args, nil)
	if err != nil {
		return r.badUse(err.Error())
	}
	if len(pos) > 1 {
		return r.badUse(fmt.Sprintf("Found unexpected parameters: [%s]", strings.Join(pos[1:], ", ")))
	}
	if len(pos) == 0 {
		_, err = r.call(hintsServiceName, "deleteAllHints")
	} else {
		_, err = r.call(hintsServiceName, "deleteAllHintsForEndpoint", pos[0])
	}
	if err != nil {
		return r.fromJMX(err)
	}
	return 0
}

// listPendingHints is ListPendingHints: a TableBuilder (one-space
// delimiter) of the targets with pending files, times in UTC as
// yyyy-MM-dd HH:mm:ss,SSS.
func (r *ntRun) listPendingHints(args []string) int {
	if ok, code := r.noArgs(args); !ok {
		return code
	}
	v, err := r.attr(hintsServiceName, "PendingHints")
	if err != nil {
		return r.fromJMX(err)
	}
	list, _ := v.([]any)
	if len(list) == 0 {
		r.out.WriteString("This node does not have any pending hints\n")
		return 0
	}
	c := r.n.c
	stamp := func(s string) string {
		var ms int64
		fmt.Sscan(s, &ms)
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05,000")
	}
	rows := [][]string{{"Host ID", "Address", "Rack", "DC", "Status", "Total files", "Newest", "Oldest"}}
	for _, e := range list {
		m, _ := e.(map[string]any)
		id := fmt.Sprint(m["host_id"])
		addr, rack, dc, status := "null", "Unknown", "Unknown", "Unknown"
		if t, err := c.Node(id); err == nil {
			addr, rack, dc, status = t.Endpoint(), t.Rack, t.DC, r.n.simpleState(t)
		}
		rows = append(rows, []string{id, addr, rack, dc, status, fmt.Sprint(m["total_files"]),
			stamp(fmt.Sprint(m["newest_timestamp"])), stamp(fmt.Sprint(m["oldest_timestamp"]))})
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	for _, row := range rows {
		for i, cell := range row {
			r.out.WriteString(cell + strings.Repeat(" ", width[i]-len(cell)))
			if i < len(row)-1 {
				r.out.WriteString(" ")
			}
		}
		r.out.WriteString("\n")
	}
	return 0
}
