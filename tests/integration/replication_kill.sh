#!/usr/bin/env bash
# NAME
#	replication_kill.sh - replicas and primaries killed anywhere converge
# DESCRIPTION
#	kill -9 of a replica while it applies a stream of commits, RUNS
#	times (MQ_REPL_KILL_RUNS, default 20): each kill comes once the
#	replica has applied 1 to 4 more transactions since it restarted
#	(read from its /health), its store verifies after each, it resumes
#	from the log (no snapshot), and in the end its dump equals the
#	primary's and it verifies.  Then a write of the primary that keeps
#	only 5 change records (changes-keep) sends the replica, killed,
#	to the snapshot path: RUNS times it is killed mid-snapshot, at a
#	point chosen by the bytes received (0, 1/4 ... 4/4 of the file:
#	the last one while it fsyncs, verifies or installs); its store
#	verifies after each kill, most kills find the temporary file (the
#	kill was mid-snapshot), none is left once it is through, and it
#	converges by a snapshot: one more such write before its last
#	start, as a kill may come after an install's commit and before
#	its log line (the replica then stands at the primary's sequence,
#	resumes from the log, and no line tells of the snapshot it took),
#	and the line is waited for, as it follows the commit that the
#	sequence shows.  Last, kill -9 of the primary and a restart on its
#	port, held meanwhile (primary_down): the replica reconnects
#	(backoff) and converges.  The writer is one process on one
#	keep-alive connection to the primary's API, and
#	the kill points are read, not slept for: about 2 minutes for 20
#	runs of each on a loaded 2-CPU machine.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

RUNS=${MQ_REPL_KILL_RUNS:-20}
P() { MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_CHANGES_KEEP=5 "$MQ" "$@"; }
# what runs once a run: the release build when there is one (a sanitized
# process takes about half a second to start on a loaded machine)
FAST=$MQ
[ -x "$MQ_STATIC" ] && FAST=$MQ_STATIC
T0=$SECONDS
took() { echo "# $1: $((SECONDS - T0)) s"; }

cluster_keys
mkdir -p "$TMP/p"
# a store of some size, so that a snapshot (about 3 MB) takes a moment,
# long enough to be caught mid-way on a fast machine too
for i in $(seq 1 60000); do printf 'domain\tbulk%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } |
	MQ_STORE_PATH="$TMP/p/mq.mdb" "$FAST" set locals - >/dev/null
P list-create lst >/dev/null
primary_start MQ_WWW_TOKEN=t || { fail "primary starts"; finish; }

# writer - transactions of 20 rows through the primary's API until killed
writer() {
	exec python3 - "$P_URL" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
h = {"Authorization": "Bearer t", "Content-Type": "application/json"}
i = 0
while True:
    i += 1
    for path, rows in (
        ("/v1/tables/locals", [{"type": "domain",
                                "address": "w%d-%d.example" % (i, j)}
                               for j in range(10)]),
        ("/v1/tables/lst", [{"address": "s%d-%d@x.example" % (i, j)}
                            for j in range(10)])):
        c.request("POST", path, body=json.dumps(rows), headers=h)
        c.getresponse().read()
PY
}

# replica_seq - the replica's sequence, from its API (no process of mq)
replica_seq() {
	curl -s --max-time 2 "$R_URL/health" |
		sed -n 's/.*"sequence": *\([0-9]*\).*/\1/p'
}

# overflow RUN - 6 changes in one transaction, 5 kept: the place of a
#	replica that has not got it yet is gone from the primary's log
overflow() {
	local i
	for i in 1 2 3 4 5 6; do printf 'domain\tg%s-%d.example\n' "$1" "$i"; done |
		{ printf 'type\taddress\n'; cat; } |
		MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_CHANGES_KEEP=5 "$FAST" set locals - >/dev/null
}

replica_start r || { fail "replica starts"; finish; }
{ wait_seq r "$(store_seq p)" 30 && installed_after r 0; } || fail "first catch-up"
SNAP_BYTES=$(sed -n 's/.*receiving a snapshot .*(\([0-9]*\) bytes).*/\1/p' \
	"$TMP/r.log" | tail -n 1)
took "set up, first snapshot of ${SNAP_BYTES:-?} bytes"

# kill_applying RUN - kill -9 once 1 + RUN % 4 transactions more applied
kill_applying() {
	local from s i
	from=$(replica_seq)
	for i in $(seq 1 1000); do
		s=$(replica_seq)
		[ -n "$s" ] && [ -n "$from" ] && [ "$s" -ge $((from + 1 + $1 % 4)) ] &&
			break
		sleep 0.01
	done
	kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
	[ "$i" -lt 1000 ] || echo "# run $1: the replica applied nothing for 10 s"
}

snaps=$(installs r)
writer & WPID=$!
at_exit "kill $WPID 2>/dev/null"
bad=0
for run in $(seq 1 "$RUNS"); do
	kill_applying "$run"
	"$FAST" verify "$TMP/r/mq.mdb" >/dev/null 2>&1 || {
		bad=$((bad + 1)); echo "# run $run: the store does not verify"; }
	replica_start r || fail "replica restarts (run $run)"
done
kill "$WPID"; wait "$WPID" 2>/dev/null
expect_eq "after each of $RUNS kills mid-apply the store verifies" 0 "$bad"
check "after $RUNS kills mid-apply the replica catches up" wait_seq r "$(store_seq p)" 30
expect_eq "it resumed from the log each time (no snapshot)" "$snaps" "$(installs r)"
same_dump "its dump equals the primary's" p r
check "its store verifies" "$MQ" verify "$TMP/r/mq.mdb"
took "$RUNS kills mid-apply"

# kill_in_snapshot RUN - kill -9 once the temporary file holds RUN % 5
#	quarters of the snapshot; 0 (hit) when the file was there to kill in
kill_in_snapshot() {
	local want=$((${SNAP_BYTES:-0} * ($1 % 5) / 4)) f i size
	for i in $(seq 1 1000); do
		f=$(compgen -G "$TMP/r/mq.mdb.repl-recv.*" | head -n 1)
		if [ -n "$f" ]; then
			size=$(stat -c %s "$f" 2>/dev/null) || size=0
			[ "$size" -ge "$want" ] && break
		fi
		sleep 0.005
	done
	kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
	[ -n "$f" ] && [ -e "$f" ]
}

hits=0 bad=0
kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
for run in $(seq 1 "$RUNS"); do
	overflow "$run"
	replica_start r || fail "replica restarts (snapshot run $run)"
	kill_in_snapshot "$run" && hits=$((hits + 1))
	"$FAST" verify "$TMP/r/mq.mdb" >/dev/null 2>&1 || {
		bad=$((bad + 1)); echo "# snapshot run $run: the store does not verify"; }
done
# the last kill may have come after an install's commit, before its
# line: the place is gone once more, so the last start takes a snapshot
overflow last
snaps=$(installs r)
replica_start r || fail "replica restarts after the last kill"
echo "# $hits of $RUNS kills came while the snapshot's file was there"
expect_eq "after each of $RUNS kills mid-snapshot the store verifies" 0 "$bad"
check "most kills came mid-snapshot" test "$hits" -ge $((RUNS / 2))
check "after $RUNS kills mid-snapshot the replica catches up" wait_seq r "$(store_seq p)" 30
same_dump "its dump equals the primary's" p r
check "its store verifies" "$MQ" verify "$TMP/r/mq.mdb"
check "the snapshot path was taken" installed_after r "$snaps"
leftover=$(ls "$TMP/r" | grep -c "repl-recv")
expect_eq "no temporary snapshot file is left" 0 "$leftover"
took "$RUNS kills mid-snapshot"

check "kill -9 of the primary, its port held" primary_down
P set locals type=domain address=while-down.example >/dev/null
primary_start MQ_WWW_TOKEN=t || fail "primary restarts"
P set locals type=domain address=after.example >/dev/null
check "after kill -9 of the primary the replica reconnects and converges" \
	wait_seq r "$(store_seq p)" 30
same_dump "its dump equals the primary's" p r
took "all"
finish
