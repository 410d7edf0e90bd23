#!/usr/bin/env bash
# cli_tables - mq get/set/del/dump over the tables; bad input is one line
# naming what is wrong, a non-zero status, and no change to the store.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"

seq_of() { "$MQ" stat | awk '$1 == "sequence" { print $2 }'; }

check "set inserts and allocates an id" "$MQ" set capacity localip=1.2.3.4 domain=example.com domain_maxmessages=100
expect_eq "the id is printed" "capacity: id=2" "$("$MQ" set capacity domain=example.org name='\N')"
"$MQ" get capacity id=1 > "$TMP/row1"
expect_grep "get prints the row as TSV with header" $'^1\t\\\\N\t1.2.3.4\texample.com\t100\t-1' "$TMP/row1"
expect_status "get with no match exits 1" 1 "$MQ" get capacity id=99
check "set by key updates one column" "$MQ" set capacity id=1 secure=1
expect_eq "the other columns stay" "100 1" "$("$MQ" get capacity id=1 | awk -F'\t' 'NR == 2 { print $5, $13 }')"
"$MQ" get capacity id=1 --json > "$TMP/json"
expect_grep "JSON output has typed values and null" '"name":null,"localip":"1.2.3.4".*"secure":1' "$TMP/json"

# A TSV round trip: dump, delete all, load, dump again: identical.
printf 'id\tname\tdomain\n7\ttab\\there\\nnewline \\\\ back\tutf8.\xc3\xa9xample\n8\t\tempty-name\n9\t\\N\tnull-name\n' |
	"$MQ" set capacity - > /dev/null
"$MQ" dump capacity > "$TMP/before.tsv"
check "del --all empties the table" "$MQ" del capacity --all
check "set - loads the dump" "$MQ" set capacity - < "$TMP/before.tsv"
"$MQ" dump capacity > "$TMP/after.tsv"
check "dump, del, load, dump is lossless" cmp "$TMP/before.tsv" "$TMP/after.tsv"
name_of() { awk -F'\t' -v id="$1" '$1 == id { print $2 }' "$TMP/after.tsv"; }
expect_eq "escapes survive" 'tab\there\nnewline \\ back' "$(name_of 7)"
expect_eq "'' stays ''" '' "$(name_of 8)"
expect_eq "NULL stays NULL" '\N' "$(name_of 9)"

# Bad input: a clear one-line error naming it, status, no change.
"$MQ" dump capacity > "$TMP/ref.tsv"
seq0=$(seq_of)
expect_status "unknown table: exit 65" 65 "$MQ" set capacities name=x
expect_grep "it names the table" "no such table: capacities" "$TMP/last.out"
expect_status "unknown column: exit 65" 65 "$MQ" set capacity nmae=x
expect_grep "it names the column" "capacity: no column nmae" "$TMP/last.out"
expect_status "text in an integer column: exit 65" 65 "$MQ" set capacity domain_maxmessages=many
expect_grep "it names table, column and value" "capacity.domain_maxmessages: not an integer: 'many'" "$TMP/last.out"
expect_status "a bad TSV line: exit 65" 65 "$MQ" set capacity - < <(printf 'domain\tsecure\na.example\t1\nb.example\tyes\n')
expect_grep "it names the line and column" "stdin:3: capacity.secure: not an integer: 'yes'" "$TMP/last.out"
expect_eq "one line per error" 1 "$(wc -l < "$TMP/last.out")"
"$MQ" dump capacity > "$TMP/ref2.tsv"
check "bad input changed no row" cmp "$TMP/ref.tsv" "$TMP/ref2.tsv"
expect_eq "bad input moved no sequence" "$seq0" "$(seq_of)"

mkdir "$TMP/ro" && chmod 0500 "$TMP/ro"
if [ "$(id -u)" = 0 ]; then
	# root ignores directory modes: use a path under a regular file.
	expect_status "unwritable store path: non-zero" 70 env MQ_STORE_PATH="$TMP/ref.tsv/mq.mdb" "$MQ" set capacity name=x
	expect_grep "it names the path" "ref.tsv" "$TMP/last.out"
else
	expect_status "unwritable store path: non-zero" 70 env MQ_STORE_PATH="$TMP/ro/mq.mdb" "$MQ" set capacity name=x
	expect_grep "it names the path" "ro/mq.mdb" "$TMP/last.out"
fi
head -c 65536 /dev/urandom > "$TMP/corrupt.mdb"
expect_status "a file that is no store: exit 65" 65 env MQ_STORE_PATH="$TMP/corrupt.mdb" "$MQ" get capacity
expect_grep "it names the file" "corrupt.mdb: not an LMDB store file" "$TMP/last.out"
expect_eq "and leaves it alone" 65536 "$(stat -c %s "$TMP/corrupt.mdb")"

# Lists: table names; an address in another case is a row of its own
# (as in ezmlm-idx's SQL), a set of the same address replaces its row.
check "list-create" "$MQ" list-create ml
check "subscriber set" "$MQ" set ml address=Alice@Example.COM
check "same address, other case" "$MQ" set ml address=alice@example.com
check "same address, same case" "$MQ" set ml address=alice@example.com
expect_eq "a row for each case (and the header)" 3 "$("$MQ" dump ml | wc -l)"
expect_status "list-create twice: exit 65" 65 "$MQ" list-create ml
expect_status "a root that clashes: exit 65" 65 "$MQ" list-create ml_digest
check "list-drop" "$MQ" list-drop ml
expect_status "dropped list's table is gone" 65 "$MQ" get ml

expect_status "del without filters is a usage error" 64 "$MQ" del capacity
expect_status "unknown command: 64" 64 "$MQ" frobnicate
for cmd in serve get set del dump tables stat backup verify list-create list-drop config sql; do
	"$MQ" "$cmd" --help > "$TMP/help" 2>&1
	expect_grep "$cmd --help answers" "^usage: mq $cmd" "$TMP/help"
done
stat -c %a "$MQ_STORE_PATH" > "$TMP/mode"
expect_eq "store file mode 0600" 600 "$(cat "$TMP/mode")"
finish
