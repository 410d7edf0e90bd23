#!/usr/bin/env bash
# NAME
#	replication_kill.sh - replicas and primaries killed anywhere converge
# DESCRIPTION
#	kill -9 of a replica while it applies a stream of commits, RUNS
#	times (MQ_REPL_KILL_RUNS, default 3): each restart resumes, and in
#	the end its dump equals the primary's and it verifies.  Then the
#	primary keeps only 5 change records (changes-keep), so a replica
#	that was away takes a snapshot: killed mid-snapshot RUNS times, it
#	leaves no temporary file behind once it is through, and converges.
#	Last, kill -9 of the primary and a restart: the replica reconnects
#	(backoff) and converges.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

RUNS=${MQ_REPL_KILL_RUNS:-3}
P() { MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_CHANGES_KEEP=5 "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
# a store of some size, so that a snapshot takes a moment
for i in $(seq 1 500); do printf 'domain\tbulk%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
P list-create lst >/dev/null
primary_start MQ_CHANGES_KEEP=5 || { fail "primary starts"; finish; }

# writer - commits on the primary, one CLI process each, until killed
writer() {
	local i=0
	while :; do
		i=$((i + 1))
		P set locals type=domain address=w$i.example >/dev/null 2>&1
		P sub lst "s$i@x.example" >/dev/null 2>&1
	done
}

replica_start r || { fail "replica starts"; finish; }
wait_seq r "$(store_seq p)" 20 || fail "first catch-up"
snaps=$(grep -c "snapshot at sequence [0-9]* installed" "$TMP/r.log")
writer & WPID=$!
at_exit "kill $WPID 2>/dev/null"
for run in $(seq 1 "$RUNS"); do
	sleep "0.$((RANDOM % 5 + 1))"
	kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
	replica_start r || fail "replica restarts (run $run)"
done
kill "$WPID"; wait "$WPID" 2>/dev/null
check "after $RUNS kills mid-apply the replica catches up" wait_seq r "$(store_seq p)" 20
same_dump "its dump equals the primary's" p r
check "its store verifies" "$MQ" verify "$TMP/r/mq.mdb"

for run in $(seq 1 "$RUNS"); do
	kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
	for i in 1 2 3 4 5 6; do P set locals type=domain address=g$run-$i.example >/dev/null; done
	replica_start r || fail "replica restarts (snapshot run $run)"
	sleep "0.0$((RANDOM % 9 + 1))"
done
check "after $RUNS kills mid-snapshot the replica catches up" wait_seq r "$(store_seq p)" 20
same_dump "its dump equals the primary's" p r
check "its store verifies" "$MQ" verify "$TMP/r/mq.mdb"
check "the kills hit the snapshot path" test \
	"$(grep -c "snapshot at sequence [0-9]* installed" "$TMP/r.log")" -gt "$snaps"
leftover=$(ls "$TMP/r" | grep -c "repl-recv")
expect_eq "no temporary snapshot file is left" 0 "$leftover"

kill -9 "$P_PID"; wait "$P_PID" 2>/dev/null
P set locals type=domain address=while-down.example >/dev/null
primary_start MQ_CHANGES_KEEP=5 || fail "primary restarts"
P set locals type=domain address=after.example >/dev/null
check "after kill -9 of the primary the replica reconnects and converges" \
	wait_seq r "$(store_seq p)" 20
same_dump "its dump equals the primary's" p r
finish
