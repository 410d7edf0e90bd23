#!/usr/bin/env bash
# NAME
#	sync_lock.sh - mq sync --from-sql of a big list does not hold up the
#	store's other writers
# DESCRIPTION
#	In a PostgreSQL database of its own, a list of 1,000,000 rows is
#	loaded into a store (mq sync --from-sql), about half of them are
#	changed in SQL, and a second mq sync --from-sql runs in the
#	background while mq serve (on the same store, without a
#	database-address, so it writes the store itself) takes POSTs to
#	/v1/tables/locals, one after the other.  Every POST made while the
#	sync runs must answer within 200 ms, and there must be some; the
#	sync must report the changes; afterwards the store's list equals
#	SQL's rows.  Then mq serve WITH the database-address reloads the
#	1M rows (SIGHUP) while POSTs write through to PostgreSQL: its load
#	reads SQL off the writer, so they too answer within 200 ms.  The
#	1M-row parts use the static release binary.
#	Needs MQ_TEST_PG_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

ROWS=${MQ_SYNC_LOCK_ROWS:-1000000}
LIMIT_MS=200
BIN=$MQ_STATIC
DB=mq_sync_lock_$$
TOKEN=sync-lock-token

if [ -z "${MQ_TEST_PG_URL:-}" ]; then
	skip "postgresql" "MQ_TEST_PG_URL not set (tests/run.sh sets it)"
	finish
fi
PG_DB_URL=${MQ_TEST_PG_URL%/*}/$DB

# pg DB SQL... - psql as the test user, quiet, failing on errors
pg() {
	local db=$1
	shift
	PGPASSWORD=$MQ_TEST_DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -At \
		-h 127.0.0.1 -p "$MQ_TEST_PG_PORT" -U "$MQ_TEST_DB_USER" \
		-d "$db" "$@"
}

# now_ms - the monotonic-enough wall clock in milliseconds
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# post_while PID - POST locals rows until PID exits; one line per POST:
#	"start_ms end_ms http_code seconds"
post_while() {
	local pid=$1 i=0 start code
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		start=$(now_ms)
		code=$(curl -s -o /dev/null --max-time 10 \
			-w '%{http_code} %{time_total}' \
			-H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' \
			--data "{\"type\":\"user\",\"address\":\"post$i@example.org\"}" \
			"$URL/v1/tables/locals")
		echo "$start $(now_ms) $code"
	done
}

# loads - the loads serve has logged so far
loads() {
	grep -c 'load: from-sql: ' "$TMP/serve-sql.log"
}

# post_during_reload N - POST locals rows until serve has logged load N+1
post_during_reload() {
	local n=$1 i=0 start code
	while [ "$(loads)" -le "$n" ] && kill -0 "$SERVE_PID" 2>/dev/null; do
		i=$((i + 1))
		start=$(now_ms)
		code=$(curl -s -o /dev/null --max-time 10 \
			-w '%{http_code} %{time_total}' \
			-H "Authorization: Bearer $TOKEN" \
			--data "{\"type\":\"user\",\"address\":\"reload$i@example.org\"}" \
			"$URL/v1/tables/locals")
		echo "$start $(now_ms) $code"
	done
}

# list_dump_store, list_dump_sql - the list's rows as sorted TSV
list_dump_store() {
	"$BIN" get list | tail -n +2 | LC_ALL=C sort
}
list_dump_sql() {
	pg "$DB" -c "COPY (SELECT hash, address, domain FROM list) TO STDOUT" |
		LC_ALL=C sort
}

check "postgresql: database $DB created" pg mq -c "CREATE DATABASE $DB"
at_exit "pg mq -c 'DROP DATABASE IF EXISTS $DB' >/dev/null 2>&1"

export MQ_STORE_PATH=$TMP/mq.mdb
unset MQ_DATABASE_ADDRESS
check "the list exists in the store" "$BIN" list-create list
check "and its tables in SQL (sync --to-sql)" "$BIN" sync --to-sql --address "$PG_DB_URL"
check "SQL: $ROWS list rows" pg "$DB" -c "INSERT INTO list (hash, address, domain)
	SELECT n % 53, 'user' || n || '@example.org', 'org'
	FROM generate_series(1, $ROWS) AS n"
check "first sync --from-sql" "$BIN" sync --from-sql --address "$PG_DB_URL"
expect_grep "it inserts every row" "^list: $ROWS inserted" "$TMP/last.out"

# About half the rows change: every even user's hash; 1000 go, 1000 come.
check "SQL: about half the rows change" pg "$DB" \
	-c "UPDATE list SET hash = (hash + 1) % 53
	    WHERE right(split_part(address, '@', 1), 1) IN ('0','2','4','6','8')" \
	-c "DELETE FROM list WHERE address LIKE 'user1___@example.org'" \
	-c "INSERT INTO list (hash, address, domain)
	    SELECT n % 53, 'new' || n || '@example.org', 'org'
	    FROM generate_series(1, 1000) AS n" \
	-c "VACUUM ANALYZE list"

# What the changes left to write goes to disk now, not during the sync.
if [ -n "${MQ_TEST_PG_SOCKDIR:-}" ] && [ "$(id -u)" = 0 ]; then
	(cd / && runuser -u postgres -- psql -X -q -h "$MQ_TEST_PG_SOCKDIR" \
		-p "$MQ_TEST_PG_PORT" -d "$DB" -c CHECKPOINT)
fi
sync
SERVE_BIN=$BIN
if serve_start "$TMP/serve.log" MQ_WWW_TOKEN="$TOKEN"; then
	check "mq serve takes a POST before the sync" curl -sf -o /dev/null \
		-H "Authorization: Bearer $TOKEN" --data '{"type":"user","address":"first@example.org"}' \
		"$URL/v1/tables/locals"

	sync_start=$(now_ms)
	"$BIN" sync --from-sql --address "$PG_DB_URL" > "$TMP/sync.out" 2>&1 &
	SYNC=$!
	at_exit "kill $SYNC 2>/dev/null"
	post_while "$SYNC" > "$TMP/posts"
	wait "$SYNC"
	sync_status=$?
	sync_end=$(now_ms)
	expect_eq "second sync --from-sql exits 0" 0 "$sync_status" ||
		sed 's/^/#   /' "$TMP/sync.out"
	expect_grep "it reports the changes" \
		"^list: 1000 inserted, [0-9]{6} updated, 1000 deleted" "$TMP/sync.out"

	# The POSTs wholly within the sync's run, and the slowest of them.
	awk -v s="$sync_start" -v e="$sync_end" \
		'$1 >= s && $2 <= e' "$TMP/posts" > "$TMP/during"
	during=$(wc -l < "$TMP/during")
	awk '{ printf "%d\n", $4 * 1000 }' "$TMP/during" | sort -n > "$TMP/ms"
	slowest=$(tail -n 1 "$TMP/ms")
	echo "# sync: $((sync_end - sync_start)) ms; $during POSTs during it:" \
		"median $(sed -n "$(((during + 1) / 2))p" "$TMP/ms") ms," \
		"90% $(sed -n "$(((during * 9 + 9) / 10))p" "$TMP/ms") ms," \
		"slowest ${slowest:-0} ms"
	check "at least 10 POSTs were made while the sync ran ($during)" \
		test "$during" -ge 10
	expect_eq "every POST during the sync was answered 201" "" \
		"$(awk '$3 != 201' "$TMP/during" | head -n 3)"
	check "every POST during the sync answered within $LIMIT_MS ms (slowest ${slowest:-0} ms)" \
		test "${slowest:-0}" -lt "$LIMIT_MS"
	serve_stop
else
	fail "mq serve starts"
fi

list_dump_store > "$TMP/store.tsv"
list_dump_sql > "$TMP/sql.tsv"
expect_eq "the store holds as many list rows as SQL" \
	"$(wc -l < "$TMP/sql.tsv")" "$(wc -l < "$TMP/store.tsv")"
check "the store's list equals SQL's rows" cmp -s "$TMP/sql.tsv" "$TMP/store.tsv"

# mq serve with SQL authoritative: a reload of the 1M rows reads SQL on
# the load thread; the POSTs, written through to PostgreSQL, go on.
check "SQL: the locals the POSTs made, as mq's" "$BIN" sync --to-sql --address "$PG_DB_URL"
if serve_start "$TMP/serve-sql.log" MQ_WWW_TOKEN="$TOKEN" \
	MQ_DATABASE_ADDRESS="$PG_DB_URL" MQ_DATABASE_TTL=3600; then
	n=$(loads)
	kill -HUP "$SERVE_PID"
	post_during_reload "$n" > "$TMP/reload-posts"
	during=$(wc -l < "$TMP/reload-posts")
	awk '{ printf "%d\n", $4 * 1000 }' "$TMP/reload-posts" | sort -n > "$TMP/ms"
	slowest=$(tail -n 1 "$TMP/ms")
	echo "# reload: $during POSTs during it, slowest ${slowest:-0} ms"
	check "the reload ended ($(loads) loads)" test "$(loads)" -gt "$n"
	check "at least 5 POSTs were made while serve reloaded ($during)" \
		test "$during" -ge 5
	expect_eq "every POST during the reload was answered 201" "" \
		"$(awk '$3 != 201' "$TMP/reload-posts" | head -n 3)"
	check "every POST during the reload answered within $LIMIT_MS ms (slowest ${slowest:-0} ms)" \
		test "${slowest:-0}" -lt "$LIMIT_MS"
	expect_eq "and each is in SQL" "$during" \
		"$(pg "$DB" -c "SELECT count(*) FROM locals WHERE address LIKE 'reload%'")"
	serve_stop
else
	fail "mq serve with the database-address starts"
fi
finish
