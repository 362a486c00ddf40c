#!/bin/sh
# Stops and starts one node of `ringside demo` N times through the sidecar
# (POST /v1/desires/node/{stop,start}?block) and prints, per transition, the
# total time and how it splits into steps. The baseline in the same run is
# the sum of the steps' own durations (grace, drain, commands, waits):
# ringside's overhead is what the total adds to it.
# Usage: scripts/bench-lifecycle.sh [N]   (needs go, curl, python3)
set -eu
N=${1:-5}
cd "$(dirname "$0")/.."
go build -o /tmp/ringside-bench ./cmd/ringside
/tmp/ringside-bench demo --address-base 127.0.9.1 --control 127.0.0.1:8649 >/tmp/ringside-bench-demo.log 2>&1 &
DEMO=$!
trap 'kill $DEMO 2>/dev/null; wait $DEMO 2>/dev/null' EXIT
URL=http://127.0.9.1:5000
for i in $(seq 50); do curl -sf $URL/v1/desires/node/status >/dev/null && break; sleep 0.2; done
for i in $(seq "$N"); do
  curl -s -XPOST "$URL/v1/desires/node/stop?block"
  echo
  curl -s -XPOST "$URL/v1/desires/node/start?block"
  echo
done | python3 -c '
import sys, json
from datetime import datetime
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")[:26] + "+00:00")
rows = {"stop": [], "start": []}
for line in sys.stdin:
    if not line.strip(): continue
    r = json.loads(line)
    assert r["outcome"] == "succeeded", r
    total = r.get("time_to_stop_in_s", r.get("time_to_start_in_s"))
    steps = {s["step"]: (t(s["finished"]) - t(s["started"])).total_seconds() for s in r["steps"]}
    rows[r["type"]].append((total, steps))
for kind, rs in rows.items():
    n = len(rs)
    tot = sum(r[0] for r in rs) / n
    names = list(rs[0][1])
    per = {k: sum(r[1][k] for r in rs) / n for k in names}
    over = tot - sum(per.values())
    print(f"{kind} x{n}: mean time_to_{kind}_in_s {tot:.3f}; steps " + ", ".join(f"{k} {v:.3f}" for k, v in per.items()) + f"; overhead beyond the steps {over*1000:.1f} ms")
'
