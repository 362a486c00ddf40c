package health

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/ringside/ringside/node"
	"github.com/ringside/ringside/ring"
)

// Coordinator is GET /v1/health/coordinator: can this node act as a
// coordinator? The CEP's fields (cassandra_running, native_active,
// alive_peers, dead_peers, <CL>_underreplicated_keyspaces for every
// configured level) plus:
//
//   - as_of, data_age_seconds: when the snapshot was taken and how old it is;
//   - data_sources: each source (cql, jmx, nodetool status…) with its own
//     as_of and the fields it gave (nodetool mode caches peer liveness);
//   - datacenter, operation_mode: the coordinator DC that LOCAL_* levels
//     are judged from, and StorageService's mode (DRAINED explains
//     native_active false);
//   - underreplicated_ranges (when any): per level and keyspace, how many
//     token ranges the down nodes made unservable and the first of them
//     with the figures of Cassandra's Unavailable error;
//   - unavailable_by_design (when any): per level, keyspaces with ranges
//     that cannot be served from this DC even with every node up (e.g.
//     SimpleStrategy system_auth at LOCAL_ONE in a multi-DC cluster). They
//     are reported but do not fail the check: a load balancer cannot fix
//     replication settings, and every coordinator of the DC would fail alike;
//   - warnings (when any): system keyspaces whose replication is too
//     small for what Cassandra uses them for (SystemKeyspaceWarnings),
//     with the fix; they do not fail the check;
//   - errors (when any): what the snapshot could not read;
//   - reasons (when unhealthy): why, in words.
//
// Healthy (200) means Cassandra runs, native transport is active, no
// configured level has an under-replicated keyspace, availability could be
// computed, and the snapshot is younger than cfg.MaxAge.
func Coordinator(s *node.Snapshot, cfg Config, now time.Time) (map[string]any, bool) {
	rep := map[string]any{}
	var reasons []string
	errs := append([]string(nil), s.Errors...)
	levels, err := cfg.levels()
	if err != nil {
		errs = append(errs, err.Error())
		reasons = append(reasons, err.Error())
	}
	rep["cassandra_running"] = s.CassandraRunning
	rep["native_active"] = s.NativeActive
	rep["alive_peers"] = sortEndpoints(s.LiveEndpoints)
	rep["dead_peers"] = sortEndpoints(s.UnreachableEndpoints)
	if s.DC != "" {
		rep["datacenter"] = s.DC
	}
	if s.OperationMode != "" {
		rep["operation_mode"] = s.OperationMode
	}
	fresh, staleReason := addAge(rep, s.Taken, now, cfg.maxAge())
	if !fresh {
		reasons = append(reasons, staleReason)
	}
	addSources(rep, s)
	if !s.CassandraRunning {
		reasons = append(reasons, "cassandra is not running")
	}
	if !s.NativeActive {
		r := "native transport is not active"
		if s.OperationMode != "" && s.OperationMode != "NORMAL" {
			r += " (operation mode " + s.OperationMode + ")"
		}
		reasons = append(reasons, r)
	}

	lists := map[ring.ConsistencyLevel][]string{}
	for _, cl := range levels {
		lists[cl] = []string{}
	}
	detail := map[string]any{}
	byDesign := map[string]any{}
	v, err := newRingView(s)
	var res map[string]map[ring.ConsistencyLevel]levelResult
	if err == nil {
		errs = append(errs, v.notes...)
		// Warn only about what the running settings show: without them
		// the stop guard assumes authentication is on (the safe side),
		// but a warning would be a guess.
		if len(s.Settings) > 0 {
			if w := v.systemWarnings(); len(w) > 0 {
				rep["warnings"] = w
			}
		}
		res, err = v.evaluate(s.DC, levels)
	}
	if err != nil {
		errs = append(errs, err.Error())
		reasons = append(reasons, "availability unknown: "+err.Error())
	}
	for _, cl := range levels {
		perKS := map[string]any{}
		var design []string
		for _, ks := range sortedKeys(res) {
			r := res[ks][cl]
			switch r.status {
			case statusUnavailable:
				lists[cl] = append(lists[cl], ks)
				d := map[string]any{"unavailable_ranges": r.lost, "ranges": r.ranges}
				msg := fmt.Sprintf("%s is under-replicated at %s: %d of %d token ranges cannot be served", ks, cl, r.lost, r.ranges)
				if r.example != nil {
					d["first"] = rangeDetail(r.example)
					msg += fmt.Sprintf(" (e.g. %s: %d of %d replicas alive, %d required)", rangeText(r.example), r.example.Alive, r.example.Replicas, r.example.Required)
				}
				perKS[ks] = d
				reasons = append(reasons, msg)
			case statusByDesign:
				design = append(design, ks)
			}
		}
		rep[fieldName(cl)] = lists[cl]
		if len(perKS) > 0 {
			detail[cl.String()] = perKS
		}
		if len(design) > 0 {
			byDesign[cl.String()] = design
		}
	}
	if len(detail) > 0 {
		rep["underreplicated_ranges"] = detail
	}
	if len(byDesign) > 0 {
		rep["unavailable_by_design"] = byDesign
	}
	if len(errs) > 0 {
		rep["errors"] = errs
	}
	healthy := len(reasons) == 0
	if !healthy {
		rep["reasons"] = reasons
	}
	return rep, healthy
}

// addAge sets as_of and data_age_seconds, and says whether the data is
// fresh enough to be trusted.
func addAge(rep map[string]any, taken, now time.Time, maxAge time.Duration) (bool, string) {
	if taken.IsZero() {
		rep["as_of"] = nil
		rep["data_age_seconds"] = nil
		return false, "no snapshot of the node has been taken"
	}
	age := max(now.Sub(taken), 0)
	rep["as_of"] = taken.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	rep["data_age_seconds"] = math.Round(age.Seconds()*1000) / 1000
	if age > maxAge {
		return false, fmt.Sprintf("data is %.1fs old (more than %s)", age.Seconds(), maxAge)
	}
	return true, ""
}

// addSources sets data_sources: where each part of the answer came from
// and as of when (absolute times: in nodetool mode peer liveness is
// cached longer than the snapshot's own age says).
func addSources(rep map[string]any, s *node.Snapshot) {
	if len(s.Sources) == 0 {
		return
	}
	out := make([]map[string]any, len(s.Sources))
	for i, src := range s.Sources {
		m := map[string]any{"source": src.Name, "as_of": src.AsOf.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "fields": src.Fields}
		if src.Fields == nil {
			m["fields"] = []string{}
		}
		if src.Error != "" {
			m["error"] = src.Error
		}
		out[i] = m
	}
	rep["data_sources"] = out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
