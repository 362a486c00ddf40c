package bulk

import (
	"context"
	"fmt"
	"strconv"
)

// setcompactionthroughput and getcompactionthroughput: in 4.1 nodetool's
// SetCompactionThroughput calls NodeProbe.setCompactionThroughput →
// StorageServiceMBean.setCompactionThroughputMbPerSec(int), and
// GetCompactionThroughput prints NodeProbe.getCompactionThroughput() →
// getCompactionThroughputMbPerSec() as "Current compaction throughput: N
// MB/s" (testdata/cassandra-4.1.6/nodetool.txt). Through Jolokia that
// getter/setter pair is the read-write int attribute
// CompactionThroughputMbPerSec (testdata/cassandra-4.1.6/jolokia/
// list_storageservice.json; exec of get…/set… fails: compaction_throughput.json).
func init() {
	register(Command{
		Name: "setcompactionthroughput",
		Help: "Set the compaction throughput cap, as `nodetool setcompactionthroughput <rate_in_mb>`: " +
			"writes StorageService attribute CompactionThroughputMbPerSec.",
		Params: []Param{{
			Name: "rate_in_mb", Type: TypeInt, Required: true,
			// Integer.MAX_VALUE itself is refused by 4.1's
			// DatabaseDescriptor (SetGetCompactionThroughputTest.testMaxValue).
			Min: Int64(0), Max: Int64(maxJavaInt - 1),
			Help: "MiB/s; 0 disables throttling",
		}},
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			rate, _ := p.Int("rate_in_mb")
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			if j == nil {
				if _, err := nt.Run(ctx, "setcompactionthroughput", strconv.FormatInt(rate, 10)); err != nil {
					return nil, err
				}
				return Throughput{RateInMB: rate}, nil
			}
			// A Jolokia write answers the previous value.
			old, err := j.Write(ctx, storageService, "CompactionThroughputMbPerSec", rate)
			if err != nil {
				return nil, fmt.Errorf("writing StorageService CompactionThroughputMbPerSec: %w", err)
			}
			t := Throughput{RateInMB: rate}
			if o, err := toInt64(old); err == nil {
				t.Previous = &o
			}
			return t, nil
		},
	})
	register(Command{
		Name: "getcompactionthroughput",
		Help: "Read the compaction throughput cap, as `nodetool getcompactionthroughput`: " +
			"reads StorageService attribute CompactionThroughputMbPerSec.",
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			j, nt, err := access(n)
			if err != nil {
				return nil, err
			}
			var rate int64
			if j == nil {
				r, err := nt.GetCompactionThroughput(ctx)
				if err != nil {
					return nil, err
				}
				rate = int64(r)
			} else {
				v, err := readStorageService(ctx, j, "CompactionThroughputMbPerSec")
				if err != nil {
					return nil, err
				}
				if rate, err = toInt64(v); err != nil {
					return nil, fmt.Errorf("StorageService CompactionThroughputMbPerSec: %w", err)
				}
			}
			return Throughput{RateInMB: rate, Output: fmt.Sprintf("Current compaction throughput: %d MB/s", rate)}, nil
		},
	})
}

// Throughput is the value of setcompactionthroughput and getcompactionthroughput.
type Throughput struct {
	RateInMB int64 `json:"rate_in_mb"`
	// Previous is the value before a set (Jolokia only).
	Previous *int64 `json:"previous_rate_in_mb,omitempty"`
	// Output is what `nodetool getcompactionthroughput` prints.
	Output string `json:"output,omitempty"`
}
