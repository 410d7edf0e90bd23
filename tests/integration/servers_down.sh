#!/usr/bin/env bash
# NAME
#	servers_down.sh - a private server taken down keeps its port
# DESCRIPTION
#	The helpers of tests/lib/servers.sh that take a test's own
#	server away and bring it back on the same port, as
#	sql_session.sh, sync_serve.sh and sync_outage.sh do.  While the
#	server is down (pg_down, maria_down) a connection to its port is
#	refused, and no other program can bind the port, with or without
#	SO_REUSEADDR (PostgreSQL and MariaDB set it), nor can another
#	PostgreSQL start on it; port_hang makes it accept and never
#	answer.  pg_up and maria_up bring the same server back, its data
#	with it; pg_up fails, naming who has the port, when another
#	program took it.

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"

chmod 0711 "$TMP"	# the postgres user must get through

pg_sql() {
	PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -A -t -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PG_PORT" -U "$TEST_DB_USER" \
		-d "$TEST_DB_NAME" -c "$1"
}

# down_checks NAME PORT - the port of a server that is down is held
down_checks() {
	expect_eq "$1: a connection is refused" refused \
		"$("$PORT_HOLD" answer "$2" pg)"
	expect_status "$1: a bind with SO_REUSEADDR fails" 1 \
		"$PORT_HOLD" bind "$2" 1
	expect_status "$1: a bind without it fails" 1 "$PORT_HOLD" bind "$2" 0
}

if ! pg_start "$TMP/pg" > "$TMP/pg.log" 2>&1; then
	fail "a private postgresql starts" "$(tail -n 5 "$TMP/pg.log")"
	finish
fi
at_exit 'pg_stop "$TMP/pg"'
pg_sql "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"
expect_eq "postgresql answers on its port" data \
	"$("$PORT_HOLD" answer "$PG_PORT" pg)"
# A closed connection of the server leaves its port in TIME_WAIT, which a
# bind without SO_REUSEADDR cannot pass: the holder must still get in.
PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" \
	-U "$TEST_DB_USER" -d "$TEST_DB_NAME" -c 'SELECT pg_sleep(30)' \
	> /dev/null 2>&1 &
SLEEPER=$!
at_exit "kill $SLEEPER 2>/dev/null"
sleep 0.5

check "pg_down stops the server and holds its port" pg_down "$TMP/pg"
down_checks "postgresql down" "$PG_PORT"
mkdir -m 0700 "$TMP/other" && chown postgres: "$TMP/other" 2>/dev/null
pg_run "$PG_BIN/initdb" -D "$TMP/other/data" -U postgres --auth=trust \
	> "$TMP/initdb.log" 2>&1
expect_status "postgresql down: another postgresql cannot start on its port" 1 \
	pg_run "$PG_BIN/pg_ctl" -D "$TMP/other/data" -l "$TMP/other/server.log" \
	-w -t 30 -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP/other" \
	start
check "port_hang: the held port listens" port_hang "$TMP/pg"
expect_eq "and a connection is accepted and never answered" silence \
	"$("$PORT_HOLD" answer "$PG_PORT" pg)"
expect_status "and still nobody else can bind it" 1 \
	"$PORT_HOLD" bind "$PG_PORT" 1

check "pg_up starts the same server on its port" pg_up "$TMP/pg"
expect_eq "with its data" 7 "$(pg_sql "SELECT n FROM kept")"

# A port taken while nothing held it: pg_up says so.
pg_run "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop > /dev/null
"$PORT_HOLD" take "$PG_PORT" > "$TMP/intruder.out" 2>&1 &
INTRUDER=$!
at_exit "kill $INTRUDER 2>/dev/null"
for _ in $(seq 1 50); do grep -q listening "$TMP/intruder.out" && break; sleep 0.1; done
expect_status "pg_up on a port another program took fails" 1 pg_up "$TMP/pg"
expect_grep "naming the port" "port $PG_PORT" "$TMP/last.out"
kill "$INTRUDER"
wait "$INTRUDER" 2> /dev/null

if ! maria_start "$TMP/maria" > "$TMP/maria.log" 2>&1; then
	fail "a private mariadb starts" "$(tail -n 5 "$TMP/maria.log")"
	finish
fi
at_exit 'maria_stop "$TMP/maria"'
mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u "$TEST_DB_USER" \
	-p"$TEST_DB_PASSWORD" "$TEST_DB_NAME" \
	-e 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)'
sleep 1.5	# innodb-flush-log-at-trx-commit=0 writes the log once a second
check "maria_down kills mariadbd and holds its port" maria_down "$TMP/maria"
down_checks "mariadb down" "$MYSQL_PORT"
check "maria_up starts the same server on its port" maria_up "$TMP/maria"
expect_eq "with its data" 7 "$(mariadb --no-defaults -h 127.0.0.1 \
	-P "$MYSQL_PORT" -u "$TEST_DB_USER" -p"$TEST_DB_PASSWORD" -N \
	"$TEST_DB_NAME" -e 'SELECT n FROM kept')"
finish
