#!/usr/bin/env bash
# NAME
#	sql_types_strict.sh - a value SQL cannot hold is an error, never a
#	cut value stored with exit 0
# DESCRIPTION
#	With write-through on each engine: the first mq mlog entry stays and
#	a second is "already logged" (the insert that skips a present row).
#	PostgreSQL and MariaDB: text that is not UTF-8 fails naming table,
#	row and column, written through or by --to-sql.
#	On MariaDB, whose INSERT IGNORE turned errors into warnings: a done
#	code beyond the column's TINYINT and a cookie's msgnum beyond INT
#	UNSIGNED fail with 65 and leave SQL and the store as they were; a
#	tai after 2038 is kept (mq's DDL uses DATETIME, not TIMESTAMP); a
#	table in utf8mb3 (no emoji) fails check-database.
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=sqltypes_strict_$$

every_part() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	"$MQ" list-create ml > /dev/null
	check "$ENGINE: tables" "$MQ" sync --to-sql --address "$URL"
	export MQ_DATABASE_ADDRESS=$URL
	check "$ENGINE: mq mlog" "$MQ" mlog ml 6 1 1
	check "$ENGINE: mq mlog of the same entry" "$MQ" mlog ml 6 1 1
	expect_grep "$ENGINE: is already logged" "already logged" "$TMP/last.out"
	expect_eq "$ENGINE: one row in SQL" "1" \
		"$(q "SELECT COUNT(*) FROM ml_mlog WHERE msgnum = 6")"
	check "$ENGINE: a tai after 2038" "$MQ" mlog ml 7 1 1 --tai '2040-01-01 00:00:00'
	expect_eq "$ENGINE: is kept in SQL" "2040-01-01 00:00:00" \
		"$(q "SELECT tai FROM ml_mlog WHERE msgnum = 7")"
	[ "$ENGINE" = sqlite ] && { unset MQ_DATABASE_ADDRESS; return; }
	expect_status "$ENGINE: invalid UTF-8 fails with 65" 65 \
		"$MQ" set mtanames localip=192.0.2.50 hostname=$'bad\xff'
	expect_grep "$ENGINE: naming table, row and column" \
		"table mtanames: row localip=192.0.2.50: column hostname: not valid UTF-8" \
		"$TMP/last.out"
	unset MQ_DATABASE_ADDRESS
	"$MQ" set mtanames localip=192.0.2.51 hostname=$'bad\xc0\xaf' > /dev/null
	expect_status "$ENGINE: --to-sql of invalid UTF-8 fails with 65" 65 \
		"$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: naming its row and column" \
		"table mtanames: row localip=192.0.2.51: column hostname: not valid UTF-8" \
		"$TMP/last.out"
	"$MQ" del mtanames localip=192.0.2.51 > /dev/null
	export MQ_DATABASE_ADDRESS=$URL
	[ "$ENGINE" = mysql ] || { unset MQ_DATABASE_ADDRESS; return; }
	expect_status "mysql: a done code TINYINT cannot hold fails" 65 \
		"$MQ" mlog ml 8 1 1000
	expect_eq "mysql: SQL has no row" "0" \
		"$(q "SELECT COUNT(*) FROM ml_mlog WHERE msgnum = 8")"
	expect_status "mysql: nor the store" 1 "$MQ" get ml_mlog msgnum=8 listno=1
	expect_status "mysql: a msgnum INT UNSIGNED cannot hold fails" 65 \
		"$MQ" cookie ml 5000000000 ''
	expect_eq "mysql: SQL has no cookie" "0" \
		"$(q "SELECT COUNT(*) FROM ml_cookie")"
	unset MQ_DATABASE_ADDRESS
	q "ALTER TABLE mtanames CONVERT TO CHARACTER SET utf8mb3"
	expect_status "mysql: check-database finds a utf8mb3 table invalid" 65 \
		"$MQ" check-database --address "$URL"
	expect_grep "mysql: naming its columns" "mtanames.*utf8mb3" "$TMP/last.out"
}

each_engine every_part
finish
