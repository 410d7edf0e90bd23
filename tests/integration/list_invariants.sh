#!/usr/bin/env bash
# NAME
#	list_invariants.sh - a list's address tables take only rows ezmlm can read
# DESCRIPTION
#	Through the generic paths (mq set, POST /v1/tables/T, sync from
#	SQL) a row of T, T_digest, T_allow, T_deny or T_mod with a hash
#	outside 0..99 (2^63-1 was truncated to an int, so issub said yes
#	to a blocked address) or an address holding a control byte (a
#	newline printed as two recipients) is refused, naming the table
#	and the column; nothing is written.  Every error on a list's
#	table names it whole (ml_cookie.cookie), never by the registry's
#	suffix (_cookie.cookie).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
check "list ml" "$MQ" list-create ml
expect_status "mq set ml hash=2^63-1: 65" 65 "$MQ" set ml hash=9223372036854775807 address=a@example.org domain=org
expect_grep "naming table and column" '^mq: ml\.hash: 9223372036854775807 is not a hash \(0\.\.99\)' "$TMP/last.out"
expect_status "a negative hash: 65" 65 "$MQ" set ml_deny hash=-1 address=a@example.org domain=org
expect_status "hash 99, a sublist's, is taken with --hash" 0 "$MQ" set ml_digest --hash hash=99 address=sub@example.org domain=org
expect_status "an address with a newline: 65" 65 "$MQ" set ml $'address=a\nb@example.org'
expect_grep "naming the byte" "ml\.address 'a\?b@example.org': the local part holds a control byte \(0x0a\) at byte 2" "$TMP/last.out"
"$MQ" list ml >"$TMP/list" 2>&1
expect_eq "nothing was written to ml" "" "$(cat "$TMP/list")"
# Errors name the list's table, not the registry's suffix of it.
expect_status "a cookie too long: 65" 65 "$MQ" set ml_cookie msgnum=1 cookie=abcdefghijklmnopqrstuvwxyz
expect_grep "naming ml_cookie" '^mq: ml_cookie\.cookie: longer than 20 characters' "$TMP/last.out"
expect_status "a NULL hash: 65" 65 "$MQ" set ml hash='\N' address=a@example.org
expect_grep "naming ml" '^mq: ml\.hash: may not be NULL' "$TMP/last.out"
expect_status "not an integer: 65" 65 "$MQ" set ml_name listno=x
expect_grep "naming ml_name" '^mq: ml_name\.listno: not an integer' "$TMP/last.out"

serve_start "$TMP/serve.log" MQ_WWW_TOKEN=tok || { fail "mq serve starts"; finish; }
req "POST a row with hash 1000: 400" POST /v1/tables/ml 400 -H 'Authorization: Bearer tok' \
	-d '{"hash":1000,"address":"x@example.org","domain":"org"}'
expect_grep "saying why" 'ml\.hash: 1000 is not a hash' "$TMP/body"
req "POST a cookie too long: 400" POST /v1/tables/ml_cookie 400 -H 'Authorization: Bearer tok' \
	-d '{"msgnum":1,"cookie":"abcdefghijklmnopqrstuvwxyz"}'
expect_grep "naming ml_cookie" 'ml_cookie\.cookie: longer than 20 characters' "$TMP/body"
serve_stop

DB=$TMP/db.sqlite
export MQ_DATABASE_ADDRESS=sqlite://$DB
check "SQL tables" "$MQ" sync --to-sql
sqlite3 "$DB" "INSERT INTO ml (hash, address, domain) VALUES (4096, 'y@example.org', 'org')"
expect_status "a load from SQL with hash 4096 fails: 65" 65 "$MQ" sync --from-sql
expect_grep "naming the table and column" 'ml\.hash: 4096 is not a hash' "$TMP/last.out"
MQ_DATABASE_ADDRESS= "$MQ" list ml >"$TMP/list" 2>&1
expect_eq "and the store is as it was" "" "$(cat "$TMP/list")"
finish
