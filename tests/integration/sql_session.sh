#!/usr/bin/env bash
# NAME
#	sql_session.sh - mq serve's one SQL session through an SQL outage
# DESCRIPTION
#	mq serve on a PRIVATE PostgreSQL (tests/lib/servers.sh, so it can
#	be stopped; the shared one stays up) takes API writes
#	(POST /v1/tables/locals): one connection (one backend pid in
#	pg_stat_activity) serves the load at start and every write.  With
#	the server stopped, every write answers 503 within 1 s, one after
#	another and eight at once, some with "database unreachable
#	(retrying ...)", none with the password, and nothing reaches the
#	store (sequence and row count unchanged).  Once the server is back
#	on its port, a write succeeds within 2 s and is in SQL and in the
#	store.  No request comes near the 10 s request timeout.  While the
#	server is down its port is held (pg_down, port_hang), so that
#	nothing else takes it and the server comes back there (pg_up).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/servers.sh"
. "$REPO/tests/lib/serve.sh"

chmod 0711 "$TMP"	# the postgres user must get through
TOKEN=session-test-token

pg_sql() {
	PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -A -t -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PG_PORT" -U "$TEST_DB_USER" \
		-d "$TEST_DB_NAME" -c "$1"
}

# mq_pids - the backend pids of mq's connections, one line
mq_pids() {
	pg_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'mq'
		ORDER BY pid" | tr '\n' ' ' | sed 's/ $//'
}

# post ADDRESS OUT - one write; "CODE MILLISECONDS" to stdout, body in OUT
post() {
	curl -s -o "$2" -w '%{http_code} %{time_total}\n' --max-time 10 \
		-X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' \
		-d "{\"type\": \"domain\", \"address\": \"$1\"}" \
		"$URL/v1/tables/locals" |
		awk '{ printf "%s %d\n", $1, $2 * 1000 }'
}

# listening PORT - until something listens on 127.0.0.1:PORT (5 s)
listening() {
	for _ in $(seq 1 50); do
		ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}

seq_of() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

locals_count() {
	"$MQ" stat | awk '$1 == "locals" { print $2 }'
}

# check_answers NAME FILE - every "CODE MS" line of FILE is 503 within 1 s
check_answers() {
	local bad
	bad=$(awk '$1 != 503 || $2 >= 1000' "$2")
	if [ -s "$2" ] && [ -z "$bad" ]; then
		ok "$1"
	else
		fail "$1" "answers not 503 within 1 s (code ms):" "$bad"
	fi
}

if ! pg_start "$TMP/pg" > "$TMP/pg.log" 2>&1; then
	fail "a private postgresql starts" "$(tail -n 5 "$TMP/pg.log")"
	finish
fi
at_exit 'pg_stop "$TMP/pg"'
export MQ_STORE_PATH=$TMP/mq.mdb MQ_DATABASE_ADDRESS=$PG_URL
check "the tables are created in SQL" "$MQ" sync --to-sql
serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN" || finish

# One session: the load at start and the writes share one backend.
expect_eq "a write through SQL" "201" "$(post one.example "$TMP/body" | cut -d' ' -f1)"
PIDS=$(mq_pids)
expect_eq "one connection to the database" 1 "$(echo "$PIDS" | wc -w)"
expect_eq "a second write" "201" "$(post two.example "$TMP/body" | cut -d' ' -f1)"
expect_eq "uses the same connection (backend ${PIDS:-none})" "${PIDS:-none}" \
	"$(mq_pids)"

SEQ=$(seq_of)
COUNT=$(locals_count)
check "the server stops, its port held" pg_down "$TMP/pg"

# serial_writes NAME FILE - twelve writes, one after another
serial_writes() {
	: > "$2"
	for i in $(seq 1 12); do
		post "$1$i.example" "$TMP/$1$i.body" >> "$2"
		sleep 0.15
	done
}

# The outage, first a stopped server (connections refused).
serial_writes down "$TMP/serial"
check_answers "server stopped: each write answers 503 within 1 s" "$TMP/serial"
check "some at once as 'database unreachable (retrying ...)'" \
	grep -l "database unreachable (retrying" "$TMP"/down*.body
BURST=()
for i in $(seq 1 8); do
	post "burst$i.example" "$TMP/burst$i.body" > "$TMP/burst$i" &
	BURST+=($!)
done
wait "${BURST[@]}"	# not serve, which runs on
cat "$TMP"/burst? > "$TMP/burst"
check_answers "eight writes at once: each 503 within 1 s" "$TMP/burst"

# Then a server that accepts connections but never answers, as one that
# hangs or sits behind a network dropping its replies: no write may
# wait for the connect timeout (5 s).
port_hang "$TMP/pg"
check "a server that never answers holds the port" listening "$PG_PORT"
serial_writes hung "$TMP/hung"
check_answers "server hung: each write answers 503 within 1 s" "$TMP/hung"

if grep -l "$TEST_DB_PASSWORD" "$TMP"/*.body "$TMP/serve.log" > /dev/null; then
	fail "no answer or log line holds the password"
else
	ok "no answer or log line holds the password"
fi
expect_eq "the store's sequence did not move" "$SEQ" "$(seq_of)"
expect_eq "no row reached the store" "$COUNT" "$(locals_count)"

# The server returns: writes work again within 2 s.
check "the server returns on its port" pg_up "$TMP/pg"
START=$(date +%s%N)
CODE=
while [ $(($(date +%s%N) - START)) -lt 5000000000 ]; do
	CODE=$(post back.example "$TMP/body" | cut -d' ' -f1)
	[ "$CODE" = 201 ] && break
	sleep 0.1
done
MS=$((($(date +%s%N) - START) / 1000000))
expect_eq "after the server's return a write succeeds" 201 "$CODE"
if [ "$MS" -lt 2000 ]; then
	ok "within 2 s ($MS ms)"
else
	fail "within 2 s" "it took $MS ms"
fi
expect_eq "the write is in SQL" 1 \
	"$(pg_sql "SELECT count(*) FROM locals WHERE address = 'back.example'")"
expect_eq "and in the store" 1 "$("$MQ" get locals address=back.example | tail -n +2 | wc -l)"
expect_eq "none of the outage's writes is in SQL" 0 \
	"$(pg_sql "SELECT count(*) FROM locals WHERE address NOT IN
		   ('one.example', 'two.example', 'back.example')")"
check "serve stops cleanly" serve_stop
finish
