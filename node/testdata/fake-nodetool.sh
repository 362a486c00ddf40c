#!/bin/sh
# A stand-in for nodetool that replays captured real output.
#
# FAKE_NODETOOL_CAPTURE: colon-separated capture files (the first holding a
# block for the command wins), e.g.
#   ../testdata/cassandra-4.1.6/node-down.txt:../testdata/cassandra-4.1.6/nodetool.txt
# A block starts at the line "$ nodetool <args>" and ends at "[exit N]"
# (N is the exit status; 0 when the block has no such line) or at the next
# "$ ", "== " or "cql> " line. Output goes to stdout on exit 0, else to
# stderr, where nodetool writes its errors.
# FAKE_NODETOOL_DOWN=1 answers like nodetool against a stopped node (the
# message format of NodeTool.connect; not in the capture).

# Connection options precede the command, as in `nodetool -h host -p port status`.
host=127.0.0.1 port=7199
while [ $# -gt 0 ]; do
	case "$1" in
	-h) host=$2; shift 2 ;;
	-p) port=$2; shift 2 ;;
	-u | -pw | -pwf) shift 2 ;;
	-pp) shift ;;
	*) break ;;
	esac
done

if [ -n "$FAKE_NODETOOL_DOWN" ]; then
	echo "nodetool: Failed to connect to '$host:$port' - ConnectException: 'Connection refused (Connection refused)'." >&2
	exit 1
fi

want="\$ nodetool $*"
IFS=:
for f in $FAKE_NODETOOL_CAPTURE; do
	out=$(awk -v want="$want" '
		!on && $0 == want { on = 1; found = 1; next }
		on && /^\[exit [0-9]+\]$/ { code = substr($2, 1, length($2) - 1); exit }
		on && (/^\$ / || /^== / || /^cql> /) { exit }
		on { print }
		END { if (!found) exit 255; exit code }
	' "$f"; echo "|$?")
	code=${out##*|}
	out=${out%|*}
	if [ "$code" != 255 ]; then
		if [ "$code" = 0 ]; then
			printf '%s' "$out"
		else
			printf '%s' "$out" >&2
		fi
		exit "$code"
	fi
done
echo "fake-nodetool: no captured output for: nodetool $*" >&2
exit 3
