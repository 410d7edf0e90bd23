#!/usr/bin/env bash
# mlog_sql - mq cookie and mq mlog with SQL authoritative (database-address
# set), on SQLite, PostgreSQL and MariaDB: the row goes to SQL first, the
# first row per key stays in SQL too (a second store that never saw it is
# refused or told "already logged"), and what SQL holds is what each
# engine's own client reads.  A third store loaded from SQL checks
# messages as SQL says (the tag records written by sync's inserts and
# deletes), and verifies.  Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL
# (tests/run.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=h6b_mlog_$$

# store NAME - use store NAME (each with list t of the known key)
store() {
	export MQ_STORE_PATH=$TMP/$ENGINE-$1.mdb
}

run_engine() {
	local c=cbfphbcpldmfnjcheocb
	store a
	unset MQ_DATABASE_ADDRESS
	check "$ENGINE: list t with the known key" "$MQ" import ezmlm "$TMP/t"
	check "$ENGINE: its tables in SQL" "$MQ" sync --to-sql --address "$URL"
	export MQ_DATABASE_ADDRESS=$URL
	expect_eq "$ENGINE: cookie through SQL" "$c" "$("$MQ" cookie t 1 alice@example.org)"
	expect_eq "$ENGINE: SQL holds it" "$c" "$(q "SELECT cookie FROM t_cookie WHERE msgnum = 1")"
	expect_eq "$ENGINE: and the store" "$c" \
		"$("$MQ" get t_cookie msgnum=1 | awk -F'\t' 'NR == 2 { print $3 }')"
	expect_eq "$ENGINE: mlog through SQL" "logged" "$("$MQ" mlog t 1 3 1 --subs 40)"
	expect_eq "$ENGINE: SQL holds the row" "40" \
		"$(q "SELECT subs FROM t_mlog WHERE listno = 3 AND msgnum = 1 AND done = 1")"
	expect_status "$ENGINE: checktag at listno 3 refuses" 1 "$MQ" checktag t 1 "$c" --listno 3

	# A second store that never saw these rows: SQL decides.
	store b
	unset MQ_DATABASE_ADDRESS
	check "$ENGINE: store b, same list" "$MQ" import ezmlm "$TMP/t"
	export MQ_DATABASE_ADDRESS=$URL
	expect_status "$ENGINE: another sender's cookie is refused by SQL" 65 \
		"$MQ" cookie t 1 mallory@example.org
	expect_grep "$ENGINE: it says the first stays" "another cookie" "$TMP/last.out"
	expect_eq "$ENGINE: SQL kept the first" "$c" "$(q "SELECT cookie FROM t_cookie WHERE msgnum = 1")"
	expect_status "$ENGINE: store b got nothing" 1 "$MQ" get t_cookie msgnum=1
	expect_eq "$ENGINE: the same cookie again is fine" "$c" "$("$MQ" cookie t 1 alice@example.org)"
	expect_eq "$ENGINE: a duplicate log entry is ignored by SQL" "already logged" \
		"$("$MQ" mlog t 1 3 1 --subs 99)"
	expect_eq "$ENGINE: SQL kept the first row" "40" \
		"$(q "SELECT subs FROM t_mlog WHERE listno = 3 AND msgnum = 1 AND done = 1")"
	expect_eq "$ENGINE: one row" "1" "$(q "SELECT COUNT(*) FROM t_mlog")"

	# A third store loaded from SQL: its checks answer from what SQL holds.
	store c
	unset MQ_DATABASE_ADDRESS
	check "$ENGINE: store c, same list" "$MQ" import ezmlm "$TMP/t"
	export MQ_DATABASE_ADDRESS=$URL
	check "$ENGINE: store c loaded from SQL" "$MQ" sync --from-sql
	expect_status "$ENGINE: store c: done at listno 3" 1 "$MQ" checktag t 1 "$c" --listno 3
	check "$ENGINE: store c: not done at listno 2" "$MQ" checktag t 1 "$c" --listno 2
	q "DELETE FROM t_mlog" > /dev/null
	check "$ENGINE: the log emptied in SQL, synced" "$MQ" sync --from-sql
	check "$ENGINE: store c: no longer done at listno 3" "$MQ" checktag t 1 "$c" --listno 3
	check "$ENGINE: store c verifies" "$MQ" verify
	unset MQ_DATABASE_ADDRESS
}

mkdir -p "$TMP/t/subscribers"
printf 'secret key\n' > "$TMP/t/key"
each_engine run_engine
finish
