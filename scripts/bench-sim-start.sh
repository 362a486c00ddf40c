#!/usr/bin/env bash
# Start a 1,000-node, 2-DC `ringside sim` as a separate process, and report
# how long until the control API answers with every node up, and the
# process's resident memory then.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/ringside
go build -o "$bin" ./cmd/ringside
ctl=127.0.0.1:18642
t0=$(date +%s.%N)
"$bin" sim --topology dc1:10x50,dc2:10x50 --address-base 127.0.101.1 --control "$ctl" --dir none >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until "$bin" sim ctl --control "$ctl" --json status 2>/dev/null | grep -c '"state": "RUNNING"' | grep -qx 1000; do
  sleep 0.05
done
t1=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
awk -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN { printf "nodes=1000 start_seconds=%.2f rss_mib=%.1f\n", b - a, r / 1024 }'
