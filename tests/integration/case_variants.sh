#!/usr/bin/env bash
# NAME
#	case_variants.sh - list addresses that differ only in case, on
#	SQLite, PostgreSQL and MariaDB
# DESCRIPTION
#	ezmlm-sub's duplicate check is exact (address = ?), so a list table
#	may hold Carol@, carol@ and CAROL@example.com as three rows (on
#	MariaDB too, whose collation ignores case: there neither
#	ezmlm-make's nor mq's list tables have a unique key on address).
#	Three variants inserted with the engine's own client: a sync from
#	SQL gives mq list the three (as many as SQL holds), a second sync
#	changes nothing, a sync to SQL exits 0 and leaves SQL's rows byte
#	for byte; a change of one variant's hash in the store reaches only
#	that row in SQL (an UPDATE by address matched all three on
#	MariaDB); mq issub in any case says yes; mq unsub in yet another
#	case removes every variant in the store and in SQL, and the slog
#	rows (store and SQL) hold the addresses as stored.
#	Needs MQ_TEST_PG_URL and MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=case_variants_$$
export LC_ALL=C
VARIANTS="Carol@example.com carol@example.com CAROL@example.com"

# sql_rows - the list table's rows as SQL holds them, sorted
sql_rows() {
	q "SELECT hash, address, domain FROM cv" | sort
}

one_engine() {
	local e=$ENGINE h d a held before
	export MQ_STORE_PATH=$TMP/$e.mdb MQ_DATABASE_ADDRESS=$URL
	check "$e: repair-database" "$MQ" repair-database
	check "$e: list-create cv, sub carol@example.com" \
		sh -c '"$1" list-create cv && "$1" sub cv carol@example.com' _ "$MQ"
	read -r h d <<< "$(q "SELECT hash, domain FROM cv")"
	for a in Carol@example.com CAROL@example.com; do
		q "INSERT INTO cv (hash, address, domain) VALUES ($h, '$a', '$d')"
	done
	held=$(q "SELECT address FROM cv" | sort)
	expect_eq "$e: SQL holds the three variants" \
		"$(printf '%s\n' $VARIANTS | sort)" "$held"
	before=$(sql_rows)

	check "$e: sync --from-sql" "$MQ" sync --from-sql
	expect_eq "$e: mq list shows every variant SQL holds" "$held" \
		"$("$MQ" list cv | sort)"
	check "$e: a second sync --from-sql" "$MQ" sync --from-sql
	expect_grep "$e: it changes nothing" "0 changed.*nothing to do" "$TMP/last.out"
	check "$e: sync --to-sql" "$MQ" sync --to-sql
	expect_eq "$e: SQL's rows are as they were, byte for byte" "$before" "$(sql_rows)"

	# One variant blocked in the store alone, then exported.
	check "$e: the store alone: CAROL@ blocked (hash 99)" \
		env -u MQ_DATABASE_ADDRESS "$MQ" set cv --hash address=CAROL@example.com hash=99
	check "$e: sync --to-sql" "$MQ" sync --to-sql
	expect_eq "$e: only that row changed in SQL" \
		"$(printf '%s\n' "$before" | sed 's/^[0-9]*\tCAROL@/99\tCAROL@/' | sort)" \
		"$(sql_rows)"
	check "$e: sync --from-sql" "$MQ" sync --from-sql
	expect_grep "$e: which then changes nothing" "0 changed.*nothing to do" "$TMP/last.out"

	for a in carol@EXAMPLE.COM CAROL@example.com cArOl@example.com; do
		expect_status "$e: mq issub $a: yes" 0 "$MQ" issub cv "$a"
	done
	check "$e: mq unsub caROL@example.com" "$MQ" unsub cv caROL@example.com
	expect_eq "$e: the store lists no variant" "" "$("$MQ" list cv)"
	expect_eq "$e: SQL keeps only the blocked one" "99	CAROL@example.com	$d" "$(sql_rows)"
	expect_eq "$e: SQL's slog: a row for each removed, as stored" \
		"$(printf '%s\n' Carol@example.com carol@example.com)" \
		"$(q "SELECT address FROM cv_slog WHERE edir = '-'" | sort)"
	expect_eq "$e: the store's slog: the same" \
		"$(printf '%s\n' Carol@example.com carol@example.com)" \
		"$("$MQ" log cv | awk '$3 == "-m" { print $4 }' | sort)"
	check "$e: the store verifies" "$MQ" verify
	unset MQ_DATABASE_ADDRESS
}

each_engine one_engine
finish
