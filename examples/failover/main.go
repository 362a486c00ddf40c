// Command failover is a small service that writes and reads at
// LOCAL_QUORUM through ringside's failover policy, to watch it move to the
// backup DC when the primary fails and back once the primary has healed.
// Against `ringside demo` (README, "DC failover for Go applications"):
//
//	go run ./examples/failover
//	ringside sim ctl kill 127.0.1.1 127.0.1.2   # dc1 loses quorum: it switches to dc2
//	ringside sim ctl start 127.0.1.1 127.0.1.2  # it waits downtime × factor and the hints, then switches back
//
// Each second it prints the active DC and how many writes and reads
// succeeded and failed; switches are printed as they happen, and the
// policy's Status() and metrics are served on --listen (GET /status,
// GET /metrics; POST /switchback after a repair).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ringside/ringside/failover"
)

func main() {
	hosts := flag.String("hosts", "127.0.1.1,127.0.2.1", "contact points, comma-separated")
	local := flag.String("local-dc", "dc1", "the primary DC")
	backup := flag.String("backup-dc", "dc2", "backup DCs in order, comma-separated")
	keyspace := flag.String("keyspace", "shop", "a keyspace replicated in both DCs (the demo's sample keyspace)")
	sidecars := flag.String("sidecars", "http://127.0.2.1:5000", "ringside sidecars outside the primary DC, asked whether its hints were delivered (empty: the clock rules alone)")
	factor := flag.Float64("factor", 1.5, "back for downtime × factor before switching back")
	dwell := flag.Duration("dwell", 20*time.Second, "minimum time between switches")
	hintWindow := flag.Duration("hint-window", 0, "max_hint_window (0: read it from the cluster's system_views.settings)")
	interval := flag.Duration("interval", 100*time.Millisecond, "time between a write and the next")
	listen := flag.String("listen", "127.0.0.1:8090", "serve /status (the policy's Status) and /metrics here (empty: off)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	opts := failover.Options{
		LocalDC:                    *local,
		BackupDCs:                  strings.Split(*backup, ","),
		Keyspaces:                  []string{*keyspace},
		Consistency:                gocql.LocalQuorum,
		SwitchBack:                 failover.SwitchBackSafe,
		SwitchBackDelayFactor:      *factor,
		MinimumTimeBetweenSwitches: *dwell,
		MaxHintWindow:              *hintWindow,
		HintWindowFromCluster:      *hintWindow == 0,
		Logger:                     log,
		OnSwitch: func(s failover.Switch) {
			b, _ := json.Marshal(s)
			fmt.Printf("%s  SWITCH %s\n", time.Now().Format("15:04:05"), b)
		},
	}
	if *sidecars != "" {
		opts.Hints = failover.SidecarHints(&http.Client{Timeout: 2 * time.Second}, strings.Split(*sidecars, ",")...)
	}
	p, err := failover.New(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(2)
	}
	defer p.Close()

	cc := gocql.NewCluster(strings.Split(*hosts, ",")...)
	cc.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(p)
	p.AttachTo(cc)
	cc.Consistency = gocql.LocalQuorum
	cc.Timeout = 2 * time.Second
	s, err := cc.CreateSession()
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover: connecting:", err)
		os.Exit(1)
	}
	defer s.Close()

	if *listen != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(p)
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(p.Status())
		})
		// After an outage past the hint window the policy waits for this,
		// once the DC is repaired (nodetool repair).
		mux.HandleFunc("POST /switchback", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if err := p.SwitchBack(); err != nil {
				w.WriteHeader(http.StatusConflict)
				json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
				return
			}
			json.NewEncoder(w).Encode(p.Status())
		})
		go func() {
			if err := http.ListenAndServe(*listen, mux); err != nil {
				log.Warn("status server", "err", err)
			}
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var wOK, wErr, rOK, rErr atomic.Int64
	lastErr := atomic.Pointer[string]{}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			line := fmt.Sprintf("%s  active=%s  writes ok=%d err=%d  reads ok=%d err=%d",
				time.Now().Format("15:04:05"), p.ActiveDC(), wOK.Swap(0), wErr.Swap(0), rOK.Swap(0), rErr.Swap(0))
			if e := lastErr.Swap(nil); e != nil {
				line += "  last error: " + *e
			}
			fmt.Println(line)
		}
	}()
	insert := fmt.Sprintf("INSERT INTO %s.orders (customer, placed, item, quantity) VALUES (?, now(), ?, ?)", *keyspace)
	read := fmt.Sprintf("SELECT item FROM %s.orders WHERE customer = ? LIMIT 1", *keyspace)
	for ctx.Err() == nil {
		if err := s.Query(insert, "failover-example", "probe", 1).WithContext(ctx).Exec(); err != nil {
			wErr.Add(1)
			msg := err.Error()
			lastErr.Store(&msg)
		} else {
			wOK.Add(1)
		}
		var item string
		if err := s.Query(read, "failover-example").WithContext(ctx).Scan(&item); err != nil {
			rErr.Add(1)
			msg := err.Error()
			lastErr.Store(&msg)
		} else {
			rOK.Add(1)
		}
		select {
		case <-ctx.Done():
		case <-time.After(*interval):
		}
	}
}
