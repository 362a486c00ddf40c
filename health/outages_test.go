package health

import (
	"testing"
	"time"
)

func TestOutages(t *testing.T) {
	o := NewOutages()
	eps := []string{"a:7000", "b:7000"}
	downSet := map[string]bool{}
	down := func(ep string) bool { return downSet[ep] }
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	if h := o.History(); !h.Since.IsZero() || len(h.Endpoints) != 0 {
		t.Fatalf("empty: %+v", h)
	}
	o.Observe(at(0), eps, down, true)
	downSet["b:7000"] = true
	o.Observe(at(10), eps, down, true)
	o.Observe(at(20), eps, down, true)
	h := o.History()
	b := h.Endpoints["b:7000"]
	if !h.Since.Equal(at(0)) || !b.Down || !b.DownSince.Equal(at(10)) || b.Outages != 0 {
		t.Fatalf("b down: %+v", b)
	}
	delete(downSet, "b:7000")
	o.Observe(at(25), eps, down, true)
	b = o.History().Endpoints["b:7000"]
	if b.Down || !b.UpSince.Equal(at(25)) || b.Longest != 15*time.Second || !b.LastFrom.Equal(at(10)) || !b.LastTo.Equal(at(25)) || b.Outages != 1 {
		t.Fatalf("b back: %+v", b)
	}
	if a := o.History().Endpoints["a:7000"]; a.Down || !a.UpSince.Equal(at(0)) || a.Longest != 0 {
		t.Fatalf("a: %+v", a)
	}
	// A shorter outage later keeps the longest one.
	downSet["b:7000"] = true
	o.Observe(at(30), eps, down, true)
	delete(downSet, "b:7000")
	o.Observe(at(32), eps, down, true)
	b = o.History().Endpoints["b:7000"]
	if b.Longest != 15*time.Second || !b.LongFrom.Equal(at(10)) || b.Outages != 2 || !b.LastFrom.Equal(at(30)) || !b.UpSince.Equal(at(32)) {
		t.Fatalf("b twice: %+v", b)
	}

	// A gap: b goes down before it, comes back after it; the outage spans the gap.
	downSet["b:7000"] = true
	o.Observe(at(40), eps, down, true)
	o.Observe(at(45), eps, down, false)
	o.Observe(at(50), eps, down, false)
	if h := o.History(); !h.Blind || !h.BlindAt.Equal(at(45)) {
		t.Fatalf("blind: %+v", h)
	}
	delete(downSet, "b:7000")
	o.Observe(at(100), eps, down, true)
	h = o.History()
	b, a := h.Endpoints["b:7000"], h.Endpoints["a:7000"]
	if h.Blind || !h.Since.Equal(at(100)) || h.LastGap != (Gap{From: at(45), To: at(100)}) {
		t.Fatalf("after the gap: %+v", h)
	}
	if b.Longest != 60*time.Second || !b.UpSince.Equal(at(100)) {
		t.Errorf("b across the gap: %+v", b)
	}
	// a was up before and after: up only since the view came back.
	if !a.UpSince.Equal(at(100)) {
		t.Errorf("a after the gap: %+v", a)
	}
	// An endpoint first seen later is up since it was first seen (at least the stretch's start).
	o.Observe(at(110), append(eps, "c:7000"), down, true)
	if c := o.History().Endpoints["c:7000"]; !c.Known || !c.UpSince.Equal(at(100)) {
		t.Errorf("c: %+v", c)
	}
}

func TestOutagesFromSnapshots(t *testing.T) {
	c := loadCapture(t)
	o := NewOutages()
	s := c.snapshotFrom(t, "127.0.0.1:7000")
	o.ObserveSnapshot(s)
	s = c.snapshotFrom(t, "127.0.0.1:7000", "127.0.0.3:7000")
	s.Taken = t0.Add(time.Minute)
	o.ObserveSnapshot(s)
	// Listed in neither live nor unreachable: down too.
	s = c.snapshotFrom(t, "127.0.0.1:7000")
	s.Taken = t0.Add(2 * time.Minute)
	s.LiveEndpoints = []string{"127.0.0.1:7000", "127.0.0.3:7000"}
	o.ObserveSnapshot(s)
	h := o.History()
	if e := h.Endpoints["127.0.0.3:7000"]; e.Down || e.Longest != time.Minute {
		t.Errorf("127.0.0.3: %+v", e)
	}
	if e := h.Endpoints["127.0.0.2:7000"]; !e.Down || !e.DownSince.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("127.0.0.2: %+v", e)
	}
	// A snapshot of a stopped node is no view.
	s = c.snapshotFrom(t, "127.0.0.1:7000")
	s.Taken, s.CassandraRunning, s.LiveEndpoints = t0.Add(3*time.Minute), false, nil
	o.ObserveSnapshot(s)
	if h := o.History(); !h.Blind {
		t.Errorf("no view: %+v", h)
	}
}
