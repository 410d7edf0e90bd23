#!/usr/bin/env bash
# NAME
#	sync_serve.sh - mq serve loading from SQL: database-ttl, SIGHUP,
#	mq reload, an SQL server that goes away and comes back
# DESCRIPTION
#	Against a PRIVATE PostgreSQL (so it can be stopped): mq serve
#	loads at start; with database-ttl: 1 a change made by psql is in
#	the store within 2 s; the host's addresses reach ips through SQL;
#	mq reload makes it reload at once; with the
#	server stopped the failed reloads are logged without the password
#	and the store keeps the last good data; when the server returns
#	the next reload picks up a change.  The pid file is mode 0600 and
#	removed at exit; mq reload without a serve exits 1.  On SQLite,
#	mq serve --repair-database creates the tables before loading.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

chmod 0711 "$TMP"	# the postgres user must get through

pg_sql() {
	local sql=$1
	shift
	PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
		-p "$PG_PORT" -U "$TEST_DB_USER" -d "$TEST_DB_NAME" "$@" -c "$sql"
}

hostname_of() {
	"$MQ" get mtanames localip="$1" 2>/dev/null | tail -n 1 | cut -f 2
}

# within SECONDS IP VALUE - poll until the store has VALUE; elapsed ms
within() {
	local start end
	start=$(date +%s%N)
	while [ "$(hostname_of "$2")" != "$3" ]; do
		end=$(date +%s%N)
		[ $(((end - start) / 1000000)) -gt $(($1 * 1000)) ] && return 1
		sleep 0.05
	done
	return 0
}

# wait_log REGEX - until the serve log has a line matching (10 s)
wait_log() {
	for _ in $(seq 1 100); do
		grep -Eq -- "$1" "$TMP/serve.log" && return 0
		sleep 0.1
	done
	return 1
}

# wait_sql SQL VALUE - until psql's answer is VALUE (10 s)
wait_sql() {
	for _ in $(seq 1 100); do
		[ "$(pg_sql "$1" -A -t 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

serve_checks() {
	export MQ_STORE_PATH=$TMP/serve.mdb MQ_DATABASE_ADDRESS=$PG_URL MQ_DATABASE_TTL=1
	check "tables created" "$MQ" sync --to-sql
	pg_sql "INSERT INTO mtanames VALUES ('192.0.2.1', 'start')"
	"$MQ" serve 2> "$TMP/serve.log" &
	SERVE=$!
	at_exit "kill $SERVE 2>/dev/null"
	check "serve loads at start" wait_log "load: from-sql: .* 1 changed"
	expect_eq "the row is in the store" "start" "$(hostname_of 192.0.2.1)"
	check "serve writes the host's addresses through SQL into ips" \
		wait_sql "SELECT ip FROM ips WHERE ip = '127.0.0.1'" 127.0.0.1
	check "and into the store" "$MQ" get ips ip=127.0.0.1
	check "the pid file holds serve's pid" grep -qx "$SERVE" "$TMP/serve.mdb.pid"
	expect_eq "the pid file is mode 0600" 600 "$(stat -c %a "$TMP/serve.mdb.pid")"

	pg_sql "INSERT INTO mtanames VALUES ('192.0.2.2', 'ttl')"
	check "database-ttl 1: psql's insert is in the store within 2 s" \
		within 2 192.0.2.2 ttl

	check "mq reload finds the serve" "$MQ" reload
	check "and it reloads" wait_log "reload \(SIGHUP\)"

	check "the server stops, its port held" pg_down "$TMP/pg"
	check "with the server stopped, a reload fails and is logged" \
		wait_log "load from SQL failed, keeping the last good data"
	sleep 1.5
	check "serve keeps running" kill -0 "$SERVE"
	expect_eq "and the store keeps the last good data" "ttl" "$(hostname_of 192.0.2.2)"
	expect_no_grep "the log never holds the password" "$TEST_DB_PASSWORD" "$TMP/serve.log"

	check "the server returns on its port" pg_up "$TMP/pg"
	pg_sql "UPDATE mtanames SET hostname = 'back' WHERE localip = '192.0.2.2'"
	check "when the server returns, the change is in within 2 s" \
		within 2 192.0.2.2 back

	kill -TERM "$SERVE"
	wait "$SERVE"
	expect_eq "SIGTERM stops serve with 0" 0 "$?"
	check "the pid file is removed" test ! -e "$TMP/serve.mdb.pid"
	expect_status "mq reload without a serve exits 1" 1 "$MQ" reload
	expect_grep "saying so" "no mq serve runs" "$TMP/last.out"
}

repair_checks() {
	export MQ_STORE_PATH=$TMP/repair.mdb MQ_DATABASE_ADDRESS=sqlite://$TMP/new.sqlite
	unset MQ_DATABASE_TTL
	"$MQ" serve --repair-database 2> "$TMP/serve.log" &
	SERVE=$!
	check "serve --repair-database creates the tables, then loads" \
		wait_log "load: from-sql: 20 tables"
	expect_grep "logging what it ran" "repair-database: CREATE TABLE" "$TMP/serve.log"
	kill -TERM "$SERVE"
	wait "$SERVE"
	expect_eq "and stops with 0" 0 "$?"
}

if pg_start "$TMP/pg" > "$TMP/pg.log" 2>&1; then
	at_exit 'pg_stop "$TMP/pg"'
	serve_checks
else
	fail "a private postgresql starts" "$(tail -n 5 "$TMP/pg.log")"
fi
repair_checks
finish
