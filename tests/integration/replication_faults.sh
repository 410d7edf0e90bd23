#!/usr/bin/env bash
# NAME
#	replication_faults.sh - a replica behind a faulty link stays sound
# DESCRIPTION
#	The replica follows its primary through tests/lib/fault_proxy.py.
#	A corrupted, duplicated or reordered byte range of the primary's
#	stream, or a stream cut mid-frame, breaks the TLS session: the
#	replica logs the lost link, applies nothing of it, keeps a store
#	that verifies and never goes past the primary; with the link
#	sound again (or only delayed) it reconnects and converges.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
P set locals type=domain address=first.example >/dev/null
primary_start || { fail "primary starts"; finish; }
FPORT=$(free_port)
echo pass > "$TMP/mode"
python3 "$REPO/tests/lib/fault_proxy.py" "$FPORT" "$CPORT" "$TMP/mode" \
	> "$TMP/proxy.out" 2>&1 &
FP=$!
at_exit "kill $FP 2>/dev/null"
for i in $(seq 1 50); do grep -q listening "$TMP/proxy.out" && break; sleep 0.1; done
CPORT_REAL=$CPORT CPORT=$FPORT
replica_start r || { fail "replica starts"; finish; }
wait_seq r "$(store_seq p)" 20 || fail "first catch-up"

for mode in "corrupt 3000" "duplicate 2000" "reorder 1500" "cut 2500"; do
	echo "$mode" > "$TMP/mode"
	lost=$(grep -c "connection lost\|connection closed\|refused" "$TMP/r.log")
	kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
	# a new replica, so that a snapshot crosses the faulty link
	rm -f "$TMP/r/mq.mdb" "$TMP/r/mq.mdb-lock"
	for i in $(seq 1 30); do printf 'domain\t%s-%d.example\n' "${mode% *}" "$i"; done |
		{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
	replica_start r || fail "replica starts ($mode)"
	sleep 1.5
	check "$mode: the link broke and was logged" test \
		"$(grep -c "connection lost\|connection closed\|refused" "$TMP/r.log")" -gt "$lost"
	check "$mode: the replica's store verifies" "$MQ" verify "$TMP/r/mq.mdb"
	check "$mode: nothing beyond the primary" test "$(store_seq r)" -le "$(store_seq p)"
	echo pass > "$TMP/mode"
	check "$mode: once the link is sound it converges" wait_seq r "$(store_seq p)" 20
done

echo "delay 30" > "$TMP/mode"
kill -9 "$R_PID"; wait "$R_PID" 2>/dev/null
replica_start r || fail "replica starts (delay)"
P set locals type=domain address=delayed.example >/dev/null
check "a delayed link converges" wait_seq r "$(store_seq p)" 20
same_dump "its dump equals the primary's" p r
finish
