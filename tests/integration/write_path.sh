#!/usr/bin/env bash
# write_path - every write takes one path: with a database-address set
# (SQL authoritative) mq split add/del, mq list-create and list-drop, on
# the command line and over the API, reach SQL (read with the engine's
# own client) and survive mq sync --from-sql and mq reload; a POST of
# 5 rows whose 5th is bad answers 400 naming row 5 and leaves SQL and the
# store unchanged, with a database-address and without one.  On SQLite,
# PostgreSQL and MariaDB, each in a database and a store of its own.
# Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"
. "$REPO/tests/lib/serve.sh"

DBNAME=write_path_$$
TOKEN=write-path-$$
AUTH="Authorization: Bearer $TOKEN"

# has_table NAME - 1 when SQL has table NAME, else 0 (the catalog)
has_table() {
	case $ENGINE in
	sqlite) q "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$1'" ;;
	pgsql) q "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '$1'" ;;
	mysql) q "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '$1'" ;;
	esac
}

# entries T - the split entries of list T in the store: "name lo-hi ..."
entries() {
	"$MQ" split list "$1" 2>/dev/null | tail -n +2 | awk -F'\t' '{ printf "%s %s-%s ", $2, $6, $7 }'
}

# sql_entries T - the same from SQL
sql_entries() {
	q "SELECT name, hash_lo, hash_hi FROM ${1}_name ORDER BY listno" |
		awk -F'\t' '{ printf "%s %s-%s ", $1, $2, $3 }'
}

# five_rows BAD - a POST body of 5 mtanames rows, the 5th BAD
five_rows() {
	local i rows=
	for i in 1 2 3 4; do
		rows="$rows{\"localip\":\"192.0.2.$i\",\"hostname\":\"h$i\"},"
	done
	echo "[$rows$1]"
}

# reloaded - mq reload, then until serve logs one more load (10 s)
reloaded() {
	local before
	before=$(grep -c "load: from-sql" "$TMP/serve-$ENGINE.log")
	"$MQ" reload > /dev/null || return 1
	for _ in $(seq 1 100); do
		[ "$(grep -c "load: from-sql" "$TMP/serve-$ENGINE.log")" -gt "$before" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

cli_checks() {
	check "$ENGINE: list-create t" "$MQ" list-create t
	expect_eq "$ENGINE: SQL has t and t_slog" "1 1" "$(has_table t) $(has_table t_slog)"
	expect_eq "$ENGINE: and t_name" "1" "$(has_table t_name)"
	check "$ENGINE: split add t s1" "$MQ" split add t s1 --hash-hi 20
	check "$ENGINE: split add t s2" "$MQ" split add t s2 --hash-lo 21
	expect_eq "$ENGINE: SQL has both entries" "s1 0-20 s2 21-52 " "$(sql_entries t)"
	check "$ENGINE: sync --from-sql" "$MQ" sync --from-sql
	expect_grep "$ENGINE: with nothing to do" "nothing to do" "$TMP/last.out"
	expect_eq "$ENGINE: the store keeps both entries" "s1 0-20 s2 21-52 " "$(entries t)"
	check "$ENGINE: split del t 1" "$MQ" split del t 1
	expect_eq "$ENGINE: SQL lost s1" "s2 21-52 " "$(sql_entries t)"
	check "$ENGINE: sync --from-sql again" "$MQ" sync --from-sql
	expect_eq "$ENGINE: s1 stays deleted" "s2 21-52 " "$(entries t)"

	check "$ENGINE: list-create gone" "$MQ" list-create gone
	expect_eq "$ENGINE: SQL has gone's tables" "1 1" "$(has_table gone) $(has_table gone_name)"
	expect_status "$ENGINE: list-create gone again: 65" 65 "$MQ" list-create gone
	check "$ENGINE: list-drop gone" "$MQ" list-drop gone
	expect_eq "$ENGINE: SQL dropped its tables" "0 0 0" \
		"$(has_table gone) $(has_table gone_slog) $(has_table gone_name)"
	check "$ENGINE: sync --from-sql after the drop" "$MQ" sync --from-sql
	expect_status "$ENGINE: gone stays gone" 65 "$MQ" split list gone
	check "$ENGINE: t is still there" "$MQ" split list t

	printf 'address\na@x.example\nb@x.example\nc@x.example\n' > "$TMP/locals.tsv"
	check "$ENGINE: set locals - (stdin) through SQL" "$MQ" set locals - < "$TMP/locals.tsv"
	expect_eq "$ENGINE: SQL has the 3 rows" "3" "$(q 'SELECT count(*) FROM locals')"
	expect_eq "$ENGINE: with the ids SQL gave, as the store has them" \
		"$(q 'SELECT id, address FROM locals ORDER BY id' | tr '\t\n' ' ;')" \
		"$("$MQ" dump locals | tail -n +2 | cut -f 1,3 | tr '\t\n' ' ;')"
}

api_checks() {
	local P=/v1/lists/api/split
	serve_start "$TMP/serve-$ENGINE.log" MQ_STORE_PATH="$MQ_STORE_PATH" \
		MQ_DATABASE_ADDRESS="$URL" MQ_WWW_TOKEN="$TOKEN" ||
		{ fail "$ENGINE: mq serve starts"; return; }
	req "$ENGINE: POST /v1/lists api" POST /v1/lists 201 -H "$AUTH" -d '{"name":"api"}'
	expect_eq "$ENGINE: SQL has api and api_slog" "1 1" "$(has_table api) $(has_table api_slog)"
	req "$ENGINE: POST /v1/lists api again: 409" POST /v1/lists 409 -H "$AUTH" -d '{"name":"api"}'
	req "$ENGINE: split add a1" POST $P 201 -H "$AUTH" -d '{"name":"a1","hash_hi":30}'
	req "$ENGINE: split add a2" POST $P 201 -H "$AUTH" -d '{"name":"a2","hash_lo":31}'
	expect_eq "$ENGINE: SQL has the API's entries" "a1 0-30 a2 31-52 " "$(sql_entries api)"
	req "$ENGINE: split del a1" DELETE "$P?listno=1" 200 -H "$AUTH"
	expect_eq "$ENGINE: SQL lost a1" "a2 31-52 " "$(sql_entries api)"
	req "$ENGINE: POST /v1/lists tmp" POST /v1/lists 201 -H "$AUTH" -d '{"name":"tmp"}'
	expect_eq "$ENGINE: SQL has tmp" "1" "$(has_table tmp)"
	req "$ENGINE: DELETE /v1/lists/tmp" DELETE /v1/lists/tmp 200 -H "$AUTH"
	expect_eq "$ENGINE: SQL dropped tmp" "0 0" "$(has_table tmp) $(has_table tmp_slog)"

	check "$ENGINE: mq reload" reloaded
	req "$ENGINE: after the reload, api's split" GET $P 200
	expect_grep "$ENGINE: still has a2" '"name":"a2"' "$TMP/body"
	expect_no_grep "$ENGINE: and not a1" '"name":"a1"' "$TMP/body"
	req "$ENGINE: tmp stays dropped" GET /v1/lists/tmp 404

	req "$ENGINE: 5 rows, the 5th without its key: 400" POST /v1/tables/mtanames 400 \
		-H "$AUTH" -d "$(five_rows '{"hostname":"h5"}')"
	expect_grep "$ENGINE: naming row 5" '"error":"row 5: ' "$TMP/body"
	expect_eq "$ENGINE: SQL got none of them" "0" "$(q 'SELECT count(*) FROM mtanames')"
	req "$ENGINE: nor did the store" GET /v1/tables/mtanames 200
	expect_eq "$ENGINE: the store's mtanames are empty" "[]" "$(cat "$TMP/body")"
	req "$ENGINE: 5 rows, the 5th NULL where SQL wants a value: 400" \
		POST /v1/tables/mtanames 400 -H "$AUTH" \
		-d "$(five_rows '{"localip":null,"hostname":"h5"}')"
	expect_grep "$ENGINE: naming row 5 again" '"error":"row 5: ' "$TMP/body"
	expect_eq "$ENGINE: SQL still got none" "0" "$(q 'SELECT count(*) FROM mtanames')"
	req "$ENGINE: 5 good rows: 201" POST /v1/tables/mtanames 201 -H "$AUTH" \
		-d "$(five_rows '{"localip":"192.0.2.5","hostname":"h5"}')"
	expect_eq "$ENGINE: SQL has the 5" "5" "$(q 'SELECT count(*) FROM mtanames')"
	serve_stop
	expect_eq "$ENGINE: serve stops with 0" 0 "$?"
	expect_no_grep "$ENGINE: no sanitizer report" "Sanitizer|runtime error" \
		"$TMP/serve-$ENGINE.log"
	check "$ENGINE: sync --from-sql after the API" "$MQ" sync --from-sql
	expect_grep "$ENGINE: finds nothing to do" "nothing to do" "$TMP/last.out"
}

run_engine() {
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb MQ_DATABASE_ADDRESS=$URL
	check "$ENGINE: the schema" "$MQ" repair-database
	cli_checks
	api_checks
	unset MQ_DATABASE_ADDRESS
}

each_engine run_engine

# Without a database-address the array is all or nothing as well.
export MQ_STORE_PATH=$TMP/plain.mdb
serve_start "$TMP/serve-plain.log" MQ_STORE_PATH="$MQ_STORE_PATH" MQ_WWW_TOKEN="$TOKEN" ||
	{ fail "mq serve starts without SQL"; finish; }
req "no SQL: 5 rows, the 5th without its key: 400" POST /v1/tables/mtanames 400 \
	-H "$AUTH" -d "$(five_rows '{"hostname":"h5"}')"
expect_grep "no SQL: naming row 5" '"error":"row 5: ' "$TMP/body"
req "no SQL: the store got none" GET /v1/tables/mtanames 200
expect_eq "no SQL: mtanames is empty" "[]" "$(cat "$TMP/body")"
req "no SQL: POST /v1/lists p" POST /v1/lists 201 -H "$AUTH" -d '{"name":"p"}'
req "no SQL: split add" POST /v1/lists/p/split 201 -H "$AUTH" -d '{"name":"s"}'
req "no SQL: DELETE /v1/lists/p" DELETE /v1/lists/p 200 -H "$AUTH"
serve_stop
expect_eq "no SQL: serve stops with 0" 0 "$?"
finish
