#!/usr/bin/env bash
# NAME
#	replication_stream.sh - a primary's commits reach its replica
# DESCRIPTION
#	A new replica (empty store of its own uuid) takes a snapshot of the
#	primary, then follows its log: a CLI write on the primary's file
#	(another process than mq serve) and an API write show on the
#	replica within a second; both stores dump the same and the
#	replica's verifies.  The replica refuses writes: the CLI with exit
#	75 naming the primary, the API with 503.  mq cluster status shows
#	the link.  A replica restarted after more commits resumes from the
#	log, without a snapshot.  A message's check (its tag record) comes
#	with the snapshot and follows the log's cookie and mlog writes.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

P() { MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" "$@"; }
R() { MQ_STORE_PATH="$TMP/r/mq.mdb" MQ_CLUSTER_ROLE=replica \
	MQ_CLUSTER_PRIMARY="127.0.0.1:$CPORT" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
P set locals type=domain address=before.example >/dev/null
P list-create lst >/dev/null
P sub lst a@one.example b@two.example >/dev/null
c1=$(P cookie lst 1 s@one.example)
P mlog lst 1 2 1 >/dev/null
primary_start MQ_WWW_TOKEN=t || { fail "primary starts"; finish; }
replica_start r MQ_WWW_TOKEN=t || { fail "replica starts"; finish; }

check "new replica catches up by snapshot" wait_seq r "$(store_seq p)"
expect_grep "the snapshot was installed" "snapshot at sequence [0-9]+ installed" "$TMP/r.log"

P set locals type=domain address=cli.example >/dev/null
check "a CLI commit on the primary reaches the replica" wait_seq r "$(store_seq p)" 2
code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer t" \
	"$P_URL/v1/tables/locals" -d '{"type":"domain","address":"api.example"}')
expect_eq "API write on the primary" 201 "$code"
P sub lst c@three.example >/dev/null
c2=$(P cookie lst 2 s@one.example)
P mlog lst 2 3 1 >/dev/null
P del lst_mlog msgnum=1 >/dev/null
check "API and list writes reach the replica" wait_seq r "$(store_seq p)" 2
check "the replica takes the cookie of the snapshot, done undone" \
	R checktag lst 1 "$c1" --listno 2
expect_status "and a message logged done after it as done" 1 \
	R checktag lst 2 "$c2" --listno 3
expect_grep "by list number 3" "list number 3" "$TMP/last.out"
same_dump "replica dumps the same as the primary" p r
check "the replica's store verifies" R verify "$TMP/r/mq.mdb"

expect_status "CLI write on a replica: exit 75" 75 R set locals type=domain address=no.example
expect_grep "the refusal names the primary" "127.0.0.1:$CPORT" "$TMP/last.out"
code=$(curl -s -D "$TMP/headers" -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer t" \
	"$R_URL/v1/tables/locals" -d '{"type":"domain","address":"no.example"}')
expect_eq "API write on a replica: 503" 503 "$code"
expect_grep "the API refusal names the primary" "127.0.0.1:$CPORT" "$TMP/body"
expect_grep "and says it in X-MQ-Primary" "^X-MQ-Primary: 127.0.0.1:$CPORT" "$TMP/headers"

sleep 1.2
check "mq cluster status on the replica" R cluster status
expect_grep "status says connected" "^state: connected" "$TMP/last.out"
expect_grep "status gives the lag" "^lag-records: 0" "$TMP/last.out"
check "mq cluster status on the primary" P cluster status
expect_grep "it lists the replica, streaming, with what it acked" \
	"^peer: 127\.0\.0\.1:[0-9]+ streaming sent $(store_seq p) acked $(store_seq p)$" "$TMP/last.out"

kill -TERM "$R_PID"; wait "$R_PID" 2>/dev/null
for i in 1 2 3; do P set locals type=domain address=while$i.example >/dev/null; done
replica_start r MQ_WWW_TOKEN=t || fail "replica restarts"
check "a restarted replica resumes from the log" wait_seq r "$(store_seq p)"
expect_grep "it follows from its sequence" "follows from sequence [1-9]" "$TMP/p.log"
same_dump "still the same dump" p r
finish
