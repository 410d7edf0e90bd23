#!/usr/bin/env bash
# lists_sql - mq sub, mq unsub and mq import ezmlm with SQL authoritative
# (database-address set), on SQLite, PostgreSQL and MariaDB, each in a
# database and a store of its own: the address rows and their _slog rows
# are in SQL at once (read with the engine's own client), equal to the
# store's; Alice@X and alice@x are one subscriber in SQL too; a following
# mq sync --from-sql changes nothing (the store's sequence stays); an
# unreachable server is exit 75 and changes nothing anywhere; an imported
# list is in SQL.  Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL
# (tests/run.sh).
. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=h7_lists_$$

seq_of() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

# same_rows T - the store's rows of list table T equal SQL's
same_rows() {
	"$MQ" dump "$1" | tail -n +2 | sort > "$TMP/store.tsv"
	q "SELECT hash, address, domain FROM $1" | sort > "$TMP/sql.tsv"
	if cmp -s "$TMP/store.tsv" "$TMP/sql.tsv"; then
		ok "$ENGINE: $1: the store's rows are SQL's"
	else
		fail "$ENGINE: $1: the store's rows are SQL's" \
			"store: $(tr '\n\t' '| ' < "$TMP/store.tsv")" \
			"sql: $(tr '\n\t' '| ' < "$TMP/sql.tsv")"
	fi
}

# same_slog T - the store's slog rows (without tai) equal SQL's, and
# the store's times too (SQLite's INTEGER tai as the time it counts)
same_slog() {
	"$MQ" dump "${1}_slog" | tail -n +2 | sort > "$TMP/store.tsv"
	# ezmlm's SQLite tai is INTEGER: unix seconds
	local tai=tai
	[ "$ENGINE" = sqlite ] && tai="datetime(tai, 'unixepoch')"
	q "SELECT $tai, address, fromline, edir, etype FROM ${1}_slog" | sort > "$TMP/sql.tsv"
	if cmp -s "$TMP/store.tsv" "$TMP/sql.tsv" && [ -s "$TMP/sql.tsv" ]; then
		ok "$ENGINE: ${1}_slog: the store's rows are SQL's"
	else
		fail "$ENGINE: ${1}_slog: the store's rows are SQL's" \
			"store: $(tr '\n\t' '| ' < "$TMP/store.tsv")" \
			"sql: $(tr '\n\t' '| ' < "$TMP/sql.tsv")"
	fi
}

# unchanged_by_sync - sync --from-sql finds nothing; the sequence stays
unchanged_by_sync() {
	local s
	s=$(seq_of)
	check "$ENGINE: $1: sync --from-sql" "$MQ" sync --from-sql
	expect_grep "$ENGINE: $1: it has nothing to do" "nothing to do" "$TMP/last.out"
	expect_eq "$ENGINE: $1: the sequence stayed" "$s" "$(seq_of)"
}

run_engine() {
	local s
	export MQ_STORE_PATH=$TMP/$ENGINE.mdb
	unset MQ_DATABASE_ADDRESS
	check "$ENGINE: list t" "$MQ" list-create t
	check "$ENGINE: its tables in SQL" "$MQ" sync --to-sql --address "$URL"
	export MQ_DATABASE_ADDRESS=$URL

	check "$ENGINE: sub Alice@X.Example" "$MQ" sub t --from "web form" Alice@X.Example
	expect_eq "$ENGINE: SQL has the address as stored" "Alice@x.example	exa" \
		"$(q "SELECT address, domain FROM t")"
	expect_eq "$ENGINE: and its slog row" "Alice@x.example	web form	+	m" \
		"$(q "SELECT address, fromline, edir, etype FROM t_slog")"
	same_rows t
	same_slog t
	check "$ENGINE: sub alice@x.example (another case)" "$MQ" sub t alice@x.example
	expect_grep "$ENGINE: already subscribed" "0 subscribed, 1 already" "$TMP/last.out"
	expect_eq "$ENGINE: one subscriber in SQL" "1" \
		"$(q "SELECT COUNT(*) FROM t WHERE lower(address) = 'alice@x.example'")"
	expect_eq "$ENGINE: one slog row in SQL" "1" "$(q "SELECT COUNT(*) FROM t_slog")"
	check "$ENGINE: sub bob and carol" "$MQ" sub t bob@y.example Carol@Z.Example
	same_rows t
	unchanged_by_sync "sub"

	check "$ENGINE: unsub ALICE@x.example" "$MQ" unsub t ALICE@x.example
	expect_eq "$ENGINE: SQL lost her" "0" \
		"$(q "SELECT COUNT(*) FROM t WHERE lower(address) = 'alice@x.example'")"
	expect_eq "$ENGINE: with a '-' slog row, the address as stored" "Alice@x.example	-	m" \
		"$(q "SELECT address, edir, etype FROM t_slog WHERE edir = '-'")"
	expect_status "$ENGINE: the store lost her" 1 "$MQ" issub t alice@x.example
	same_rows t
	same_slog t
	unchanged_by_sync "unsub"

	# Many addresses (read the whole table), one bad: nothing anywhere.
	seq 1 300 | sed 's/.*/u&@bulk.example/' > "$TMP/bulk"
	echo 'not-an-address' >> "$TMP/bulk"
	expect_status "$ENGINE: a bad line refuses all" 65 "$MQ" sub t - < "$TMP/bulk"
	expect_grep "$ENGINE: naming its line" "stdin:301" "$TMP/last.out"
	expect_eq "$ENGINE: SQL got none" "2" "$(q "SELECT COUNT(*) FROM t")"
	sed -i '$d' "$TMP/bulk"
	echo 'Bob@y.example' >> "$TMP/bulk"
	check "$ENGINE: 300 new and one present" "$MQ" sub t - < "$TMP/bulk"
	expect_grep "$ENGINE: counted" "300 subscribed, 1 already" "$TMP/last.out"
	expect_eq "$ENGINE: SQL has them" "302" "$(q "SELECT COUNT(*) FROM t")"
	same_rows t
	same_slog t
	unchanged_by_sync "bulk"

	s=$(seq_of)
	expect_status "$ENGINE: unreachable server: exit 75" 75 \
		env MQ_DATABASE_ADDRESS=postgresql://mq@127.0.0.1:1/none \
		"$MQ" sub t dave@w.example
	expect_status "$ENGINE: unsub too" 75 \
		env MQ_DATABASE_ADDRESS=postgresql://mq@127.0.0.1:1/none \
		"$MQ" unsub t bob@y.example
	expect_eq "$ENGINE: the store did not move" "$s" "$(seq_of)"
	expect_status "$ENGINE: no dave in the store" 1 "$MQ" issub t dave@w.example
	expect_eq "$ENGINE: nor in SQL" "0" \
		"$(q "SELECT COUNT(*) FROM t WHERE address = 'dave@w.example'")"
	check "$ENGINE: bob still there" "$MQ" issub t bob@y.example

	check "$ENGINE: import ezmlm with SQL authoritative" \
		"$MQ" import ezmlm "$TMP/ez" imp
	expect_eq "$ENGINE: SQL has its subscribers" "2" "$(q "SELECT COUNT(*) FROM imp")"
	expect_eq "$ENGINE: its digest" "dd@d.example" "$(q "SELECT address FROM imp_digest")"
	expect_eq "$ENGINE: its Log" "2" "$(q "SELECT COUNT(*) FROM imp_slog")"
	expect_eq "$ENGINE: its digest's Log" "1" "$(q "SELECT COUNT(*) FROM imp_digest_slog")"
	same_rows imp
	same_slog imp
	unchanged_by_sync "import"
	expect_status "$ENGINE: a second import is refused" 65 \
		"$MQ" import ezmlm "$TMP/ez" imp
	check "$ENGINE: the store verifies" "$MQ" verify
	unset MQ_DATABASE_ADDRESS
}

# The ezmlm directory to import, written by mq from a store of its own.
MQ_STORE_PATH=$TMP/ez.mdb "$MQ" list-create ez >/dev/null &&
MQ_STORE_PATH=$TMP/ez.mdb "$MQ" sub ez a@d.example B@D.example >/dev/null &&
MQ_STORE_PATH=$TMP/ez.mdb "$MQ" sub ez --digest dd@d.example >/dev/null &&
check "an ezmlm directory" env MQ_STORE_PATH="$TMP/ez.mdb" "$MQ" export ezmlm ez "$TMP/ez"

each_engine run_engine
finish
