#!/usr/bin/env bash
# NAME
#	sync_outage.sh - an SQL server that stops in the middle of a sync
# DESCRIPTION
#	On a PRIVATE PostgreSQL and a PRIVATE MariaDB (tests/lib/servers.sh,
#	never the shared ones): a list of many rows is synced with
#	--from-sql and the server is killed while the sync runs: killed
#	while the sync reads SQL, exit 75 and the store exactly as before
#	(sequence and row count); killed once it has read SQL (it then
#	needs the server no more), exit 0 with every row; a sync
#	against the stopped server exits 75 too; a write-through mq set
#	exits 75 and changes neither side; after a restart on the same
#	port the next sync completes.  The messages never hold the
#	password.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

ROWS=${MQ_TEST_OUTAGE_ROWS:-300000}
chmod 0711 "$TMP"	# the postgres user must get through

seq_of() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

count_of() {
	"$MQ" stat | awk -v t="$1" '$1 == t { print $2 }'
}

pg_sql() {
	PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
		-p "$PG_PORT" -U "$TEST_DB_USER" -d "$TEST_DB_NAME" -c "$1"
}

maria_sql() {
	mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u "$TEST_DB_USER" \
		-p"$TEST_DB_PASSWORD" "$TEST_DB_NAME" -e "$1"
}

# sessions LABEL - the server's sessions of the test database but this one
sessions() {
	case $1 in
	pgsql) PGPASSWORD=$TEST_DB_PASSWORD psql -X -A -t -h 127.0.0.1 \
		-p "$PG_PORT" -U "$TEST_DB_USER" -d "$TEST_DB_NAME" -c \
		"SELECT count(*) FROM pg_stat_activity
		 WHERE datname = current_database() AND pid <> pg_backend_pid()" ;;
	mysql) mariadb --no-defaults -N -h 127.0.0.1 -P "$MYSQL_PORT" \
		-u "$TEST_DB_USER" -p"$TEST_DB_PASSWORD" "$TEST_DB_NAME" -e \
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST
		 WHERE DB = DATABASE() AND ID <> CONNECTION_ID()" ;;
	esac 2>/dev/null
}

# in_session LABEL PID - until the sync PID has its session (10 s at most)
in_session() {
	for _ in $(seq 1 500); do
		[ "$(sessions "$1")" -gt 0 ] 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.02
	done
}

# outage LABEL URL FILL STOP RESTART - the whole story on one engine
outage() {
	local label=$1 url=$2 fill=$3 stop=$4 restart=$5 seq count pid status
	export MQ_STORE_PATH=$TMP/$label.mdb MQ_DATABASE_ADDRESS=$url
	"$MQ" list-create big > /dev/null
	check "$label: --to-sql creates the tables" "$MQ" sync --to-sql
	$fill "INSERT INTO mtanames (localip, hostname) VALUES ('192.0.2.1', 'before')"
	check "$label: a first sync" "$MQ" sync --from-sql
	$fill "$(fill_sql "$label")"
	seq=$(seq_of)
	count=$(count_of big)

	"$MQ" sync --from-sql > "$TMP/sync.out" 2>&1 &
	pid=$!
	# Stop the server once the sync has its session, not after a fixed
	# time: on a fast machine the sync of ROWS rows takes well under 1 s.
	in_session "$label" "$pid"
	if kill -0 "$pid" 2>/dev/null; then
		ok "$label: the sync still runs when the server is stopped"
	else
		fail "$label: the sync still runs when the server is stopped" \
			"it finished before its session was seen"
	fi
	$stop
	wait "$pid"
	status=$?
	# The sync reads SQL whole before it writes the store: a stop that
	# comes while it reads fails it (75, the store untouched); one that
	# comes once it has read lets it finish (0, every row).  Never a part.
	case $status in
	75)
		ok "$label: the sync stopped while it read SQL exits 75"
		expect_grep "$label: and says why" "^mq: sync --from-sql: sql:" "$TMP/sync.out"
		expect_eq "$label: the sequence did not move" "$seq" "$(seq_of)"
		expect_eq "$label: the list is as it was" "$count" "$(count_of big)"
		;;
	0)
		ok "$label: the sync had read SQL before the stop: it completed"
		expect_grep "$label: and says so" "^big: $ROWS inserted" "$TMP/sync.out"
		expect_eq "$label: with every row" "$ROWS" "$(count_of big)"
		check "$label: and the store verifies" "$MQ" verify
		seq=$(seq_of)
		;;
	*)
		fail "$label: the interrupted sync exits 75, or 0 having read SQL" \
			"exit status $status"
		;;
	esac
	expect_no_grep "$label: without the password" "$TEST_DB_PASSWORD" "$TMP/sync.out"

	expect_status "$label: a sync with the server down exits 75" 75 "$MQ" sync --from-sql
	expect_status "$label: a write-through set exits 75" 75 \
		"$MQ" set mtanames localip=192.0.2.1 hostname=during
	expect_eq "$label: and the store keeps the old value" "before" \
		"$("$MQ" get mtanames localip=192.0.2.1 | tail -n 1 | cut -f 2)"
	expect_eq "$label: nothing moved" "$seq" "$(seq_of)"

	check "$label: the server restarts" $restart
	check "$label: the next sync completes" "$MQ" sync --from-sql
	expect_eq "$label: with every row" "$ROWS" "$(count_of big)"
	expect_eq "$label: SQL kept the old value too" "before" \
		"$("$MQ" get mtanames localip=192.0.2.1 | tail -n 1 | cut -f 2)"
}

# fill_sql LABEL - the rows, committed to the OS before they are answered:
# the test servers write their log lazily (synchronous_commit off,
# InnoDB's log once a second), and the server is killed right after.
fill_sql() {
	case $1 in
	pgsql) echo "SET synchronous_commit = on;
		     INSERT INTO big (hash, address, domain)
		     SELECT g % 53, 'user' || g || '@example.org', 'org'
		     FROM generate_series(1, $ROWS) g" ;;
	mysql) echo "SET GLOBAL innodb_flush_log_at_trx_commit = 2;
		     INSERT INTO big (hash, address, domain)
		     SELECT seq % 53, CONCAT('user', seq, '@example.org'), 'org'
		     FROM seq_1_to_$ROWS" ;;
	esac
}

if pg_start "$TMP/pg" > "$TMP/pg.log" 2>&1; then
	at_exit 'pg_stop "$TMP/pg"'
	outage pgsql "$PG_URL" pg_sql \
		"pg_down $TMP/pg" "pg_up $TMP/pg"
else
	fail "a private postgresql starts" "$(tail -n 5 "$TMP/pg.log")"
fi
if maria_start "$TMP/maria" > "$TMP/maria.log" 2>&1; then
	at_exit 'maria_stop "$TMP/maria"'
	outage mysql "$MYSQL_URL" maria_sql \
		"maria_down $TMP/maria" "maria_up $TMP/maria"
else
	fail "a private mariadb starts" "$(tail -n 5 "$TMP/maria.log")"
fi
finish
