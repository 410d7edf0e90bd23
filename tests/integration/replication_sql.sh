#!/usr/bin/env bash
# NAME
#	replication_sql.sh - only the primary loads from SQL; replicas follow
# DESCRIPTION
#	A primary mirrors an SQLite database.  A row inserted in SQL behind
#	mq's back and loaded by the primary (mq reload) reaches two
#	replicas configured with the same database-address, which never
#	read SQL themselves: a replica's reload says it has nothing to
#	reload, and its /health does not wait for a load.
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/cluster.sh"

DB=sqlite://$TMP/mail.db
P() { MQ_STORE_PATH="$TMP/p/mq.mdb" MQ_DATABASE_ADDRESS="$DB" "$MQ" "$@"; }

cluster_keys
mkdir -p "$TMP/p"
P repair-database >/dev/null 2>&1
P set locals type=domain address=first.example >/dev/null ||
	fail "a write through SQL on the primary"
primary_start MQ_DATABASE_ADDRESS="$DB" || { fail "primary starts"; finish; }
replica_start r1 MQ_DATABASE_ADDRESS="$DB" || { fail "replica 1 starts"; finish; }
replica_start r2 MQ_DATABASE_ADDRESS="$DB" || { fail "replica 2 starts"; finish; }
wait_seq r1 "$(store_seq p)" 20 && wait_seq r2 "$(store_seq p)" 20 ||
	fail "replicas catch up"

before=$(store_seq p)
sqlite3 "$TMP/mail.db" "INSERT INTO locals (type, address) VALUES ('domain', 'from-sql.example')"
MQ_STORE_PATH="$TMP/p/mq.mdb" "$MQ" reload >/dev/null
wait_seq p $((before + 1)) 20 || fail "the primary loads the row"
check "the loaded row reaches replica 1" wait_seq r1 "$(store_seq p)" 5
check "and replica 2" wait_seq r2 "$(store_seq p)" 5
MQ_STORE_PATH="$TMP/r1/mq.mdb" "$MQ" get locals address=from-sql.example > "$TMP/row"
expect_grep "the replica holds the SQL row" "from-sql.example" "$TMP/row"
kill -HUP "$R_PID"
sleep 0.5
expect_grep "a replica does not load from SQL" "a replica follows its primary, which alone loads from SQL" "$TMP/r2.log"
code=$(curl -s -o /dev/null -w '%{http_code}' "$R_URL/health")
expect_eq "a replica with the same database-address is healthy" 200 "$code"
same_dump "replica and primary dump the same" p r1
finish
