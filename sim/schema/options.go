package schema

import (
	"math/big"
	"sort"
	"strconv"

	"github.com/ringside/ringside/sim/cqltype"
)

// Table options as Cassandra 4.1 writes them into system_schema.tables.
//
// The keys are exactly the system_schema.tables columns other than
// keyspace_name, table_name and id (see SchemaKeyspace.java, table "tables",
// and addTableParamsToRowBuilder). Values use the cqltype Go representation:
// text string, double float64, int int32, boolean bool, frozen<map<text, text>>
// and frozen<map<text, blob>> []cqltype.Pair sorted by key, frozen<set<text>>
// []any sorted. A nil value is a null cell.
//
// Defaults come from schema/TableParams.java (Builder defaults),
// CachingParams.DEFAULT, CompactionParams.DEFAULT (SizeTieredCompactionStrategy
// with the min/max thresholds CompactionParams.create adds for strategies
// that support them), CompressionParams.DEFAULT (LZ4Compressor, 16 KiB chunks
// since 4.0; min_compress_ratio is only listed when not the default) and
// SchemaKeyspace.addTableParamsToRowBuilder:
//
//   - dclocal_read_repair_chance and read_repair_chance still exist as columns
//     in 4.x and are always written as 0.0 ("no longer used, left for
//     drivers' sake");
//   - cdc is only written when cdc_enabled is true in cassandra.yaml (false by
//     default), so it is null;
//   - memtable is only written when the table uses a non-default memtable
//     configuration, so it is null.

// Compaction, compression and caching class names and option values.
const (
	STCSClass = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"
	LCSClass  = "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"
	TWCSClass = "org.apache.cassandra.db.compaction.TimeWindowCompactionStrategy"
	LZ4Class  = "org.apache.cassandra.io.compress.LZ4Compressor"
)

// Default values of TableParams in Cassandra 4.1.
const (
	DefaultGCGraceSeconds   = 864000 // 10 days
	DefaultMinIndexInterval = 128
	DefaultMaxIndexInterval = 2048
	DefaultCRCCheckChance   = 1.0
	DefaultSpeculativeRetry = "99p"
	DefaultReadRepair       = "BLOCKING"
)

// tableParams holds the TableParams values that differ between tables.
type tableParams struct {
	comment         string
	bloomFPChance   float64 // 0: the compaction strategy's default
	compactionClass string  // "": STCS
	compactionOpts  map[string]string
	gcGraceSeconds  int32
	defaultTTL      int32
	memtableFlushMS int32
	counter         bool
}

func defaultParams() tableParams {
	return tableParams{gcGraceSeconds: DefaultGCGraceSeconds}
}

// stringMap converts a map to the sorted []cqltype.Pair form.
func stringMap(m map[string]string) []cqltype.Pair {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]cqltype.Pair, 0, len(keys))
	for _, k := range keys {
		out = append(out, cqltype.Pair{Key: k, Value: m[k]})
	}
	return out
}

// compactionMap is CompactionParams.asMap(): the options, the class, and
// min_threshold/max_threshold added when absent (CompactionParams.create,
// for STCS, LCS and TWCS, which all accept the threshold options).
func compactionMap(class string, opts map[string]string) []cqltype.Pair {
	m := map[string]string{
		"min_threshold": "4",
		"max_threshold": "32",
	}
	for k, v := range opts {
		m[k] = v
	}
	m["class"] = class
	return stringMap(m)
}

func (p tableParams) options() map[string]any {
	class := p.compactionClass
	if class == "" {
		class = STCSClass
	}
	bloom := p.bloomFPChance
	if bloom == 0 {
		// CompactionParams.defaultBloomFilterFbChance
		if class == LCSClass {
			bloom = 0.1
		} else {
			bloom = 0.01
		}
	}
	flags := []any{"compound"}
	if p.counter {
		flags = append(flags, "counter")
	}
	return map[string]any{
		"additional_write_policy": DefaultSpeculativeRetry,
		"bloom_filter_fp_chance":  bloom,
		"caching": stringMap(map[string]string{
			"keys":               "ALL",
			"rows_per_partition": "NONE",
		}),
		"cdc":        nil,
		"comment":    p.comment,
		"compaction": compactionMap(class, p.compactionOpts),
		"compression": stringMap(map[string]string{
			"chunk_length_in_kb": strconv.Itoa(16),
			"class":              LZ4Class,
		}),
		"crc_check_chance":            DefaultCRCCheckChance,
		"dclocal_read_repair_chance":  0.0,
		"default_time_to_live":        p.defaultTTL,
		"extensions":                  []cqltype.Pair{},
		"flags":                       flags,
		"gc_grace_seconds":            p.gcGraceSeconds,
		"max_index_interval":          int32(DefaultMaxIndexInterval),
		"memtable":                    nil,
		"memtable_flush_period_in_ms": p.memtableFlushMS,
		"min_index_interval":          int32(DefaultMinIndexInterval),
		"read_repair":                 DefaultReadRepair,
		"read_repair_chance":          0.0,
		"speculative_retry":           DefaultSpeculativeRetry,
	}
}

// DefaultTableOptions returns a fresh copy of the system_schema.tables
// values (every column but keyspace_name, table_name and id) of a user table
// created in Cassandra 4.1 with no WITH options: flags {'compound'},
// an empty comment, SizeTieredCompactionStrategy, LZ4 compression with 16 KiB
// chunks, gc_grace_seconds 864000, speculative_retry and
// additional_write_policy '99p', read_repair 'BLOCKING', cdc and memtable null.
func DefaultTableOptions() map[string]any {
	return defaultParams().options()
}

// cloneValue deep-copies a cqltype Go value.
func cloneValue(v any) any {
	switch x := v.(type) {
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	case []cqltype.Pair:
		if x == nil {
			return x
		}
		out := make([]cqltype.Pair, len(x))
		for i, e := range x {
			out[i] = cqltype.Pair{Key: cloneValue(e.Key), Value: cloneValue(e.Value)}
		}
		return out
	case []byte:
		if x == nil {
			return x
		}
		return append([]byte{}, x...)
	case *big.Int:
		if x == nil {
			return x
		}
		return new(big.Int).Set(x)
	case cqltype.Decimal:
		if x.Unscaled != nil {
			x.Unscaled = new(big.Int).Set(x.Unscaled)
		}
		return x
	default:
		return v
	}
}

func cloneOptions(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}
