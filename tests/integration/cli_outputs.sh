#!/usr/bin/env bash
# NAME
#	cli_outputs.sh - outputs that say what happened (issue 20, items 7,
#	11 and 12)
# DESCRIPTION
#	sync --to-sql that creates the SQL tables of 4 lists says "4 lists
#	created"; /health's last_load_ok is null without SQL; mq list says
#	it prints in hash order and --sort prints address order; a list
#	made by mq list-create after the last sync is a problem for
#	check-database (its tables are missing in SQL) and repair-database
#	creates them, after which mq sub writes through SQL; the TSV dump
#	holds mq's columns and --json the extra SQL ones too, as
#	docs/commands.md says (item 12).  SQLite only:
#	the list roots are engine-neutral (sql_schema.sh covers the DDL).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/serve.sh"

export MQ_STORE_PATH=$TMP/mq.mdb
for l in la lb lc ld; do "$MQ" list-create "$l" >/dev/null; done
addrs=$(for i in $(seq 1 20); do echo "user$i@host$((i % 7)).example"; done)
echo "$addrs" | "$MQ" sub la - >/dev/null

check "mq sync --to-sql into an empty SQLite database" \
	env MQ_DATABASE_ADDRESS="sqlite://$TMP/sql.db" "$MQ" sync --to-sql
expect_grep "it says the 4 lists' tables were created" \
	'^to-sql: .*, 4 lists created, 0 dropped$' "$TMP/last.out"
check "a second sync" \
	env MQ_DATABASE_ADDRESS="sqlite://$TMP/sql.db" "$MQ" sync --to-sql
expect_grep "creates none" '0 lists created' "$TMP/last.out"

check "mq list --help" "$MQ" list --help
expect_grep "the help says the order is the hash's" 'in hash order' "$TMP/last.out"
"$MQ" list la >plain.txt
"$MQ" list la --sort >sorted.txt
LC_ALL=C sort plain.txt >want.txt
check "the hash order is not the address order here" sh -c '! cmp -s plain.txt want.txt'
check "--sort prints address order" cmp sorted.txt want.txt
expect_eq "--sort -n counts the same" 20 "$("$MQ" list la --sort -n)"
expect_eq "--sort --json is the sorted array" "$(jq -R . want.txt | jq -s -c .)" \
	"$("$MQ" list la --sort --json | jq -c .)"

"$MQ" list-create le >/dev/null
export MQ_DATABASE_ADDRESS=sqlite://$TMP/sql.db
expect_status "check-database: a store list without SQL tables is a problem" 65 \
	"$MQ" check-database
expect_grep "naming its table" '^table le: missing' "$TMP/last.out"
check "repair-database creates them" "$MQ" repair-database
expect_grep "with CREATE TABLE le" 'CREATE TABLE "le"' "$TMP/last.out"
check "check-database then says valid" "$MQ" check-database
check "mq sub writes through SQL" "$MQ" sub le x@y.example
expect_eq "the row is in SQL" "x@y.example" \
	"$(sqlite3 "$TMP/sql.db" 'SELECT address FROM le')"

# Item 12: what a dump keeps of a column SQL has and mq does not.
check "a locals row through SQL" "$MQ" set locals type=exact address=x@y.example
sqlite3 "$TMP/sql.db" "ALTER TABLE locals ADD COLUMN note TEXT; UPDATE locals SET note = 'kept'"
check "sync --from-sql keeps the extra column (database-validate: false)" \
	env MQ_DATABASE_VALIDATE=false "$MQ" sync --from-sql
expect_eq "dump --json shows it, by name" kept "$("$MQ" dump locals --json | jq -r '.[0].note')"
expect_eq "the TSV dump holds mq's columns only, as commands.md says" \
	"id type address" "$("$MQ" dump locals | head -n 1 | tr '\t' ' ')"
expect_grep "and docs/commands.md says so" 'It leaves out the extra SQL' "$REPO/docs/commands.md"
unset MQ_DATABASE_ADDRESS

serve_start "$TMP/serve.log" || { fail "mq serve starts"; finish; }
req "GET /health" GET /health 200
expect_eq "without SQL: sql false, last_load_ok null" "false null" \
	"$(jq -r '"\(.sql) \(.last_load_ok)"' "$TMP/body")"
serve_stop
finish
