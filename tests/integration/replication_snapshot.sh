#!/usr/bin/env bash
# NAME
#	replication_snapshot.sh - the snapshot path, health, promotion
# DESCRIPTION
#	The primary keeps 5 change records (changes-keep).  A replica that
#	was away for more commits than that, and a replica streaming when
#	one transaction overflows the log, take a snapshot and converge;
#	a CLI reader on the replica during the installs never fails and
#	never misses a row that both stores hold.  A replica cut off from
#	its primary longer than cluster-max-lag answers /health with 503
#	and /metrics shows it.  mq promote starts a new epoch in a stopped
#	replica, which then runs as primary: the old primary, now its
#	replica, is resynced by snapshot (a running replica's promotion:
#	replication_promote.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_CHANGES_KEEP=5 "$MQ" "$@"; }
R() { MQ_STORE_PATH="$TMP/r/mq.mdb" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
for i in $(seq 1 300); do printf 'domain\tbulk%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
primary_start MQ_CHANGES_KEEP=5 || { fail "primary starts"; finish; }
replica_start r MQ_CLUSTER_MAX_LAG=1 || { fail "replica starts"; finish; }
wait_seq r "$(store_seq p)" 20 || fail "first catch-up"

# reader - a CLI read of a row every store has, until killed; a line
# in $TMP/reader.bad for each failure
reader() {
	while :; do
		R get locals address=bulk7.example 2>&1 | grep -q bulk7 ||
			echo "read failed" >> "$TMP/reader.bad"
	done
}
reader & RPID=$!
at_exit "kill $RPID 2>/dev/null"

kill -TERM "$R_PID"; wait "$R_PID" 2>/dev/null
for i in $(seq 1 8); do P set locals type=domain address=away$i.example >/dev/null; done
replica_start r MQ_CLUSTER_MAX_LAG=1 || fail "replica restarts"
check "a replica behind the pruned log catches up" wait_seq r "$(store_seq p)" 20
expect_grep "it was sent a snapshot" "sending a snapshot" "$TMP/p.log"
same_dump "its dump equals the primary's" p r

n=$(installs r)
for i in $(seq 1 20); do printf 'domain\tbig%d.example\n' "$i"; done |
	{ printf 'type\taddress\n'; cat; } | P set locals - >/dev/null
check "a transaction that overflowed the log reaches the replica" \
	wait_seq r "$(store_seq p)" 20
check "by a snapshot" installed_after r "$n"
same_dump "its dump equals the primary's" p r
kill "$RPID"; wait "$RPID" 2>/dev/null
expect_eq "the reader on the replica never failed" 0 \
	"$(cat "$TMP/reader.bad" 2>/dev/null | wc -l)"

curl -s "$R_URL/metrics" > "$TMP/metrics"
expect_grep "metrics: the replica is connected" "^mq_cluster_connected 1" "$TMP/metrics"
kill -TERM "$P_PID"; wait "$P_PID" 2>/dev/null
sleep 2.5
code=$(curl -s -o "$TMP/health" -w '%{http_code}' "$R_URL/health")
expect_eq "a replica cut off past cluster-max-lag: /health 503" 503 "$code"
curl -s "$R_URL/metrics" > "$TMP/metrics"
expect_grep "metrics: disconnected" "^mq_cluster_connected 0" "$TMP/metrics"

kill -TERM "$R_PID"; wait "$R_PID" 2>/dev/null
epoch=$(R stat | awk '$1 == "epoch" { print $2 }')
check "mq promote on the stopped replica" R promote
expect_eq "a new epoch" $((epoch + 1)) "$(R stat | awk '$1 == "epoch" { print $2 }')"

# the promoted node runs as primary; the old one follows it
NPORT=$(free_port)
serve_start "$TMP/r.log" MQ_STORE_PATH="$TMP/r/mq.mdb" \
	MQ_CLUSTER_ROLE=primary MQ_CLUSTER_LISTEN="127.0.0.1:$NPORT" \
	MQ_CLUSTER_KEY="$KEY_R" MQ_CLUSTER_PEERS="$PUB_P" ||
	fail "the promoted node starts as primary"
R set locals type=domain address=promoted.example >/dev/null
serve_start "$TMP/p.log" MQ_STORE_PATH="$TMP/p/mq.mdb" \
	MQ_CLUSTER_ROLE=replica MQ_CLUSTER_PRIMARY="127.0.0.1:$NPORT" \
	MQ_CLUSTER_KEY="$KEY_P" MQ_CLUSTER_PEERS="$PUB_R" ||
	fail "the old primary starts as replica"
check "the old primary follows the promoted one" wait_seq p "$(store_seq r)" 20
same_dump "their dumps are equal" r p
expect_eq "it took the new epoch" $((epoch + 1)) \
	"$(P stat | awk '$1 == "epoch" { print $2 }')"
finish
