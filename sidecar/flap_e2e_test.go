package sidecar_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ringside/ringside/sim"
)

// flapProbe polls one sidecar's coordinator check and keeps every answer
// that is not 200.
type flapProbe struct {
	mu    sync.Mutex
	polls int
	bad   []flapAnswer
	// sawDown counts 200 answers that listed watch in dead_peers: the
	// probe saw the restarts through the sidecar itself.
	watch   string
	sawDown int
}

type flapAnswer struct {
	at   time.Time
	code int // 0: no HTTP answer
	body string
}

// String shows the fields of a coordinator answer that say why it failed.
func (a flapAnswer) String() string {
	var m map[string]any
	why := a.body
	if json.Unmarshal([]byte(a.body), &m) == nil {
		keep := map[string]any{}
		for _, k := range []string{"reasons", "errors", "dead_peers"} {
			if v, ok := m[k]; ok {
				keep[k] = v
			}
		}
		b, _ := json.Marshal(keep)
		why = string(b)
	}
	return fmt.Sprintf("%s %d %s", a.at.UTC().Format("15:04:05.000"), a.code, why)
}

func (p *flapProbe) run(ctx context.Context, url string, every time.Duration) {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		code, body := 0, ""
		resp, err := client.Get(url)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			body = err.Error()
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
		}
		p.mu.Lock()
		p.polls++
		if code != http.StatusOK {
			p.bad = append(p.bad, flapAnswer{time.Now(), code, body})
		} else {
			var m map[string]any
			if json.Unmarshal([]byte(body), &m) == nil && slices.Contains(strs(m["dead_peers"]), p.watch) {
				p.sawDown++
			}
		}
		p.mu.Unlock()
	}
}

// A peer's restart must never fail a healthy node's coordinator check:
// restart gating and load balancers rely on it. A peer's STATUS_CHANGE UP
// used to make gocql refresh its ring and drop the sidecar session's only
// host from the pool ("no hosts available in the pool"), so node 0 answered
// 503 for a refresh or two after each restart of node 1.
func TestPeerRestartDoesNotFlapCoordinatorHealth(t *testing.T) {
	d := startDemo(t, "dc1:3x1", nil)
	healthy, peer := d.Sidecars[0], d.Sidecars[1].Node
	url := healthy.URL + "/v1/health/coordinator"
	eventually(t, url, func(code int, m map[string]any) bool { return code == 200 && len(strs(m["alive_peers"])) == 3 })

	ctl := &sim.Control{Addr: d.Cluster.Config().ControlAddr}
	nodePath := "/v1/nodes/" + peer.Addr.String()
	views := func(t *testing.T) []sim.NodeStatus {
		var st []sim.NodeStatus
		if err := ctl.Do("GET", "/v1/nodes", nil, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitView := func(t *testing.T, what string, cond func([]sim.NodeStatus) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond(views(t)) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never held: %+v", what, views(t))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	healthySeesDown := func(st []sim.NodeStatus) bool {
		i := slices.IndexFunc(st, func(s sim.NodeStatus) bool { return s.Address == healthy.Node.Addr.String() })
		return i >= 0 && slices.Contains(st[i].Down, peer.Endpoint())
	}
	// UN in every live node's view: running, NORMAL, native transport up,
	// and no running node lists it down.
	peerUN := func(st []sim.NodeStatus) bool {
		for _, s := range st {
			if s.Address == peer.Addr.String() && (s.State != sim.StateRunning || s.OperationMode != "NORMAL" || !s.NativeTransport) {
				return false
			}
			if s.State == sim.StateRunning && slices.Contains(s.Down, peer.Endpoint()) {
				return false
			}
		}
		return true
	}

	ctx, cancel := context.WithCancel(context.Background())
	probe := &flapProbe{watch: peer.Endpoint()}
	done := make(chan struct{})
	go func() { defer close(done); probe.run(ctx, url, 50*time.Millisecond) }()

	const restarts = 20
	for i := range restarts {
		op := "kill"
		if i%2 == 1 {
			op = "stop" // graceful: drain, announce shutdown, exit
		}
		if err := ctl.Do("POST", nodePath+"/"+op, nil, nil); err != nil {
			t.Fatalf("restart %d: %s: %v", i, op, err)
		}
		waitView(t, "node 0 sees the peer down", healthySeesDown)
		if err := ctl.Do("POST", nodePath+"/start?wait=true", nil, nil); err != nil {
			t.Fatalf("restart %d: start: %v", i, err)
		}
		waitView(t, "the peer is UN everywhere", peerUN)
		// gocql applies node events 1 s after the last one arrived:
		// back-to-back restarts would merge into one; let each land.
		time.Sleep(1100 * time.Millisecond)
	}
	// gocql debounces events for 1 s and ring refreshes for another 1 s:
	// keep polling long enough for the last restart's refresh to land.
	time.Sleep(3 * time.Second)
	cancel()
	<-done

	probe.mu.Lock()
	defer probe.mu.Unlock()
	t.Logf("%d restarts of %s, %d polls of %s (%d healthy ones listing it dead), %d not 200",
		restarts, peer.Addr, probe.polls, url, probe.sawDown, len(probe.bad))
	if probe.sawDown == 0 {
		t.Error("no answer ever listed the restarted peer in dead_peers: the probe did not see the restarts")
	}
	for i, b := range probe.bad {
		if i == 10 {
			t.Errorf("… and %d more", len(probe.bad)-10)
			break
		}
		t.Errorf("non-200: %s", b)
	}
}
