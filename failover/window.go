package failover

import "time"

// errBuckets splits the error-rate window: the window slides by a tenth,
// so a verdict covers between 9/10 of the window and all of it.
const errBuckets = 10

// errorWindow counts requests and failures over a sliding window, in
// buckets keyed by time. It takes the time with every call (no clock).
type errorWindow struct {
	width     int64 // bucket width, ns
	b         [errBuckets]errBucket
	req, fail int // over the live buckets
}

type errBucket struct {
	idx       int64 // time / width
	req, fail int
}

func (w *errorWindow) init(window time.Duration) {
	w.width = int64(window) / errBuckets
	if w.width <= 0 {
		w.width = 1
	}
}

func (w *errorWindow) index(now time.Time) int64 {
	return now.UnixNano() / w.width
}

func slot(idx int64) int {
	return int(((idx % errBuckets) + errBuckets) % errBuckets)
}

// expire drops the buckets older than the window.
func (w *errorWindow) expire(now time.Time) {
	if w.req == 0 {
		return
	}
	cur := w.index(now)
	for i := range w.b {
		if b := &w.b[i]; b.req > 0 && b.idx <= cur-errBuckets {
			w.req -= b.req
			w.fail -= b.fail
			*b = errBucket{}
		}
	}
}

func (w *errorWindow) add(now time.Time, failed bool) {
	w.expire(now)
	cur := w.index(now)
	b := &w.b[slot(cur)]
	if b.idx != cur {
		w.req -= b.req
		w.fail -= b.fail
		*b = errBucket{idx: cur}
	}
	b.req++
	w.req++
	if failed {
		b.fail++
		w.fail++
	}
}

func (w *errorWindow) sum() (req, fail int) { return w.req, w.fail }

// nextExpiry is when the oldest bucket with data leaves the window.
func (w *errorWindow) nextExpiry() time.Time {
	if w.req == 0 {
		return time.Time{}
	}
	oldest := int64(-1)
	for _, b := range w.b {
		if b.req > 0 && (oldest < 0 || b.idx < oldest) {
			oldest = b.idx
		}
	}
	return time.Unix(0, (oldest+errBuckets)*w.width)
}
