package bulk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// flush and cleanup take nodetool's [<keyspace> <tables>...] arguments.
var (
	keyspaceParam = Param{Name: "keyspace", Type: TypeString, Help: "one keyspace; absent: every keyspace, as nodetool chooses them"}
	tablesParam   = Param{Name: "tables", Type: TypeStrings, Help: "tables of that keyspace; absent: all of them"}
)

// tablesNeedKeyspace: nodetool's tables follow a keyspace argument.
func tablesNeedKeyspace(p Params) error {
	if len(p.Strings("tables")) > 0 && p.String("keyspace") == "" {
		return &ParamError{Problems: map[string]string{"tables": "needs keyspace (as in nodetool <command> <keyspace> <tables>...)"}}
	}
	return nil
}

// nodetoolArgs: cmd [opts…] [keyspace [tables…]].
func nodetoolArgs(cmd string, p Params, opts ...string) []string {
	args := append([]string{cmd}, opts...)
	if ks := p.String("keyspace"); ks != "" {
		args = append(append(args, ks), p.Strings("tables")...)
	}
	return args
}

// KeyspacesResult is the value of flush and cleanup.
type KeyspacesResult struct {
	// Keyspaces done (unknown when nodetool chose them).
	Keyspaces []string `json:"keyspaces,omitempty"`
	// Skipped keyspaces: the local system ones cleanup leaves alone.
	Skipped []string `json:"skipped,omitempty"`
}

// flush: nodetool Flush.java (4.1) calls parseOptionalKeyspace(args,
// probe) — KeyspaceSet.ALL, i.e. StorageServiceMBean.getKeyspaces(), system
// keyspaces included — then NodeProbe.forceKeyspaceFlush(keyspace,
// tables) → StorageServiceMBean.forceKeyspaceFlush(String, String...) for
// each, stopping at the first failure. Through Jolokia: attribute
// Keyspaces, operation forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)
// (list_storageservice.json; the varargs is an array argument:
// jolokia/exec_forceKeyspaceFlush.json).
func init() {
	register(Command{
		Name: "flush",
		Help: "Flush memtables to SSTables, as `nodetool flush [<keyspace> <tables>...]`: " +
			"StorageService forceKeyspaceFlush per keyspace (all keyspaces, system ones included, when none is given).",
		Params:   []Param{keyspaceParam, tablesParam},
		Long:     true,
		Validate: tablesNeedKeyspace,
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			if j == nil {
				if _, err := untimed(nt).Run(ctx, nodetoolArgs("flush", p)...); err != nil {
					return nil, err
				}
				return KeyspacesResult{Keyspaces: optional(p.String("keyspace"))}, nil
			}
			kss, err := keyspaces(ctx, j, p, "Keyspaces")
			if err != nil {
				return nil, err
			}
			tables := p.Strings("tables")
			if tables == nil {
				tables = []string{} // the String... argument must be [], not null
			}
			for i, ks := range kss {
				if _, err := j.Exec(ctx, storageService, "forceKeyspaceFlush(java.lang.String,[Ljava.lang.String;)", ks, tables); err != nil {
					return nil, fmt.Errorf("flushing keyspace %s%s: %w", ks, doneSoFar(kss[:i]), err)
				}
			}
			return KeyspacesResult{Keyspaces: kss}, nil
		},
	})

	// cleanup: nodetool Cleanup.java (4.1) takes -j/--jobs (default 2,
	// "0 to use all available compaction threads"), chooses the keyspaces
	// with parseOptionalKeyspace(args, probe, KeyspaceSet.NON_LOCAL_STRATEGY)
	// — StorageServiceMBean.getNonLocalStrategyKeyspaces() — skips
	// SchemaConstants.isLocalSystemKeyspace ones (system, system_schema
	// and the virtual system_views, system_virtual_schema) and calls
	// NodeProbe.forceKeyspaceCleanup(out, jobs, keyspace, tables) →
	// StorageServiceMBean.forceKeyspaceCleanup(int, String, String...),
	// whose int result is CompactionManager.AllSSTableOpStatus: 1 and 2
	// mark the run failed and the next keyspace is still cleaned. The
	// operation is overloaded, so Jolokia needs its signature
	// (list_storageservice.json, jolokia/exec_overloaded_signature.json).
	register(Command{
		Name: "cleanup",
		Help: "Remove data the node no longer owns, as `nodetool cleanup [-j jobs] [<keyspace> <tables>...]`: " +
			"StorageService forceKeyspaceCleanup(int,String,String[]) per non-LocalStrategy keyspace.",
		Params: []Param{keyspaceParam, tablesParam, {
			Name: "jobs", Type: TypeInt, Default: int64(2), Min: Int64(0), Max: Int64(maxJavaInt),
			Help: "SSTables cleaned at once; 0: all compaction threads (nodetool's default is 2)",
		}},
		Long:     true,
		Validate: tablesNeedKeyspace,
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			jobs, _ := p.Int("jobs")
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			if j == nil {
				var opts []string
				if jobs != 2 { // nodetool's default: leave the command line as an operator types it
					opts = []string{"-j", strconv.FormatInt(jobs, 10)}
				}
				if _, err := untimed(nt).Run(ctx, nodetoolArgs("cleanup", p, opts...)...); err != nil {
					return nil, err
				}
				return KeyspacesResult{Keyspaces: optional(p.String("keyspace"))}, nil
			}
			kss, err := keyspaces(ctx, j, p, "NonLocalStrategyKeyspaces")
			if err != nil {
				return nil, err
			}
			tables := p.Strings("tables")
			if tables == nil {
				tables = []string{}
			}
			var res KeyspacesResult
			var failed []string
			for _, ks := range kss {
				if isLocalSystemKeyspace(ks) {
					res.Skipped = append(res.Skipped, ks)
					continue
				}
				v, err := j.Exec(ctx, storageService, "forceKeyspaceCleanup(int,java.lang.String,[Ljava.lang.String;)", jobs, ks, tables)
				if err != nil {
					return nil, fmt.Errorf("cleanup of keyspace %s%s: %w", ks, doneSoFar(res.Keyspaces), err)
				}
				// NodeProbe.forceKeyspaceCleanup's messages for the statuses.
				switch status, _ := toInt64(v); status {
				case 0:
					res.Keyspaces = append(res.Keyspaces, ks)
				case 1:
					failed = append(failed, "Aborted cleaning up at least one table in keyspace "+ks+", check server logs for more information.")
				case 2:
					failed = append(failed, "Failed marking some sstables compacting in keyspace "+ks+", check server logs for more information")
				default:
					failed = append(failed, fmt.Sprintf("cleanup of keyspace %s: status %v", ks, v))
				}
			}
			if len(failed) > 0 {
				return nil, fmt.Errorf("%s%s", strings.Join(failed, " "), doneSoFar(res.Keyspaces))
			}
			return res, nil
		},
	})
}

// keyspaces: the one the caller named, else the StorageService attribute
// listing the keyspaces nodetool would choose.
func keyspaces(ctx context.Context, j JMX, p Params, attr string) ([]string, error) {
	if ks := p.String("keyspace"); ks != "" {
		return []string{ks}, nil
	}
	v, err := readStorageService(ctx, j, attr)
	if err != nil {
		return nil, err
	}
	kss, err := toStrings(v)
	if err != nil {
		return nil, fmt.Errorf("StorageService %s: %w", attr, err)
	}
	return kss, nil
}

// isLocalSystemKeyspace is 4.1's SchemaConstants.isLocalSystemKeyspace:
// LOCAL_SYSTEM_KEYSPACE_NAMES or a virtual system keyspace.
func isLocalSystemKeyspace(ks string) bool {
	switch strings.ToLower(ks) {
	case "system", "system_schema", "system_views", "system_virtual_schema":
		return true
	}
	return false
}

func optional(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func doneSoFar(done []string) string {
	if len(done) == 0 {
		return ""
	}
	return " (done before: " + strings.Join(done, ", ") + ")"
}
