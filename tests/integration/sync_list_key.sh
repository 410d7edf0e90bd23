#!/usr/bin/env bash
# NAME
#	sync_list_key.sh - a list's secret key survives a table briefly
#	missing from SQL (SQLite and PostgreSQL)
# DESCRIPTION
#	With SQL authoritative, a list made by mq has a random secret key
#	that SQL has no column for.  Its T_slog is moved away by hand
#	(ALTER TABLE ... RENAME): a sync from SQL must then fail naming the
#	table (exit 65) and leave the list as stored, rather than drop it
#	and, once the table is back, make it again with a new key (every
#	cookie changed).  The key is compared as the bytes `mq export
#	ezmlm` writes to DIR/key and through `mq cookie` of the same
#	message.  When the main table T itself is gone the list is
#	dropped, and that is said as a warning naming the list: by mq
#	sync on stderr, and by mq serve's load in its log (SQLite).
#	Needs MQ_TEST_PG_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"
. "$REPO/tests/lib/serve.sh"

DBNAME=sync_list_key_$$
export MQ_STORE_PATH
export LC_ALL=C

# key_of T - the list's secret key, as the hex of DIR/key of an export
key_of() {
	rm -rf "$TMP/export"
	"$MQ" export ezmlm "$1" "$TMP/export" > /dev/null 2>&1 &&
		od -An -tx1 -v "$TMP/export/key" | tr -d ' \n'
}

one_engine() {
	local e=$1 key0 cookie0
	engine_setup "$e" || { fail "$e: a database"; return; }
	MQ_STORE_PATH=$TMP/$e.mdb
	export MQ_DATABASE_ADDRESS=$URL
	check "$e: repair-database makes the MailerQ tables" "$MQ" repair-database
	check "$e: list-create team (SQL first)" "$MQ" list-create team
	check "$e: sub" "$MQ" sub team alice@example.org
	key0=$(key_of team)
	cookie0=$("$MQ" cookie team 1 sender@example.org)
	[ -n "$key0" ] && [ -n "$cookie0" ] && ok "$e: a key and a cookie" ||
		fail "$e: a key and a cookie" "key '$key0' cookie '$cookie0'"

	q "ALTER TABLE team_slog RENAME TO team_slog_away"
	expect_status "$e: T_slog missing: --from-sql fails, exit 65" 65 "$MQ" sync --from-sql
	expect_grep "$e: the message names team_slog" "table team_slog is missing" "$TMP/last.out"
	expect_eq "$e: the list is still in the store" "alice@example.org" \
		"$("$MQ" dump team | awk -F'\t' 'NR == 2 { print $2 }')"
	expect_eq "$e: with the same key" "$key0" "$(key_of team)"

	q "ALTER TABLE team_slog_away RENAME TO team_slog"
	check "$e: T_slog back: --from-sql" "$MQ" sync --from-sql
	expect_grep "$e: no list created or dropped" "0 lists created, 0 dropped" "$TMP/last.out"
	expect_eq "$e: after its return: the same key" "$key0" "$(key_of team)"
	expect_eq "$e: the same cookie for the same message" "$cookie0" \
		"$("$MQ" cookie team 1 sender@example.org 2>&1)"

	# T gone: the list is gone from SQL, and the store follows, loudly.
	q "ALTER TABLE team RENAME TO team_away"
	check "$e: T missing: --from-sql" "$MQ" sync --from-sql
	expect_grep "$e: a warning names the list dropped" "^mq: warning: from-sql: 1 list dropped: team$" "$TMP/last.out"
	expect_status "$e: the list is gone from the store" 65 "$MQ" dump team
	unset MQ_DATABASE_ADDRESS
}

one_engine sqlite
[ -n "${MQ_TEST_PG_URL:-}" ] && one_engine pgsql ||
	skip "pgsql: the list key survives" "no PostgreSQL (MQ_TEST_PG_URL)"

# mq serve: a load that drops a list logs it at warning level.
MQ_STORE_PATH=$TMP/mq.mdb
rm -f "$TMP/db.sqlite"
engine_setup sqlite
check "serve: repair-database" env MQ_DATABASE_ADDRESS="$URL" "$MQ" repair-database
check "serve: list-create crew" env MQ_DATABASE_ADDRESS="$URL" "$MQ" list-create crew
if serve_start "$TMP/serve.log" MQ_DATABASE_ADDRESS="$URL"; then
	q "ALTER TABLE crew_slog RENAME TO crew_slog_away"
	check "serve: mq reload" "$MQ" reload
	for _ in $(seq 1 100); do
		grep -q "load from SQL failed" "$TMP/serve.log" && break
		sleep 0.1
	done
	expect_grep "serve: a missing T_slog fails the load, naming it" \
		"table crew_slog is missing" "$TMP/serve.log"
	q "ALTER TABLE crew RENAME TO crew_away"
	check "serve: mq reload" "$MQ" reload
	for _ in $(seq 1 100); do
		grep -q "list dropped" "$TMP/serve.log" && break
		sleep 0.1
	done
	expect_grep "serve: the drop is logged at warning level" \
		"warning: load: from-sql: 1 list dropped: crew$" "$TMP/serve.log"
	serve_stop
else
	skip "serve: the drop is logged at warning level" "mq serve did not start"
fi

finish
