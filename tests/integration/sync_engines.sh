#!/usr/bin/env bash
# NAME
#	sync_engines.sh - mq sync and the write-through on SQLite, PostgreSQL
#	and MariaDB, checked with each engine's own command-line client
# DESCRIPTION
#	For each engine, in a database of its own: rows inserted, updated
#	and deleted by the client appear after --from-sql (store dump
#	equals SQL dump); an unchanged database writes nothing (sequence
#	unchanged); a list made in SQL is discovered; rows set with mq set
#	reach the client after --to-sql, and at once with database-address
#	set (write-through, SQL allocating the id); NULL, 0, '', UTF-8 and
#	IDN domains, quotes, backslashes and SQL fragments survive
#	SQL -> store -> SQL byte for byte (compared as hex by the client);
#	a row with a value that does not fit is refused, named by table,
#	key and column, while the rest loads, and --to-sql leaves it alone; with database-validate: false an extra SQL column
#	survives the round trip; a list dropped from the store leaves SQL.
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=h4b_sync_$$

# hx COL - an expression: the hex of a text column, or NULL
hx() {
	case $ENGINE in
	sqlite) echo "COALESCE(hex($1), 'NULL')" ;;
	pgsql) echo "COALESCE(upper(encode(convert_to($1, 'UTF8'), 'hex')), 'NULL')" ;;
	mysql) echo "COALESCE(HEX($1), 'NULL')" ;;
	esac
}

# unhex HEX - a literal of the text with those UTF-8 bytes
unhex() {
	case $ENGINE in
	sqlite) echo "CAST(X'$1' AS TEXT)" ;;
	pgsql) echo "convert_from(decode('$1', 'hex'), 'UTF8')" ;;
	mysql) echo "CONVERT(X'$1' USING utf8mb4)" ;;
	esac
}

# ix COL - an integer column as text, or NULL
ix() {
	case $ENGINE in
	mysql) echo "COALESCE(CAST($1 AS CHAR), 'NULL')" ;;
	*) echo "COALESCE(CAST($1 AS TEXT), 'NULL')" ;;
	esac
}

# hexof TEXT - upper-case hex of TEXT's bytes
hexof() {
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F
}

# same_dump TABLE ORDER - mq dump TABLE equals the client's SELECT
same_dump() {
	local cols
	cols=$("$MQ" dump "$1" | head -n 1 | sed 's/\t/, /g')
	"$MQ" dump "$1" | tail -n +2 > "$TMP/store.tsv"
	q "SELECT $cols FROM $1 ORDER BY $2" > "$TMP/sql.tsv"
	if cmp -s "$TMP/store.tsv" "$TMP/sql.tsv" && [ -s "$TMP/sql.tsv" ]; then
		ok "$ENGINE: store dump of $1 equals the SQL dump"
	else
		fail "$ENGINE: store dump of $1 equals the SQL dump" \
			"$(diff "$TMP/store.tsv" "$TMP/sql.tsv" | head -n 10)"
	fi
}

seq_of() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

# from_client - the client's inserts, updates and deletes reach the store
from_client() {
	check "$ENGINE: --to-sql creates the tables" "$MQ" sync --to-sql --address "$URL"
	q "INSERT INTO capacity (id, name, localip, domain, domain_maxconnections, secure)
	   VALUES (1, NULL, '', 'a.example', 5, 0), (2, '', '', 'b.example', 0, 1),
	          (3, 'x', '192.0.2.1', 'c.example', NULL, -1);
	   INSERT INTO mtanames (localip, hostname) VALUES ('192.0.2.1', 'mx1'), ('192.0.2.2', 'mx2')"
	check "$ENGINE: --from-sql" "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: says what it inserted" "^capacity: 3 inserted, 0 updated, 0 deleted" "$TMP/last.out"
	same_dump capacity id
	same_dump mtanames localip
	q "UPDATE capacity SET domain_maxconnections = 9 WHERE id = 2;
	   DELETE FROM capacity WHERE id = 3; DELETE FROM mtanames WHERE localip = '192.0.2.2'"
	check "$ENGINE: --from-sql after updates and deletes" "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: one updated, one deleted" "^capacity: 0 inserted, 1 updated, 1 deleted" "$TMP/last.out"
	expect_grep "$ENGINE: mtanames one deleted" "^mtanames: 0 inserted, 0 updated, 1 deleted" "$TMP/last.out"
	same_dump capacity id
	same_dump mtanames localip
	local seq
	seq=$(seq_of)
	check "$ENGINE: --from-sql of an unchanged database" "$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: nothing to do" "nothing to do" "$TMP/last.out"
	expect_eq "$ENGINE: and the sequence did not move" "$seq" "$(seq_of)"
}

# lists - a list and its subscribers travel both ways
lists() {
	"$MQ" list-create news > /dev/null
	"$MQ" set news address=Alice@Example.ORG > /dev/null
	check "$ENGINE: --to-sql creates the list's tables" "$MQ" sync --to-sql --address "$URL"
	expect_eq "$ENGINE: the client sees the subscriber" "Alice@Example.ORG" \
		"$(q "SELECT address FROM news")"
	q "INSERT INTO news (hash, address, domain) VALUES (3, 'bob@example.net', 'net');
	   INSERT INTO news_slog (tai, address, fromline, edir, etype)
	   VALUES ('2026-01-02 03:04:05', 'bob@example.net', '', '+', 'm')"
	MQ_STORE_PATH=$TMP/$ENGINE-fresh.mdb check "$ENGINE: a fresh store discovers the list" \
		"$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: one list created" "1 lists created" "$TMP/last.out"
	MQ_STORE_PATH=$TMP/$ENGINE-fresh.mdb check "$ENGINE: with both subscribers" \
		"$MQ" get news address=bob@example.net
	MQ_STORE_PATH=$TMP/$ENGINE-fresh.mdb check "$ENGINE: issub in any case" \
		"$MQ" issub news BOB@example.net
	check "$ENGINE: --from-sql into the first store" "$MQ" sync --from-sql --address "$URL"
	same_dump news address
	same_dump news_slog tai
}

# to_client - mq set reaches SQL by --to-sql, and at once by write-through
to_client() {
	"$MQ" set mtanames localip=192.0.2.3 hostname=mx3 > /dev/null
	expect_eq "$ENGINE: not in SQL before --to-sql" "" \
		"$(q "SELECT hostname FROM mtanames WHERE localip = '192.0.2.3'")"
	check "$ENGINE: --to-sql" "$MQ" sync --to-sql --address "$URL"
	expect_eq "$ENGINE: the client sees mq set's row" "mx3" \
		"$(q "SELECT hostname FROM mtanames WHERE localip = '192.0.2.3'")"
	check "$ENGINE: --to-sql again" "$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: has nothing to do" "nothing to do" "$TMP/last.out"

	export MQ_DATABASE_ADDRESS=$URL
	check "$ENGINE: write-through set" "$MQ" set mtanames localip=192.0.2.4 hostname=mx4
	expect_eq "$ENGINE: the client sees it at once" "mx4" \
		"$(q "SELECT hostname FROM mtanames WHERE localip = '192.0.2.4'")"
	check "$ENGINE: write-through insert, SQL allocates the id" \
		"$MQ" set capacity domain=d.example domain_maxconnections=4
	local id
	id=$(sed -n 's/^capacity: id=//p' "$TMP/last.out")
	expect_eq "$ENGINE: the id is SQL's" "d.example" \
		"$(q "SELECT domain FROM capacity WHERE id = ${id:-0}")"
	expect_eq "$ENGINE: SQL's defaults are in the store" "-1" \
		"$("$MQ" get capacity id="${id:-0}" --json | sed -n 's/.*"secure":\(-*[0-9]*\).*/\1/p')"
	check "$ENGINE: write-through del" "$MQ" del mtanames localip=192.0.2.4
	expect_eq "$ENGINE: gone from SQL" "" \
		"$(q "SELECT hostname FROM mtanames WHERE localip = '192.0.2.4'")"
	expect_status "$ENGINE: and from the store" 1 "$MQ" get mtanames localip=192.0.2.4
	check "$ENGINE: write-through into a list's log" \
		"$MQ" set news_slog address=carol@example.com edir=+
	check "$ENGINE: --from-sql afterwards" "$MQ" sync --from-sql
	expect_grep "$ENGINE: finds the store equal to SQL" "nothing to do" "$TMP/last.out"
	unset MQ_DATABASE_ADDRESS
}

# Values that must survive SQL -> store -> SQL byte for byte.
SPECIAL=("it's \"quoted\"" 'back\slash \\ \n' "x'); DROP TABLE capacity; --"
	 "bücher.example" "例え.テスト" "xn--bcher-kva.example" "tab	in" "")

round_trip() {
	local i h n=0
	for i in "${!SPECIAL[@]}"; do
		h=$(hexof "${SPECIAL[$i]}")
		q "INSERT INTO mtanames (localip, hostname) VALUES ('198.51.100.$i', $(unhex "$h"));
		   INSERT INTO capacity (id, name, domain, domain_maxconnections)
		   VALUES ($((100 + i)), $(unhex "$h"), $(unhex "$h"), $((i % 2)))"
		n=$((n + 1))
	done
	q "INSERT INTO mtanames (localip, hostname) VALUES ('198.51.100.99', NULL);
	   INSERT INTO capacity (id, name, domain, domain_maxconnections) VALUES (199, NULL, '0', NULL)"
	local sel_m sel_c
	sel_m="SELECT localip, $(hx hostname) FROM mtanames WHERE localip LIKE '198.51.100.%' ORDER BY localip"
	sel_c="SELECT id, $(hx name), $(hx domain), $(ix domain_maxconnections) FROM capacity WHERE id >= 100 ORDER BY id"
	q "$sel_m" > "$TMP/m.before"
	q "$sel_c" > "$TMP/c.before"
	expect_eq "$ENGINE: the client stored every special value" $((n + 1)) "$(wc -l < "$TMP/m.before")"
	check "$ENGINE: --from-sql of the special values" "$MQ" sync --from-sql --address "$URL"
	expect_eq "$ENGINE: the store holds the quote and fragment unchanged" \
		"$(printf '%s' "${SPECIAL[2]}")" \
		"$("$MQ" get mtanames localip=198.51.100.2 --json | sed -n 's/.*"hostname":"\(.*\)"}.*/\1/p')"
	expect_eq "$ENGINE: NULL stays NULL in the store" '198.51.100.99	\N' \
		"$("$MQ" get mtanames localip=198.51.100.99 | tail -n 1)"
	q "DELETE FROM mtanames WHERE localip LIKE '198.51.100.%'; DELETE FROM capacity WHERE id >= 100"
	check "$ENGINE: --to-sql writes them back" "$MQ" sync --to-sql --address "$URL"
	q "$sel_m" > "$TMP/m.after"
	q "$sel_c" > "$TMP/c.after"
	check "$ENGINE: texts, NULL and '' are byte for byte the same" cmp "$TMP/m.before" "$TMP/m.after"
	check "$ENGINE: NULL, 0 and '' in every column the same" cmp "$TMP/c.before" "$TMP/c.after"
}

# big TEXT - an expression: 1 MiB + 1 bytes of 'a' (the store holds 1 MiB)
big() {
	case $ENGINE in
	sqlite) echo "printf('%.*c', 1048577, 'a')" ;;
	*) echo "repeat('a', 1048577)" ;;
	esac
}

# bad_value - a row with a value that does not fit is refused, the rest loads
bad_value() {
	q "INSERT INTO capacity (id, domain) VALUES (300, 'ok.example');
	   INSERT INTO capacity (id, name) VALUES (301, $(big))"
	check "$ENGINE: a value too long for the store does not fail the sync" \
		"$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: naming table, key and column" \
		"refused.*capacity: row id=301: column name: .*longer than" "$TMP/last.out"
	check "$ENGINE: the good row is loaded" "$MQ" get capacity id=300
	expect_status "$ENGINE: the refused one is not" 1 "$MQ" get capacity id=301
	check "$ENGINE: --to-sql leaves the refused row alone" \
		"$MQ" sync --to-sql --address "$URL"
	expect_eq "$ENGINE: it is still in SQL" "1" \
		"$(q "SELECT COUNT(*) FROM capacity WHERE id = 301")"
	q "DELETE FROM capacity WHERE id IN (300, 301)"
	check "$ENGINE: --from-sql after the delete" "$MQ" sync --from-sql --address "$URL"
}

# has_table NAME - does the client see table NAME?
has_table() {
	case $ENGINE in
	sqlite) q "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '$1'" ;;
	pgsql) q "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = '$1'" ;;
	mysql) q "SELECT table_name FROM information_schema.tables WHERE table_schema = '$DBNAME' AND table_name = '$1'" ;;
	esac
}

# extra_column - with database-validate: false a column of SQL's own
# survives SQL -> store -> SQL
extra_column() {
	q "ALTER TABLE mtanames ADD COLUMN note VARCHAR(40);
	   UPDATE mtanames SET note = 'kept' WHERE localip = '192.0.2.1'"
	MQ_DATABASE_VALIDATE=false check "$ENGINE: --from-sql keeps the extra column" \
		"$MQ" sync --from-sql --address "$URL"
	expect_grep "$ENGINE: as a change of the row" "^mtanames: 0 inserted, [1-9][0-9]* updated" "$TMP/last.out"
	q "UPDATE mtanames SET note = NULL"
	MQ_DATABASE_VALIDATE=false check "$ENGINE: --to-sql writes it back" \
		"$MQ" sync --to-sql --address "$URL"
	expect_eq "$ENGINE: the extra column's value survived" "kept" \
		"$(q "SELECT note FROM mtanames WHERE localip = '192.0.2.1'")"
	q "ALTER TABLE mtanames DROP COLUMN note"
}

# drop_list - a list the store no longer has leaves SQL with --to-sql
drop_list() {
	"$MQ" list-drop news > /dev/null
	check "$ENGINE: --to-sql after list-drop" "$MQ" sync --to-sql --address "$URL"
	expect_grep "$ENGINE: drops the list" "1 dropped" "$TMP/last.out"
	expect_eq "$ENGINE: its tables are gone" "" "$(has_table news)$(has_table news_slog)"
}

# every_part - each part of the test on the current engine
every_part() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	from_client
	lists
	to_client
	round_trip
	bad_value
	extra_column
	drop_list
}

each_engine every_part
finish
