#!/usr/bin/env bash
# NAME
#	replication_primaries.sh - two primaries of one history are refused
# DESCRIPTION
#	Primary P and replica R; then P's file is copied twice (same uuid,
#	same epoch) and each copy started as a primary of its own key, as
#	an operator who clones a node by copying its store would.  R,
#	moved to the copy that is ahead of it (a stream) and to the one
#	behind it (a snapshot), refuses both with "two primaries" and the
#	peer's address, and applies nothing: its sequence and dump stay.
#	After `mq promote` of the copy (a new epoch), R follows it.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }
node() { local n=$1; shift; MQ_STORE_PATH="$TMP/$n/mq.mdb" "$MQ" "$@"; }

cluster_keys
k=$("$MQ" cluster keygen)
KEY_B=$(sed -n 's/^cluster-key: //p' <<< "$k")
PUB_B=$(sed -n 's/^public-key: //p' <<< "$k")

mkdir -p "$TMP/p" "$TMP/behind" "$TMP/ahead"
P set locals type=domain address=one.example >/dev/null
P set locals type=domain address=two.example >/dev/null
cp "$TMP/p/mq.mdb" "$TMP/behind/mq.mdb"	# P is not running: a clean copy
P set locals type=domain address=three.example >/dev/null
primary_start || { fail "primary starts"; finish; }
replica_start r MQ_CLUSTER_PEERS="$PUB_P $PUB_B" || fail "replica starts"
check "R follows P" wait_seq r "$(store_seq p)"
kill "$P_PID"; wait "$P_PID" 2>/dev/null
kill "$R_PID"; wait "$R_PID" 2>/dev/null
cp "$TMP/p/mq.mdb" "$TMP/ahead/mq.mdb"
node ahead set locals type=domain address=four.example >/dev/null
r_seq=$(store_seq r)
node_dump r > "$TMP/r.before"

# a copy started as a primary of its own key: NAME's store, key B
copy_start() {
	CPORT=$(free_port) || return 1
	serve_start "$TMP/$1.log" MQ_STORE_PATH="$TMP/$1/mq.mdb" \
		MQ_CLUSTER_ROLE=primary MQ_CLUSTER_LISTEN="127.0.0.1:$CPORT" \
		MQ_CLUSTER_KEY="$KEY_B" MQ_CLUSTER_PEERS="$PUB_R" || return 1
	B_PID=$SERVE_PID
}

for copy in ahead behind; do
	copy_start "$copy" || { fail "the $copy copy starts"; continue; }
	: > "$TMP/r.log"
	replica_start r MQ_CLUSTER_PEERS="$PUB_P $PUB_B" ||
		fail "R starts towards the $copy copy"
	for i in $(seq 1 60); do grep -q "two primaries" "$TMP/r.log" && break; sleep 0.1; done
	expect_grep "R refuses the copy $copy of it: two primaries, with its address" \
		"peer 127\.0\.0\.1:$CPORT refused: two primaries" "$TMP/r.log"
	grep -m1 "two primaries" "$TMP/r.log" | sed 's/^/# /'
	expect_eq "nothing of the $copy copy is applied" "$r_seq" "$(store_seq r)"
	kill "$R_PID"; wait "$R_PID" 2>/dev/null
	kill "$B_PID"; wait "$B_PID" 2>/dev/null
done
node_dump r > "$TMP/r.after"
check "R's store is as it was" cmp -s "$TMP/r.before" "$TMP/r.after"

expect_status "mq promote of the copy that is ahead: a new epoch" 0 \
	node ahead promote
copy_start ahead || fail "the promoted copy starts"
replica_start r MQ_CLUSTER_PEERS="$PUB_P $PUB_B" || fail "R starts again"
check "R follows the promoted copy" wait_seq r "$(store_seq ahead)"
same_dump "R holds the promoted copy's store" r ahead
finish
