#!/usr/bin/env bash
# NAME
#	sql_chars.sh - text limits count characters, as VARCHAR does
# DESCRIPTION
#	VARCHAR(255) holds 255 characters on PostgreSQL and MariaDB (and
#	SQLite keeps what it is given).  On each engine another client
#	inserts a slog fromline of 200 three-byte characters (600 bytes)
#	and an mtanames row whose key is 100 such characters (300 bytes):
#	mq sync --from-sql takes both, exactly, and a second sync finds
#	nothing to do.  An mtanames key of 200 such characters (600 bytes)
#	is longer than an LMDB key may be (511 bytes): that row alone is
#	refused, named by table, key and column, and the rest of the sync
#	goes on (exit 0).  Before, the 600-byte fromline failed every
#	--from-sql ("longer than 255 bytes").

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=sqlchars_$$
wide() { printf '中%.0s' $(seq 1 "$1"); }
W200=$(wide 200)
W100=$(wide 100)

every_part() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	check "$ENGINE: a list" "$MQ" list-create ml
	check "$ENGINE: its tables" "$MQ" sync --to-sql --address "$URL"
	local tai="'2025-01-02 03:04:05'"
	[ "$ENGINE" = sqlite ] && tai=1735787045
	check "$ENGINE: a fromline of 200 characters, 600 bytes" \
		q "INSERT INTO ml_slog (tai, address, fromline, edir, etype)
		   VALUES ($tai, 'a@example.org', '$W200', '+', 'S')"
	check "$ENGINE: a 300-byte key and a 600-byte one" \
		q "INSERT INTO mtanames (localip, hostname) VALUES ('$W100', 'ok.example'), ('$W200', 'toolong.example')"
	expect_status "$ENGINE: the sync goes on" 0 "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: the 600-byte key is refused by table, key and column" \
		"table mtanames: row localip=中中.*column localip" "$TMP/last.out"
	expect_no_grep "$ENGINE: nothing else is refused" "fromline|localip=$W100[^中]" "$TMP/last.out"
	expect_eq "$ENGINE: the fromline, exactly" "$W200" \
		"$("$MQ" dump ml_slog | tail -n +2 | cut -f3)"
	expect_eq "$ENGINE: the 300-byte key, exactly" "$W100	ok.example" \
		"$("$MQ" dump mtanames | tail -n +2)"
	expect_status "$ENGINE: a second sync" 0 "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: finds nothing to do" "nothing to do|0 inserted, 0 updated, 0 deleted|unchanged" "$TMP/last.out"
}

each_engine every_part
finish
