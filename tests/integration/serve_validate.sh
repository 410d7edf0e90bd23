#!/usr/bin/env bash
# NAME
#	serve_validate.sh - database-validate: mq serve does not start on tables that do not validate
# DESCRIPTION
#	The MailerQ seed: the tables are checked at start; "if this test
#	fails, MailerQ does not start and reports an error instead", and
#	database-validate: false skips the check.  With a column missing
#	from capacity, mq serve exits 64 at once, logging the problem by
#	table and column and saying how to go on; with validation off it
#	starts; a database that cannot be reached is no verdict (serve
#	starts on the store and its loads retry); valid tables start.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

DB=$TMP/db.sqlite
export MQ_DATABASE_ADDRESS=sqlite://$DB
check "the tables" "$MQ" repair-database --yes
sqlite3 "$DB" 'ALTER TABLE capacity DROP COLUMN secure' || fail "drop a column by hand"

MQ_STORE_PATH=$TMP/mq.mdb MQ_WWW_PORT=0 timeout 20 "$MQ" serve 2>"$TMP/refused.log"
expect_eq "mq serve on a table missing a column exits 64" 64 "$?"
expect_grep "logging the problem by table and column" \
	'database-validate: table capacity: column secure: missing' "$TMP/refused.log"
expect_grep "and that it does not start, and how to go on" \
	'mq serve does not start; mq repair-database fixes them, database-validate: false skips' \
	"$TMP/refused.log"

serve_start "$TMP/off.log" MQ_DATABASE_VALIDATE=false ||
	fail "with database-validate: false it starts"
check "and keeps running" kill -0 "$SERVE_PID"
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
