#!/usr/bin/env bash
# NAME
#	sql_primary_keys.sh - every table mq creates has a primary key
# DESCRIPTION
#	mq gives T_slog (every engine) and MySQL's address tables an
#	auto-increment column id as their primary key.
#	- MariaDB with innodb_force_primary_key=ON (a PRIVATE server,
#	  tests/lib/servers.sh, started with the option) creates a list's
#	  tables and writes a subscriber through them.
#	- PostgreSQL with a publication FOR ALL TABLES (made by the
#	  superuser in a throwaway database): sync --to-sql deletes a slog
#	  row SQL has and the store has not (without a key: "does not have
#	  a replica identity").
#	- A database made before (no id; here the column dropped):
#	  check-database names the table without a primary key and stays
#	  valid (exit 0, as for ezmlm-idx's own tables), repair-database
#	  adds the key, sync --to-sql does not (it never alters a table).
#	- Write-through inserts into a table with an auto-increment id
#	  take one id each (none burnt by an update), from the command line
#	  and through mq serve's API: POST /v1/tables of one row and of a
#	  batch (new rows and updates mixed), MailerQ's /v1/pauses (new and
#	  again), and subscribers POSTed to a list made by POST /v1/lists
#	  (its slog's ids, one a subscriber added or removed).
#	- The real ezmlm-idx 7 (the peer tests/lib/ezmlm_peer.sh builds
#	  into build/peers) subscribes, lists and unsubscribes through
#	  tables mq made with the id, on SQLite, PostgreSQL and MariaDB.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"
. "$REPO/tests/lib/servers.sh"
. "$REPO/tests/lib/ezmlm_peer.sh"
. "$REPO/tests/lib/serve.sh"

DBNAME=sqlpk_$$
ezmlm_peer

# ezmlm_spec - ezmlm-make -6's plugin:host:port:user:password:db:table
ezmlm_spec() {
	case $ENGINE in
	sqlite) echo "sqlite3:::::$TMP/db:ml" ;;
	pgsql) echo "pgsql:127.0.0.1:$MQ_TEST_PG_PORT:$DBUSER:$PW:$DBNAME:ml" ;;
	mysql) echo "mysql:127.0.0.1:$MQ_TEST_MYSQL_PORT:$DBUSER:$PW:$DBNAME:ml" ;;
	esac
}

# with_ezmlm - ezmlm-idx 7's own statements on the tables mq made
with_ezmlm() {
	local dir=$TMP/$ENGINE-list B=$EZ/bin
	if [ ! -x "$B/ezmlm-sub" ]; then
		skip "$ENGINE: ezmlm-idx 7" "$EZ_ABSENT"
		return
	fi
	# ezmlm-idx's SQLite plugin adds ".db" to the name it is given
	[ "$ENGINE" = sqlite ] && ln -s "$TMP/db.sqlite" "$TMP/db.db"
	check "$ENGINE: ezmlm-make -6 takes mq's tables" "$B/ezmlm-make" -6 \
		"$(ezmlm_spec)" "$dir" "$TMP/$ENGINE-dot" ml lists.example
	check "$ENGINE: ezmlm-sub" "$B/ezmlm-sub" "$dir" ez.one@example.org ez.two@example.org
	check "$ENGINE: ezmlm-unsub" "$B/ezmlm-unsub" "$dir" ez.two@example.org
	expect_eq "$ENGINE: ezmlm-list" "ez.one@example.org mq.one@example.org" \
		"$("$B/ezmlm-list" "$dir" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
	check "$ENGINE: ezmlm-issubn" env SENDER=ez.one@example.org "$B/ezmlm-issubn" "$dir"
	expect_eq "$ENGINE: ezmlm's slog lines have ids" 0 \
		"$(q "SELECT count(*) FROM ml_slog WHERE id IS NULL")"
	check "$ENGINE: mq loads what ezmlm wrote" "$MQ" sync --from-sql --address "$URL"
	expect_eq "$ENGINE: mq list" "ez.one@example.org mq.one@example.org" \
		"$("$MQ" list ml | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
}

every_engine() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	check "$ENGINE: a list" "$MQ" list-create ml
	check "$ENGINE: its tables" "$MQ" sync --to-sql --address "$URL"
	check "$ENGINE: a subscriber written through" env MQ_DATABASE_ADDRESS="$URL" \
		"$MQ" sub ml mq.one@example.org
	expect_eq "$ENGINE: ml_slog's id numbers its rows" 1 "$(q "SELECT max(id) FROM ml_slog")"
	check "$ENGINE: check-database" "$MQ" check-database --address "$URL"
	expect_no_grep "$ENGINE: id is not called extra" "column id" "$TMP/last.out"
	check "$ENGINE: a second sync --to-sql" "$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: finds nothing to do (id is SQL's alone)" "nothing to do" "$TMP/last.out"
	# Write-through inserts take one id each, conflicts and updates none.
	local d
	for d in one two one three; do
		env MQ_DATABASE_ADDRESS="$URL" "$MQ" set capacity domain=$d.example >/dev/null 2>&1 ||
			fail "$ENGINE: set capacity domain=$d.example"
	done
	env MQ_DATABASE_ADDRESS="$URL" "$MQ" set capacity id=1 domain=first.example >/dev/null 2>&1
	env MQ_DATABASE_ADDRESS="$URL" "$MQ" set capacity domain=five.example >/dev/null 2>&1
	expect_eq "$ENGINE: capacity ids written through are consecutive" "1 2 3 4 5" \
		"$(q "SELECT id FROM capacity ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
	api_ids
	with_ezmlm
}

# ids - a table's ids in order, on one line
ids() { q "SELECT id FROM $1 ORDER BY id" | tr '\n' ' ' | sed 's/ $//'; }

# api METHOD PATH BODY - mq serve's status code ($API: serve's URL)
api() {
	curl -s -o /dev/null -w '%{http_code}' -X "$1" \
		-H "Authorization: Bearer pk-$$" "$API$2" -d "$3"
}

# api_ids - the same through mq serve's API: one id per new row
api_ids() {
	local db=$URL
	serve_start "$TMP/serve-$ENGINE.log" MQ_STORE_PATH="$MQ_STORE_PATH" \
		MQ_DATABASE_ADDRESS="$db" MQ_WWW_TOKEN="pk-$$" ||
		{ fail "$ENGINE: mq serve starts"; URL=$db; return; }
	API=$URL URL=$db	# serve.sh's URL is serve's; engines.sh's SQL's
	expect_eq "$ENGINE: API: POST a capacity row" 201 \
		"$(api POST /v1/tables/capacity '{"domain":"six.example"}')"
	expect_eq "$ENGINE: API: POST a batch, an update among new rows" 201 \
		"$(api POST /v1/tables/capacity '[{"domain":"seven.example"},{"id":2,"domain":"two.example"},{"domain":"eight.example"}]')"
	expect_eq "$ENGINE: API: POST the same key again (an update)" 200 \
		"$(api POST /v1/tables/capacity '{"id":6,"domain_maxmessages":7}')"
	expect_eq "$ENGINE: API: POST a capacity row after them" 201 \
		"$(api POST /v1/tables/capacity '{"domain":"nine.example"}')"
	expect_eq "$ENGINE: capacity ids written through the API are consecutive" \
		"1 2 3 4 5 6 7 8 9" "$(ids capacity)"
	expect_eq "$ENGINE: API: POST /v1/pauses, a new pause" 201 \
		"$(api POST /v1/pauses '{"domain":"a.example","tag":"t"}')"
	expect_eq "$ENGINE: API: the same pause again" 200 \
		"$(api POST /v1/pauses '{"domain":"a.example","tag":"t","expire":"2040-01-01 00:00:00"}')"
	expect_eq "$ENGINE: API: another pause" 201 \
		"$(api POST /v1/pauses '{"domain":"b.example"}')"
	expect_eq "$ENGINE: paused ids are consecutive" "1 2" "$(ids paused)"
	expect_eq "$ENGINE: API: a list" 201 "$(api POST /v1/lists '{"name":"api"}')"
	expect_eq "$ENGINE: API: subscribe two" 200 \
		"$(api POST /v1/lists/api/subscribers '{"addresses":["api.one@example.org","api.two@example.org"]}')"
	expect_eq "$ENGINE: API: one of them again, and a third" 200 \
		"$(api POST /v1/lists/api/subscribers '{"addresses":["api.one@example.org","api.three@example.org"]}')"
	expect_eq "$ENGINE: API: unsubscribe one" 200 \
		"$(api DELETE '/v1/lists/api/subscribers?address=api.two@example.org' '')"
	expect_eq "$ENGINE: api_slog ids are consecutive" "1 2 3 4" "$(ids api_slog)"
	serve_stop || fail "$ENGINE: mq serve stops with 0"
}

# A database from before: no key on ml_slog.  Not SQLite (rowid).
older_database() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb	# with ml, which --to-sql keeps
	check "$ENGINE: old: a list" "$MQ" list-create old
	check "$ENGINE: old: its tables" "$MQ" sync --to-sql --address "$URL"
	check "$ENGINE: old: without the key" q "ALTER TABLE old_slog DROP COLUMN id"
	check "$ENGINE: old: check-database stays valid" "$MQ" check-database --address "$URL"
	expect_grep "$ENGINE: old: and names the table without a primary key" \
		"table old_slog: no primary key" "$TMP/last.out"
	check "$ENGINE: old: sync --to-sql" "$MQ" sync --to-sql --address "$URL"
	expect_eq "$ENGINE: old: does not add it" 0 \
		"$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'old_slog'
		      AND column_name = 'id' AND table_schema = $([ "$ENGINE" = mysql ] && echo 'DATABASE()' || echo 'current_schema()')")"
	check "$ENGINE: old: repair-database" "$MQ" repair-database --yes --address "$URL"
	expect_grep "$ENGINE: old: adds the key" "ALTER TABLE .old_slog. ADD COLUMN .id." "$TMP/last.out"
	check "$ENGINE: old: check-database" "$MQ" check-database --address "$URL"
	expect_no_grep "$ENGINE: old: finds every key" "no primary key" "$TMP/last.out"
}

# PostgreSQL: a publication of every table; --to-sql deletes a slog row.
publication() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$MQ_TEST_PG_SOCKDIR" -p "$MQ_TEST_PG_PORT" \
		-U postgres -d "$DBNAME" -c "CREATE PUBLICATION every FOR ALL TABLES" \
		>"$TMP/pub.out" 2>&1 || { fail "pgsql: a publication" "$(cat "$TMP/pub.out")"; return; }
	ok "pgsql: a publication FOR ALL TABLES"
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	check "pgsql: a slog row the store has not" \
		q "INSERT INTO ml_slog (address, edir, etype) VALUES ('gone@example.org', '+', 'S')"
	check "pgsql: sync --to-sql deletes it" "$MQ" sync --to-sql --address "$URL"
	expect_eq "pgsql: it is gone" 0 "$(q "SELECT count(*) FROM ml_slog WHERE address = 'gone@example.org'")"
}

for e in sqlite pgsql mysql; do
	case $e in
	pgsql) [ -n "${MQ_TEST_PG_URL:-}" ] || { skip "$e" "MQ_TEST_PG_URL not set"; continue; } ;;
	mysql) [ -n "${MQ_TEST_MYSQL_URL:-}" ] || { skip "$e" "MQ_TEST_MYSQL_URL not set"; continue; } ;;
	esac
	engine_setup "$e" || { fail "$e: create a database"; continue; }
	every_engine
	[ "$e" = sqlite ] || older_database
	[ "$e" = pgsql ] && publication
done

# MariaDB that refuses tables without a primary key.
MARIA_ARGS="--innodb-force-primary-key=ON"
if maria_start "$TMP/maria" >"$TMP/maria.log" 2>&1; then
	at_exit 'maria_stop "$TMP/maria"'
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -u root -N -B \
		-e "SELECT @@innodb_force_primary_key" >"$TMP/force" 2>&1
	expect_eq "mariadb: innodb_force_primary_key is on" 1 "$(cat "$TMP/force")"
	export MQ_STORE_PATH=$TMP/force.mdb
	check "mariadb, forced keys: a list" "$MQ" list-create forced
	check "mariadb, forced keys: its tables" "$MQ" sync --to-sql --address "$MYSQL_URL"
	check "mariadb, forced keys: a subscriber written through" \
		env MQ_DATABASE_ADDRESS="$MYSQL_URL" "$MQ" sub forced one@example.org
else
	fail "a private mariadb with innodb_force_primary_key starts" "$(tail -n 5 "$TMP/maria.log")"
fi
finish
