#!/usr/bin/env bash
# CPU cost of `ringside serve` without a Jolokia agent (nodetool mode)
# against Jolokia mode: CPU-seconds per minute of ringside and all its
# children (the nodetool runs), from /proc/<pid>/stat utime+stime+cutime+
# cstime, and the nodetool runs per minute (counted by a wrapper around the
# configured nodetool).
#
#   scripts/bench-nodetool-cpu.sh [-d SECONDS] [-b RINGSIDE] [-m 'NODETOOL ARGS']
#       against the simulator: one sidecar in nodetool mode and one in
#       Jolokia mode, side by side, beside two simulated nodes. The
#       simulator's nodetool is cheap Go, so the runs per minute matter:
#       with -m, one real run's CPU is measured (`NODETOOL ARGS status`,
#       three times) and the runs are priced at it.
#   scripts/bench-nodetool-cpu.sh [-d SECONDS] [-b RINGSIDE] [-m 'NODETOOL ARGS'] CONFIG...
#       `ringside serve --config CONFIG` for each CONFIG in turn; RINGSIDE_*
#       variables in the environment apply to every run (e.g.
#       RINGSIDE_LISTEN_ADDRESS to keep off a sidecar already running).
#
# -b runs another build (e.g. an older commit's) instead of building this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=60 bin="" measure=""
while getopts "d:b:m:" o; do
	case $o in
	d) secs=$OPTARG ;;
	b) bin=$OPTARG ;;
	m) measure=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
if [ -z "$bin" ]; then
	go build -o "$work/ringside" ./cmd/ringside
	bin=$work/ringside
fi
hz=$(getconf CLK_TCK)
warmup=5

# cpu_ticks PID: utime+stime+cutime+cstime of PID, in clock ticks.
cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }

# counting_nodetool NAME REAL: a nodetool that logs each run, then runs REAL.
counting_nodetool() {
	local w=$work/nodetool-$1
	printf '#!/bin/sh\necho "$(date +%%s.%%N) $*" >> %s.log\nexec %s "$@"\n' "$w" "$2" >"$w"
	chmod +x "$w"
	: >"$w.log"
	echo "$w"
}

# report NAME PID LOG: after the warm-up, CPU and runs over $secs.
declare -A t0 r0
start_window() { t0[$1]=$(cpu_ticks "$2"); r0[$1]=$(wc -l <"$3"); }
report() {
	local t1 r1
	t1=$(cpu_ticks "$2")
	r1=$(wc -l <"$3")
	awk -v n="$1" -v t="$((t1 - ${t0[$1]}))" -v r="$((r1 - ${r0[$1]}))" -v hz="$hz" -v s="$secs" -v cost="${cost:-}" 'BEGIN {
		cpm = t / hz / s * 60
		printf "%-9s cpu_s_per_min=%.2f core_percent=%.2f nodetool_runs=%d runs_per_min=%.1f", n, cpm, cpm / 60 * 100, r, r / s * 60
		if (cost != "") printf " priced_at_real_cost=%.2f_cpu_s_per_min (%.2f%% of a core)", r / s * 60 * cost, r / s * 60 * cost / 60 * 100
		printf " (over %ds)\n", s
	}'
}

cost=""
if [ -n "$measure" ]; then
	# The CPU of one real `nodetool status`, children included (the JVM).
	total=0
	for _ in 1 2 3; do
		c=$( ( $measure status >/dev/null 2>&1 || true; awk '{print $16 + $17}' "/proc/$BASHPID/stat") )
		total=$((total + c))
	done
	cost=$(awk -v t="$total" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz / 3 }')
	echo "real nodetool status: $cost CPU-seconds per run (mean of 3: $measure status)"
fi

if [ $# -gt 0 ]; then
	for cfg in "$@"; do
		real=${RINGSIDE_CASSANDRA_NODETOOL:-$(awk '/^[[:space:]]*nodetool:/ {print $2; exit}' "$cfg")}
		nt=$(counting_nodetool "run$(( ${#pids[@]} ))" "${real:-nodetool}")
		RINGSIDE_CASSANDRA_NODETOOL=$nt "$bin" serve --config "$cfg" >"$work/serve.log" 2>&1 &
		pid=$!
		pids+=("$pid")
		sleep "$warmup"
		start_window "$cfg" "$pid" "$nt.log"
		sleep "$secs"
		report "$cfg" "$pid" "$nt.log"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	done
	exit 0
fi

# The simulator: node 1 beside a nodetool-mode sidecar, node 2 beside a Jolokia one.
base=127.0.113.1
ctl=127.0.0.1:18644
"$bin" sim --topology dc1:3x1 --dir "$work/sim" --address-base $base --control $ctl >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS -o /dev/null "http://$ctl/v1/nodes" 2>/dev/null && break; sleep 0.2; done
serve() { # NODE JOLOKIA_URL NODETOOL (not in a subshell: its pid goes to pids)
	RINGSIDE_LISTEN_ADDRESS=$1:5000 RINGSIDE_CASSANDRA_CQL_ADDRESS=$1:9042 \
		RINGSIDE_CASSANDRA_JOLOKIA_URL=$2 RINGSIDE_CASSANDRA_NODETOOL=$3 \
		RINGSIDE_CASSANDRA_CONFIG_FILE=$work/sim/$1/conf/cassandra.yaml \
		RINGSIDE_CASSANDRA_PID_FILE=$work/sim/$1/cassandra.pid RINGSIDE_DATA_DIR=$work/state-$1 \
		"$bin" serve >"$work/serve-$1.log" 2>&1 &
	pids+=($!)
}
n1=127.0.113.1 n2=127.0.113.2
nt1=$(counting_nodetool nodetool "$work/sim/$n1/bin/nodetool")
nt2=$(counting_nodetool jolokia "$work/sim/$n2/bin/nodetool")
serve $n1 "" "$nt1"
p1=$!
serve $n2 "http://$n2:8778/jolokia/" "$nt2"
p2=$!
sleep "$warmup"
curl -fsS -o /dev/null "http://$n1:5000/v1/health/coordinator"
curl -fsS -o /dev/null "http://$n2:5000/v1/health/coordinator"
runs() { curl -fsS "http://$ctl/v1/nodes/$1" | awk -F': ' '/"nodetool_runs"/ {gsub(/[ ,]/, "", $2); print $2}'; }
s1=$(runs $n1)
start_window nodetool "$p1" "$nt1.log"
start_window jolokia "$p2" "$nt2.log"
sleep "$secs"
report nodetool "$p1" "$nt1.log"
report jolokia "$p2" "$nt2.log"
echo "simulator's count for $n1: $(($(runs $n1) - s1)) nodetool runs in the window"
