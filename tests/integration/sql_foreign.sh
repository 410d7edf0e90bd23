#!/usr/bin/env bash
# NAME
#	sql_foreign.sh - another application's table of a name mq uses is left alone
# DESCRIPTION
#	On each engine, a database that already holds another
#	application's `locals (id, name, city)` with a row:
#	check-database names it as not mq's; repair-database,
#	purge-database and sync --to-sql stop with a message naming it and
#	change nothing (its definition and row are byte-identical after
#	each); repair-database --adopt --yes takes it over.  A repair that
#	would drop a column of mq's own table (an extra column) or a purge
#	runs only with --yes when stdin is not a terminal, and without it
#	changes nothing.  ezmlm-idx 7's address table, which lacks mq's
#	`domain` column, is mq's (repair adds the column).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=mq_foreign_$$

# definition - the locals table as the engine describes it, and its rows
definition() {
	case $ENGINE in
	sqlite) q "SELECT sql FROM sqlite_master WHERE name = 'locals'" ;;
	pgsql) q "SELECT column_name, data_type FROM information_schema.columns
		  WHERE table_name = 'locals' ORDER BY ordinal_position" ;;
	mysql) q "SHOW CREATE TABLE locals" ;;
	esac
	q "SELECT * FROM locals ORDER BY id"
}

foreign() {
	local e=$ENGINE before
	export MQ_DATABASE_ADDRESS=$URL MQ_STORE_PATH=$TMP/$e.mdb
	q "CREATE TABLE locals (id INTEGER PRIMARY KEY, name VARCHAR(40), city VARCHAR(40))"
	q "INSERT INTO locals VALUES (1, 'ann', 'Oslo')"
	before=$(definition)

	expect_status "$e: check-database: 65" 65 "$MQ" check-database
	expect_grep "$e: it names the table as not mq's, and its columns" \
		"^table locals: not mq's table \(its columns name, city are not mq's\)" "$TMP/last.out"
	expect_status "$e: repair-database stops: 65" 65 "$MQ" repair-database --yes
	expect_grep "$e: naming the table and the way out" \
		"table locals is not mq's .*nothing was changed.*--adopt" "$TMP/last.out"
	expect_eq "$e: the table and its row are untouched by repair" "$before" "$(definition)"
	expect_status "$e: purge-database --yes stops: 65" 65 "$MQ" purge-database --yes
	expect_eq "$e: untouched by purge" "$before" "$(definition)"
	check "$e: a row in the store alone" env MQ_DATABASE_ADDRESS= \
		"$MQ" set locals type=exact address=example.org
	expect_status "$e: sync --to-sql stops: 65" 65 "$MQ" sync --to-sql
	expect_grep "$e: naming the table" "table locals is not mq's" "$TMP/last.out"
	expect_eq "$e: untouched by sync --to-sql" "$before" "$(definition)"

	expect_status "$e: repair --adopt without --yes (not a terminal): 65" 65 \
		"$MQ" repair-database --adopt </dev/null
	expect_grep "$e: it shows the columns it would drop" 'DROP COLUMN .*-- drops data' "$TMP/last.out"
	expect_grep "$e: and asks for --yes" 'nothing was changed: run it again with --yes' "$TMP/last.out"
	expect_eq "$e: untouched without --yes" "$before" "$(definition)"
	expect_status "$e: repair --adopt --yes takes it over" 0 "$MQ" repair-database --adopt --yes
	expect_status "$e: then the database is valid" 0 "$MQ" check-database
	expect_status "$e: and sync --to-sql works" 0 "$MQ" sync --to-sql

	q "ALTER TABLE capacity ADD COLUMN note_extra VARCHAR(10)"
	expect_status "$e: a repair that drops an extra column, without --yes: 65" 65 \
		"$MQ" repair-database </dev/null
	expect_grep "$e: the column is still there" 'note_extra' <(q "SELECT * FROM capacity WHERE 1 = 0" 2>&1; \
		[ "$e" = sqlite ] && q "SELECT sql FROM sqlite_master WHERE name = 'capacity'" ||
		q "SELECT column_name FROM information_schema.columns WHERE table_name = 'capacity'")
	expect_status "$e: with --yes it runs" 0 "$MQ" repair-database --yes
	expect_status "$e: purge-database without --yes (not a terminal): 65" 65 \
		"$MQ" purge-database </dev/null
	expect_eq "$e: nothing purged: the row is in SQL" 1 "$(q 'SELECT count(*) FROM locals')"
	expect_status "$e: purge-database --yes" 0 "$MQ" purge-database --yes
	expect_eq "$e: purged" 0 "$(q 'SELECT count(*) FROM locals')"

	# ezmlm-idx 7's address table: hash and address, no domain.
	q "CREATE TABLE ez (hash INTEGER NOT NULL, address VARCHAR(255) NOT NULL)"
	q "CREATE TABLE ez_slog (tai TIMESTAMP, address VARCHAR(255) NOT NULL, fromline VARCHAR(255) NOT NULL, edir CHAR NOT NULL, etype CHAR NOT NULL)"
	"$MQ" check-database >"$TMP/ez.out" 2>&1
	expect_no_grep "$e: ezmlm-idx 7's list table counts as mq's" "table ez: not mq's" "$TMP/ez.out"
	expect_status "$e: repair adds what it lacks" 0 "$MQ" repair-database --yes
	unset MQ_DATABASE_ADDRESS MQ_STORE_PATH
}

each_engine foreign
finish
