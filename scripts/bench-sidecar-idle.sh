#!/usr/bin/env bash
# Idle footprint of `ringside serve` beside one simulated node, with the
# default configuration (refresh every 5 s): RSS and CPU over a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
go build -o "$work/ringside" ./cmd/ringside
"$work/ringside" sim --dir "$work/sim" --address-base 127.0.111.1 --control 127.0.0.1:18643 >/dev/null 2>&1 &
simpid=$!
trap 'kill $simpid $svpid 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 2
n=127.0.111.1
RINGSIDE_LISTEN_ADDRESS=$n:5000 RINGSIDE_CASSANDRA_CQL_ADDRESS=$n:9042 \
RINGSIDE_CASSANDRA_JOLOKIA_URL=http://$n:8778/jolokia/ \
RINGSIDE_CASSANDRA_CONFIG_FILE=$work/sim/$n/conf/cassandra.yaml \
RINGSIDE_CASSANDRA_PID_FILE=$work/sim/$n/cassandra.pid \
  "$work/ringside" serve >/dev/null 2>&1 &
svpid=$!
sleep 5
curl -fsS -o /dev/null "http://$n:5000/v1/health/coordinator"
secs=${1:-60}
t1=$(awk '{print $14+$15}' /proc/$svpid/stat)
sleep "$secs"
t2=$(awk '{print $14+$15}' /proc/$svpid/stat)
rss=$(awk '/VmRSS/ {print $2}' /proc/$svpid/status)
hz=$(getconf CLK_TCK)
awk -v r="$rss" -v t="$((t2 - t1))" -v hz="$hz" -v s="$secs" \
  'BEGIN { printf "idle_rss_mib=%.1f cpu_percent_of_one_core=%.2f (over %ds)\n", r / 1024, 100 * t / hz / s, s }'
