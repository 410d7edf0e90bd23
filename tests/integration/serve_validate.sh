#!/usr/bin/env bash
# NAME
#	serve_validate.sh - database-validate: mq serve does not start on tables that do not validate
# DESCRIPTION
#	The MailerQ seed: the tables are checked at start; "if this test
#	fails, MailerQ does not start and reports an error instead", and
#	database-validate: false skips the check.  With a column missing
#	from capacity, mq serve exits 65 at once, logging the problem by
#	table and column and saying how to go on; with validation off it
#	starts, loads (the missing column read as its default, said once
#	by table and column, also after a reload) and its lookups answer;
#	a database that cannot be reached is no verdict (serve starts on
#	the store and its loads retry); valid tables start.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

DB=$TMP/db.sqlite
export MQ_DATABASE_ADDRESS=sqlite://$DB
check "the tables" "$MQ" repair-database --yes
sqlite3 "$DB" 'ALTER TABLE capacity DROP COLUMN secure' || fail "drop a column by hand"

MQ_STORE_PATH=$TMP/mq.mdb MQ_WWW_PORT=0 timeout 20 "$MQ" serve 2>"$TMP/refused.log"
expect_eq "mq serve on a table missing a column exits 65" 65 "$?"

expect_grep "logging the problem by table and column" \
	'database-validate: table capacity: column secure: missing' "$TMP/refused.log"
expect_grep "and that it does not start, and how to go on" \
	'mq serve does not start; mq repair-database fixes them, database-validate: false skips' \
	"$TMP/refused.log"

sqlite3 "$DB" "INSERT INTO capacity (localip, domain, domain_maxmessages)
	VALUES ('192.0.2.7', 'example.org', 17)" || fail "a capacity row by hand"
serve_start "$TMP/off.log" MQ_DATABASE_VALIDATE=false ||
	fail "with database-validate: false it starts"
check "and keeps running" kill -0 "$SERVE_PID"
loaded() { grep -q 'load: from-sql: ' "$TMP/off.log"; }
for _ in $(seq 1 200); do loaded && break; sleep 0.1; done
check "it loads the table that lacks a column" loaded
expect_grep "saying which column is read as its default" \
	"column missing in SQL, read as the column's default: capacity.secure" \
	"$TMP/off.log"
check "a lookup answers from the loaded row" \
	env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" lookup capacity 192.0.2.7 example.org --json
expect_grep "with its limit" '"domain_maxmessages": *17' "$TMP/last.out"
check "the row as stored" env MQ_STORE_PATH="$TMP/mq.mdb" "$MQ" get capacity --json
expect_grep "holds the missing column's default" '"secure": *-1' "$TMP/last.out"
check "a reload" kill -HUP "$SERVE_PID"
for _ in $(seq 1 200); do
	[ "$(grep -c 'load: from-sql: ' "$TMP/off.log")" -ge 2 ] && break
	sleep 0.1
done
expect_eq "loads again" 2 "$(grep -c 'load: from-sql: ' "$TMP/off.log")"
expect_eq "and says it once only" 1 "$(grep -c 'read as the column' "$TMP/off.log")"
serve_stop

serve_start "$TMP/down.log" \
	MQ_DATABASE_ADDRESS="postgresql://mq:pw@127.0.0.1:1/mq?connect_timeout=1" ||
	fail "a database that cannot be reached: it starts on the store"
expect_grep "saying the loads will retry" 'cannot reach the database' "$TMP/down.log"
serve_stop

check "repair-database puts the column back" "$MQ" repair-database --yes
serve_start "$TMP/valid.log" || fail "valid tables: it starts"
expect_no_grep "no validation problem is logged" 'database-validate: table' "$TMP/valid.log"
serve_stop
finish
