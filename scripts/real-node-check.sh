#!/usr/bin/env bash
# The checks of docs/real-node.md ("What a real 4.1.6 cluster showed"),
# run once beside a real Cassandra 4.1.6 cluster built and started with
# shared/real-cassandra (cluster.sh up 3) and a ringside beside each node:
#
#   REALNODE=/work/realnode RINGSIDE=./ringside scripts/real-node-check.sh
#
# It prints each command and its answer. It stops and starts node 2 (with
# ringside's own stop/start), writes a stray Data.db into a table directory
# of node 3 and removes it again, changes stream throughput on node 1 and
# sets it back, and runs a second ringside for node 3 in nodetool mode on
# 127.0.0.3:5100. Not run by CI: no machine there has Cassandra.
set -uo pipefail
: "${REALNODE:?set REALNODE to the real-cassandra work dir}"
RINGSIDE=${RINGSIDE:-ringside}
NT=$REALNODE/bin/nodetool

say() { printf '\n$ %s\n' "$*"; }
run() { say "$*"; eval "$@"; echo; }
# j FIELD…: the named fields of a JSON answer on stdin, and any " HTTP nnn" curl -w appended.
j() { python3 -c '
import json, sys
s = sys.stdin.read(); i = s.rfind("}") + 1
d = json.loads(s[:i])
print(json.dumps({k: d.get(k) for k in sys.argv[1:]}) + s[i:].rstrip())' "$@"; }

echo "== 1. Streamed SSTables (nodes 2 and 3 joined by bootstrap)"
run "ls $REALNODE/node2/data/system_auth/roles-*/"
for n in 2 3; do
	run "curl -s -w ' HTTP %{http_code}' http://127.0.0.$n:5000/v1/health/replica | sed 's/\"tokens\":\[[^]]*\]/\"tokens\":[…]/'"
done
dir=$(ls -d "$REALNODE"/node3/data/system_distributed/repair_history-*/ | head -1)
run "printf x > ${dir}nb-9999-big-Data.db   # a Data.db with nothing else: truly incomplete"
sleep 7
run "curl -s -w ' HTTP %{http_code}' http://127.0.0.3:5000/v1/health/replica | j corrupt_sstables reasons"
run "rm ${dir}nb-9999-big-Data.db"

echo "== 2. Stop and start on stock system keyspace replication"
run "$REALNODE/cassandra/bin/cqlsh 127.0.0.1 -e 'SELECT keyspace_name, replication FROM system_schema.keyspaces' 2>/dev/null || true"
run "curl -s http://127.0.0.1:5000/v1/settings?key=authenticator"
run "curl -s -XPOST -w ' HTTP %{http_code}' 'http://127.0.0.2:5000/v1/desires/node/stop?block' | j outcome state time_to_stop_in_s error"
run "grep 'node stop succeeded' $REALNODE/rs2/ringside.log | tail -1"
run "curl -s -XPOST -w ' HTTP %{http_code}' 'http://127.0.0.2:5000/v1/desires/node/start?block' | j outcome state time_to_start_in_s error"

echo "== 3. data_age_seconds grows between refreshes"
run "curl -s http://127.0.0.1:5000/v1/health/coordinator | j as_of data_age_seconds; sleep 2; curl -s http://127.0.0.1:5000/v1/health/coordinator | j as_of data_age_seconds"

echo "== 4. Drift of a key commented out of cassandra.yaml"
run "grep -n 'stream_throughput_outbound:' $REALNODE/node1/conf/cassandra.yaml"
run "$NT -h 127.0.0.1 -p 7199 setstreamthroughput -m 48"
sleep 7
run "curl -s http://127.0.0.1:5000/v1/health/replica | j config_sync config_diff"
run "$NT -h 127.0.0.1 -p 7199 setstreamthroughput -m 24"

echo "== 5. nodetool mode: settings PUT through nodetool setters"
sed -e 's|^listen_address:.*|listen_address: "127.0.0.3:5100"|' -e 's|jolokia_url:.*|jolokia_url: ""|' \
	-e "s|data_dir:.*|data_dir: $REALNODE/rs3/state-nodetool|" "$REALNODE/rs3/ringside.yaml" > "$REALNODE/rs3/ringside-nodetool.yaml"
$RINGSIDE serve --config "$REALNODE/rs3/ringside-nodetool.yaml" > "$REALNODE/rs3/ringside-nodetool.log" 2>&1 &
pid=$!
sleep 15
run "curl -s -w ' HTTP %{http_code}' http://127.0.0.3:5100/v1/health/coordinator | j cassandra_running native_active data_sources"
run "curl -s -XPUT -w ' HTTP %{http_code}' http://127.0.0.3:5100/v1/settings/ -d '{\"compaction_throughput\": \"12MiB/s\"}'"
run "$NT -h 127.0.0.1 -p 7399 getcompactionthroughput"
run "curl -s -XPUT -w ' HTTP %{http_code}' http://127.0.0.3:5100/v1/settings/ -d '{\"compaction_throughput\": \"64MiB/s\"}'"
kill "$pid"; wait "$pid" 2>/dev/null
echo "done"
