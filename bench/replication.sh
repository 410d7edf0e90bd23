#!/usr/bin/env bash
#
# NAME
#	replication.sh - snapshot catch-up and stream lag, beside cp
# SYNOPSIS
#	bench/replication.sh [DIR]
# DESCRIPTION
#	Writes MQ_BENCH_REPL_ROWS (default 1000000) locals rows into a
#	primary's store in DIR (default: a new temporary directory),
#	starts the static release binary as primary and as a new replica
#	on loopback, and measures the replica's catch-up by snapshot
#	(connect, copy, send, verify, install) beside `cp` of the same
#	file (the floor for moving those bytes once), with the replica's
#	own account of the snapshot (how long receiving, fsyncing,
#	verifying and installing took, and of each how much on the CPU
#	and how much runnable but waiting for one: on a loaded machine
#	the wall time is mostly that wait) and the load average, the
#	context of every figure.  Then
#	MQ_BENCH_REPL_WRITES (default 200) single-row writes are made on
#	the primary through the API, one at a time, and each one's lag is
#	the time from the primary's answer until the replica's API answers
#	the row (an mtanames row, read by its key; python3, one keep-alive
#	connection each): p50 and p99.
#	The replica's API round trips are part of that figure, so it is
#	an upper bound of the replication's own lag.  Last,
#	bench/repl_load.py measures the lag under 1,000 and 10,000 writes
#	a second (from each node's change feed) and the replicated write
#	throughput beside the primary's own.
# DIAGNOSTICS
#	Exit 0; 1 when the primary does not start (its log is DIR/p.log)
#	or the replica does not converge within 300 s.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MQ=$root/${MQ_BUILD:-build}/mq
ROWS=${MQ_BENCH_REPL_ROWS:-1000000}
WRITES=${MQ_BENCH_REPL_WRITES:-200}
dir=${1:-}
BENCH=replication
. "$root/bench/lib.sh"
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -z "${1:-}" ] && [ -n "${own:-}" ] && rm -rf "$dir"
}
if [ -z "$dir" ]; then dir=$(mktemp -d); own=1; fi
trap cleanup EXIT
mkdir -p "$dir/p" "$dir/r"

now() { date +%s.%N; }
seq_of() { MQ_STORE_PATH="$1" "$MQ" stat | awk '$1 == "sequence" { print $2; exit }'; }

kp=$("$MQ" cluster keygen); kr=$("$MQ" cluster keygen)
key() { sed -n "s/^$1: //p" <<< "$2"; }

awk -v n="$ROWS" 'BEGIN { print "type\taddress"; for (i = 1; i <= n; i++) printf "domain\tr%d.example\n", i }' |
	MQ_STORE_PATH="$dir/p/mq.mdb" "$MQ" set locals - > /dev/null || exit 1
pw=$(free_port) && cport=$(free_port "$pw") || exit 1
MQ_STORE_PATH="$dir/p/mq.mdb" MQ_WWW_PORT=$pw MQ_WWW_TOKEN=t \
	MQ_CLUSTER_LISTEN=127.0.0.1:$cport MQ_CLUSTER_KEY=$(key cluster-key "$kp") \
	MQ_CLUSTER_PEERS=$(key public-key "$kr") "$MQ" serve 2> "$dir/p.log" &
pids+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$pw/health"; do
	kill -0 "${pids[0]}" 2>/dev/null || { echo "the primary did not start (a port in use?): $dir/p.log"; exit 1; }
	sleep 0.05
done
want=$(seq_of "$dir/p/mq.mdb")
rw=$(free_port) || exit 1	# now not one of the primary's

: > "$dir/r.log"	# no install line of an earlier run in DIR
t0=$(now)
MQ_STORE_PATH="$dir/r/mq.mdb" MQ_WWW_PORT=$rw MQ_CLUSTER_ROLE=replica \
	MQ_CLUSTER_PRIMARY=127.0.0.1:$cport MQ_CLUSTER_KEY=$(key cluster-key "$kr") \
	MQ_CLUSTER_PEERS=$(key public-key "$kp") "$MQ" serve 2> "$dir/r.log" &
pids+=($!)
# the replica logs the install right after its commit; a grep each
# 10 ms costs little (an `mq stat` each time took a third of a CPU)
until grep -q "snapshot at sequence [0-9]* installed" "$dir/r.log"; do
	sleep 0.01
	[ "$(echo "$(now) - $t0 > 300" | bc)" = 1 ] && { echo "replica did not converge"; exit 1; }
done
t1=$(now)
[ "$(seq_of "$dir/r/mq.mdb")" -ge "$want" ] || { echo "replica installed an old snapshot"; exit 1; }
cp "$dir/p/mq.mdb" "$dir/copy.mdb"; sync "$dir/copy.mdb"
t2=$(now)
size=$(stat -c %s "$dir/p/mq.mdb")
printf 'snapshot catch-up of %d rows (%d bytes): %.3f s\n' "$ROWS" "$size" "$(echo "$t1 - $t0" | bc)"
printf 'cp + sync of the same file:            %.3f s\n' "$(echo "$t2 - $t1" | bc)"
printf 'ratio catch-up/cp: %.2f\n' "$(echo "($t1 - $t0) / ($t2 - $t1)" | bc -l)"
sed -n 's/.*snapshot at sequence [0-9]* installed (\(.*\))$/the replica: \1/p' "$dir/r.log" | tail -n 1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

until curl -s -o /dev/null "http://127.0.0.1:$rw/health"; do sleep 0.05; done
# one keep-alive connection to each API: no process per request
python3 - "$pw" "$rw" "$WRITES" <<'PY'
import http.client, json, sys, time
pw, rw, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
p = http.client.HTTPConnection("127.0.0.1", pw)
r = http.client.HTTPConnection("127.0.0.1", rw)
lags = []
for i in range(n):
    addr = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
    p.request("POST", "/v1/tables/mtanames",
              body=json.dumps({"localip": addr, "hostname": "mx.example"}),
              headers={"Authorization": "Bearer t",
                       "Content-Type": "application/json"})
    p.getresponse().read()
    t = time.monotonic()
    while True:
        r.request("GET", "/v1/tables/mtanames?localip=" + addr)
        if addr.encode() in r.getresponse().read():
            break
    lags.append((time.monotonic() - t) * 1000)
lags.sort()
print("primary's answer to the row on the replica, %d writes: "
      "p50 %.2f ms, p99 %.2f ms" % (n, lags[n // 2], lags[max(0, n * 99 // 100 - 1)]))
PY
python3 "$root/bench/repl_load.py" "$pw" "$rw" t || exit 1
