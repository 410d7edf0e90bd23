#!/usr/bin/env bash
# NAME
#	sql_case_keys.sh - MailerQ keys that differ only in case, on MariaDB
# DESCRIPTION
#	The store keeps a text key exactly: mtanames may hold
#	Mta1.example.com and mta1.example.com, ips 2001:DB8::1 and
#	2001:db8::1.  MariaDB's default collation ignores case, so its
#	primary key takes one of each pair.  Before, sync --to-sql failed
#	with a bare "Duplicate entry" naming no table; now:
#	- sync --to-sql exits 0; the row that collides is refused with a
#	  warning naming table, key, column and the row SQL has for it;
#	  SQL keeps that row as it was; the other tables sync.
#	- A second --to-sql says the same and changes nothing.
#	- --from-sql takes SQL's rows (the refused one leaves the store),
#	  and after it every sync in either direction has nothing to do.
#	- A key renamed in case only in the store (lower to upper) is
#	  replaced in one --to-sql: the old row goes before the new comes.
#	- mq set writing through such a key exits 65 naming the table,
#	  the key and SQL's row, not the driver's message; nothing changes.
#	Needs MQ_TEST_MYSQL_URL (tests/run.sh).

. "$(dirname "$0")/../lib/harness.sh"
. "$REPO/tests/lib/engines.sh"

DBNAME=case_keys_$$
export LC_ALL=C

# alone - mq without SQL: the store alone
alone() { env -u MQ_DATABASE_ADDRESS "$MQ" "$@"; }

# sql_keys TABLE KEYCOL VALCOL - SQL's rows, sorted
sql_keys() { q "SELECT $2, $3 FROM $1" | sort; }

if [ -z "${MQ_TEST_MYSQL_URL:-}" ]; then
	skip "mysql" "MQ_TEST_MYSQL_URL not set"
	finish
fi
engine_setup mysql || { fail "mysql: create a database"; finish; }
export MQ_STORE_PATH=$TMP/s.mdb MQ_DATABASE_ADDRESS=$URL
check "repair-database" "$MQ" repair-database --yes
for row in "mtanames localip=Mta1.example.com hostname=upper.example" \
	"mtanames localip=mta1.example.com hostname=lower.example" \
	"ips ip=2001:DB8::1 hostname=upper.example" \
	"ips ip=2001:db8::1 hostname=lower.example" \
	"dns domain=example.com ip=192.0.2.1"; do
	# shellcheck disable=SC2086
	check "the store alone: $row" alone set $row
done
expect_eq "the store holds both of each pair" 4 \
	"$( (alone dump mtanames; alone dump ips) | grep -c example)"

check "sync --to-sql goes on" "$MQ" sync --to-sql
cp "$TMP/last.out" "$TMP/first.out"
expect_grep "it names table, key, column and SQL's row (mtanames)" \
	"refused.*table mtanames: row localip=mta1\.example\.com: column localip: .*localip=Mta1\.example\.com" \
	"$TMP/first.out"
expect_grep "it names table, key, column and SQL's row (ips)" \
	"refused.*table ips: row ip=2001:db8::1: column ip: .*ip=2001:DB8::1" \
	"$TMP/first.out"
expect_no_grep "no driver message" "Duplicate entry" "$TMP/first.out"
expect_eq "SQL holds the first of each pair (mtanames)" \
	"Mta1.example.com	upper.example" "$(sql_keys mtanames localip hostname)"
expect_eq "SQL holds the first of each pair (ips)" \
	"2001:DB8::1	upper.example" "$(sql_keys ips ip hostname)"
expect_eq "the other tables sync" "example.com	192.0.2.1" "$(sql_keys dns domain ip)"

before=$(sql_keys mtanames localip hostname; sql_keys ips ip hostname; sql_keys dns domain ip)
check "a second sync --to-sql" "$MQ" sync --to-sql
expect_grep "says nothing else is to do" "0 changed.*nothing to do" "$TMP/last.out"
expect_eq "and the same refusals" "$(grep refused "$TMP/first.out")" \
	"$(grep refused "$TMP/last.out")"
expect_eq "SQL is as it was" "$before" \
	"$(sql_keys mtanames localip hostname; sql_keys ips ip hostname; sql_keys dns domain ip)"

check "sync --from-sql" "$MQ" sync --from-sql
expect_eq "the store takes SQL's rows" \
	"Mta1.example.com	upper.example" "$(alone dump mtanames | tail -n +2)"
for dir in --from-sql --to-sql; do
	check "then sync $dir" "$MQ" sync $dir
	expect_grep "has nothing to do" "0 changed.*nothing to do" "$TMP/last.out"
	expect_no_grep "and refuses nothing" "refused" "$TMP/last.out"
done

# A key renamed in case in the store alone: one --to-sql replaces it.
check "SQL has mta2.example.com" "$MQ" set mtanames localip=mta2.example.com hostname=two.example
alone del mtanames localip=mta2.example.com >/dev/null
alone set mtanames localip=MTA2.example.com hostname=two.example >/dev/null
check "the store renames it MTA2.example.com; sync --to-sql" "$MQ" sync --to-sql
expect_no_grep "refuses nothing" "refused" "$TMP/last.out"
expect_eq "SQL holds the new name" "MTA2.example.com	two.example" \
	"$(q "SELECT localip, hostname FROM mtanames WHERE localip LIKE 'mta2%'")"
check "a second sync --to-sql" "$MQ" sync --to-sql
expect_grep "has nothing to do" "0 changed.*nothing to do" "$TMP/last.out"

# Write-through of a key SQL holds in another case.
before=$(sql_keys mtanames localip hostname)
expect_status "mq set mtanames localip=MTA1.EXAMPLE.COM: exit 65" 65 \
	"$MQ" set mtanames localip=MTA1.EXAMPLE.COM hostname=third.example
expect_grep "names the table, the key and SQL's row" \
	"mtanames.*localip=MTA1\.EXAMPLE\.COM.*localip=Mta1\.example\.com" "$TMP/last.out"
expect_no_grep "not the driver's message" "Duplicate entry" "$TMP/last.out"
expect_eq "SQL is as it was" "$before" "$(sql_keys mtanames localip hostname)"
expect_eq "the store has no such row" "" \
	"$(alone dump mtanames | grep -F MTA1.EXAMPLE.COM)"
check "the store verifies" "$MQ" verify
finish
