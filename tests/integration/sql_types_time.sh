#!/usr/bin/env bash
# NAME
#	sql_types_time.sh - times as the database has them, odd values that
#	never fail a sync, and a sync that settles, on every engine
# DESCRIPTION
#	On each engine: rows with fractional times, 4-byte UTF-8 and values
#	at mq's limits go --to-sql (a second --to-sql at once has nothing
#	to do) then --from-sql, and a second run of each has nothing to do (MariaDB's DATETIME keeps no fraction,
#	PostgreSQL prints .500000 as .5).
#	PostgreSQL: a timestamptz column (after ALTER ... TYPE timestamptz)
#	loads, syncs back and takes write-through writes; a database whose
#	time zone is America/New_York gets UTC in a tai another client
#	leaves to its default.
#	SQLite as ezmlm-idx leaves it: a cookie whose tai is the text 'now'
#	is refused by table, key and column while the rest loads, and stays
#	in SQL after --to-sql; the INTEGER tai of _slog gets unix seconds
#	from mq's write-through.
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=sqltypes_time_$$

# text_of N CHAR - N times CHAR
text_of() {
	local s="" i
	for ((i = 0; i < $1; i++)); do s+=$2; done
	printf '%s' "$s"
}

# hx COL - an expression: the upper-case hex of a text column's bytes
hx() {
	case $ENGINE in
	sqlite) echo "hex($1)" ;;
	pgsql) echo "upper(encode(convert_to($1, 'UTF8'), 'hex'))" ;;
	mysql) echo "HEX($1)" ;;
	esac
}

# settles - to-sql, from-sql, then each again finds nothing to do
settles() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	local emoji=$'\xf0\x9f\x98\x80' long
	long=$(text_of 255 x)
	"$MQ" list-create news > /dev/null
	"$MQ" set news address="$emoji@example.org" > /dev/null
	"$MQ" set news_slog tai='2026-01-02 03:04:05.123456' address="$emoji@example.org" \
		fromline="$long" edir=+ > /dev/null
	"$MQ" set news_mlog msgnum=1 listno=2 tai='2026-03-04 05:06:07.000001' subs=2147483647 \
		done=1 > /dev/null
	"$MQ" set news_cookie msgnum=1 tai='2026-03-04 05:06:07.500000' \
		cookie=abcdefghijklmnopqrst > /dev/null
	check "$ENGINE: --to-sql" "$MQ" sync --to-sql --address "$URL"
	check "$ENGINE: --to-sql at once again" "$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: compares at the column's precision: nothing to do" \
		"nothing to do" "$TMP/last.out"
	check "$ENGINE: --from-sql" "$MQ" sync --from-sql --address "$URL"
	check "$ENGINE: --to-sql again" "$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: --to-sql has nothing to do" "nothing to do" "$TMP/last.out"
	check "$ENGINE: --from-sql again" "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: --from-sql has nothing to do" "nothing to do" "$TMP/last.out"
	expect_eq "$ENGINE: the 4-byte UTF-8 address is SQL's" \
		"$(printf '%s' "$emoji@example.org" | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F)" \
		"$(q "SELECT $(hx address) FROM news")"
}

# pg_timestamptz - a column altered to timestamptz reads, writes, settles
pg_timestamptz() {
	export MQ_STORE_PATH=$TMP/tz.mdb
	unset MQ_DATABASE_ADDRESS
	check "pgsql: tables" "$MQ" sync --to-sql --address "$URL"
	"$MQ" list-create tz > /dev/null
	check "pgsql: list tables" "$MQ" sync --to-sql --address "$URL"
	q "ALTER TABLE tz_mlog ALTER COLUMN tai TYPE timestamptz;
	   INSERT INTO tz_mlog (msgnum, listno, tai, subs, done)
	   VALUES (5, 1, '2025-11-02 05:30:00.123456+00', 3, 0),
	          (6, 1, '2025-11-02 01:00:00-05', 3, 0)"
	check "pgsql: --from-sql reads timestamptz" "$MQ" sync --from-sql --address "$URL"
	expect_eq "pgsql: the fraction is kept" "2025-11-02 05:30:00.123456" \
		"$("$MQ" get tz_mlog msgnum=5 listno=1 --json | sed -n 's/.*"tai":"\([^"]*\)".*/\1/p')"
	expect_eq "pgsql: an offset becomes UTC" "2025-11-02 06:00:00" \
		"$("$MQ" get tz_mlog msgnum=6 listno=1 --json | sed -n 's/.*"tai":"\([^"]*\)".*/\1/p')"
	check "pgsql: --to-sql over timestamptz" "$MQ" sync --to-sql --address "$URL"
	expect_grep "pgsql: finds nothing to do" "nothing to do" "$TMP/last.out"
	MQ_DATABASE_ADDRESS=$URL check "pgsql: write-through into timestamptz" \
		"$MQ" set tz_mlog msgnum=7 listno=1 tai='2025-12-01 00:00:00.5' subs=1 done=0
	expect_eq "pgsql: SQL has the time" "2025-12-01 00:00:00.5+00" \
		"$(q "SET TIME ZONE 'UTC'; SELECT tai FROM tz_mlog WHERE msgnum = 7")"
}

# pg_server_zone - a default taken by another client in New York is UTC
pg_server_zone() {
	export MQ_STORE_PATH=$TMP/zone.mdb
	q "ALTER DATABASE $DBNAME SET timezone TO 'America/New_York'"
	"$MQ" list-create ny > /dev/null
	check "pgsql: tables in a New York database" "$MQ" sync --to-sql --address "$URL"
	q "INSERT INTO ny_cookie (msgnum, cookie) VALUES (1, 'abcdefghijklmnopqrst')"
	check "pgsql: --from-sql" "$MQ" sync --from-sql --address "$URL"
	local tai now then
	tai=$("$MQ" get ny_cookie msgnum=1 --json | sed -n 's/.*"tai":"\([^"]*\)".*/\1/p')
	now=$(date -u +%s)
	then=$(date -u -d "${tai%.*}" +%s 2>/dev/null || echo 0)
	if [ $((now - then)) -ge 0 ] && [ $((now - then)) -lt 600 ]; then
		ok "pgsql: the default time is UTC ($tai)"
	else
		fail "pgsql: the default time is UTC" "read $tai, now $(date -u '+%F %T')"
	fi
}

# sqlite_ezmlm - 'now' in a cookie's tai, INTEGER tai in _slog
sqlite_ezmlm() {
	export MQ_STORE_PATH=$TMP/ez.mdb
	unset MQ_DATABASE_ADDRESS
	"$MQ" list-create ez > /dev/null
	"$MQ" set ez address=a@example.org > /dev/null
	check "sqlite: tables" "$MQ" sync --to-sql --address "$URL"
	q "INSERT INTO ez_cookie (msgnum, tai, cookie, chunk, bodysize)
	   VALUES (1, 'now', 'abcdefghijklmnopqrst', 0, 10),
	          (2, 1765000000, 'bbbbbbbbbbbbbbbbbbbb', 0, 10)"
	check "sqlite: --from-sql with a tai of 'now'" "$MQ" sync --from-sql --address "$URL"
	expect_grep "sqlite: names table, key and column" \
		"refused.*ez_cookie: row msgnum=1: column tai" "$TMP/last.out"
	expect_eq "sqlite: unix seconds are a time" "2025-12-06 05:46:40" \
		"$("$MQ" get ez_cookie msgnum=2 --json | sed -n 's/.*"tai":"\([^"]*\)".*/\1/p')"
	check "sqlite: --to-sql" "$MQ" sync --to-sql --address "$URL"
	expect_eq "sqlite: 'now' is left as it is" "now" \
		"$(q "SELECT tai FROM ez_cookie WHERE msgnum = 1")"
	expect_eq "sqlite: the seconds too" "integer 1765000000" \
		"$(q "SELECT typeof(tai), tai FROM ez_cookie WHERE msgnum = 2" | tr '\t' ' ')"
	MQ_DATABASE_ADDRESS=$URL check "sqlite: write-through sub" \
		"$MQ" sub ez b@example.org
	expect_eq "sqlite: _slog's INTEGER tai gets seconds" "integer" \
		"$(q "SELECT typeof(tai) FROM ez_slog WHERE address = 'b@example.org'")"
	check "sqlite: --from-sql after" "$MQ" sync --from-sql --address "$URL"
	check "sqlite: --to-sql after" "$MQ" sync --to-sql --address "$URL"
	expect_grep "sqlite: settles" "nothing to do" "$TMP/last.out"
}

every_part() {
	settles
	case $ENGINE in
	pgsql) pg_timestamptz; pg_server_zone ;;
	sqlite) sqlite_ezmlm ;;
	esac
}

each_engine every_part
finish
