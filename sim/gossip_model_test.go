package sim

import (
	"math"
	"strings"
	"testing"
	"time"
)

// arrivalWindow is a line-by-line port of 4.1's gms/FailureDetector.java
// ArrivalWindow and ArrayBackedBoundedStats, to check the closed form.
type arrivalWindow struct {
	intervals   []int64
	sum         int64
	index       int
	filled      bool
	tLast       int64
	maxInterval int64
}

func (w *arrivalWindow) addInterval(v int64) {
	if w.index == len(w.intervals) {
		w.filled, w.index = true, 0
	}
	if w.filled {
		w.sum -= w.intervals[w.index]
	}
	w.intervals[w.index] = v
	w.index++
	w.sum += v
}

func (w *arrivalWindow) mean() float64 {
	n := w.index
	if w.filled {
		n = len(w.intervals)
	}
	return float64(w.sum) / float64(n)
}

func (w *arrivalWindow) add(now int64) {
	if w.tLast > 0 {
		if d := now - w.tLast; d <= w.maxInterval {
			w.addInterval(d)
		}
	} else {
		w.addInterval(w.maxInterval) // INITIAL_VALUE_NANOS (= the max interval by default)
	}
	w.tLast = now
}

func TestWindowMeanIsArrivalWindow(t *testing.T) {
	const iv = int64(time.Second)
	for _, m := range []int64{iv, iv * 102 / 100} {
		w := &arrivalWindow{intervals: make([]int64, fdSampleSize), maxInterval: fdInitial * iv}
		for n := 1; n <= 2500; n++ {
			w.add(int64(n) * m)
			if got, want := windowMean(float64(iv), float64(m), n), w.mean(); math.Abs(got-want) > 1e-6*want {
				t.Fatalf("m %d, %d reports: closed form %f, ArrivalWindow %f", m, n, got, want)
			}
		}
	}
	// A gap longer than INITIAL_VALUE (a partition) leaves the mean alone.
	w := &arrivalWindow{intervals: make([]int64, fdSampleSize), maxInterval: fdInitial * iv}
	for n := 1; n <= 10; n++ {
		w.add(int64(n) * iv)
	}
	before := w.mean()
	w.add(60 * iv)
	if w.mean() != before {
		t.Fatalf("a 50 s gap moved the mean from %f to %f", before, w.mean())
	}
}

// TestConvictionDelays: at the real profile's 1 s rounds a killed node is
// convicted 17.4–20.2 s after it went silent (18.6–18.9 s on a real
// cluster), never before phi_convict_threshold·ln(10) intervals less the
// one between the last heartbeat and the kill; twice the threshold takes
// twice as long; an observer that has just started, with the large
// INITIAL_VALUE still in its window, takes longer.
func TestConvictionDelays(t *testing.T) {
	delays := func(phi float64, fresh time.Duration) (lo, hi, mean float64) {
		cfg := DefaultConfig()
		cfg.ApplyTiming("real")
		cfg.PhiConvictThreshold = phi
		cfg.DCs = []DCConfig{{Name: "dc1", Racks: []string{"r1"}, NodesPerRack: 20}}
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi = math.Inf(1), 0
		k := 0
		s0 := time.Unix(1_800_000_000, 0)
		for _, i := range c.nodes {
			for _, j := range c.nodes {
				if i == j {
					continue
				}
				for e := 0; e < 20; e++ {
					s := s0.Add(time.Duration(e) * 7919 * time.Millisecond)
					i.fdSince = time.Time{}
					if fresh > 0 {
						i.fdSince = s.Add(-fresh)
					}
					d := c.convictAt(i, j, s).Sub(s).Seconds()
					lo, hi, mean = min(lo, d), max(hi, d), mean+d
					k++
				}
			}
		}
		return lo, hi, mean / float64(k)
	}
	lo, hi, mean := delays(8, 0)
	t.Logf("phi 8, 1 s rounds: convicted %.2f–%.2f s after the kill, %.2f s on average", lo, hi, mean)
	if lo < 8*math.Ln10-1.04 || hi > 8*math.Ln10*1.04+1 || mean < 18.5 || mean > 19.1 {
		t.Errorf("phi 8: delays %.2f–%.2f s, mean %.2f s", lo, hi, mean)
	}
	lo16, _, mean16 := delays(16, 0)
	if lo16 < 16*math.Ln10-1.04 || math.Abs(mean16-2*mean) > 1.5 {
		t.Errorf("phi 16: from %.2f s, mean %.2f s (phi 8: %.2f s)", lo16, mean16, mean)
	}
	// Started 3 s before the kill: about 3 reports, INITIAL_VALUE among them.
	_, _, meanFresh := delays(8, 3*time.Second)
	if meanFresh < mean+3 {
		t.Errorf("fresh observer: mean %.2f s, settled %.2f s", meanFresh, mean)
	}
}

func TestGossipConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.PhiConvictThreshold = -1 }, "phi_convict_threshold (--phi-convict-threshold) must be between 5 and 16, but was -1.0"},
		{func(c *Config) { c.PhiConvictThreshold = 4.9 }, "but was 4.9"},
		{func(c *Config) { c.PhiConvictThreshold = 17 }, "but was 17.0"},
		{func(c *Config) { c.PhiConvictThreshold = math.NaN() }, "but was NaN"},
		{func(c *Config) { c.GossipInterval = 0 }, "gossip_interval (--gossip-interval) must be positive and at most 1m, not 0s"},
		{func(c *Config) { c.GossipInterval = -time.Second }, "not -1s"},
		{func(c *Config) { c.GossipInterval = 2 * time.Minute }, "not 2m0s"},
		{func(c *Config) { c.FailureDetection = -time.Second }, "failure_detection (--failure-detection) must be positive"},
		{func(c *Config) { c.Timing = "glacial" }, `timing must be fast or real, not "glacial"`},
	} {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("New accepted what Validate refuses (%s)", tc.want)
		}
	}
	// failure_detection given sets the interval; New reports the bound it
	// gives, which gives the same interval again.
	cfg := DefaultConfig()
	cfg.FailureDetection = 2 * time.Second
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	if d := got.FailureDetection - 2*time.Second; d < -time.Millisecond || d > time.Millisecond || got.GossipInterval < 90*time.Millisecond || got.GossipInterval > 110*time.Millisecond {
		t.Errorf("failure_detection 2s: interval %s, bound %s", got.GossipInterval, got.FailureDetection)
	}
	if c2, err := New(got, nil); err != nil || (c2.Config().GossipInterval-got.GossipInterval).Abs() > time.Microsecond {
		t.Errorf("config round trip: %v", err)
	}
}
