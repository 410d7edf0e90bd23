#!/usr/bin/env bash
# lists_sub - mq sub, unsub, issub, list and log: ezmlm-idx's subscriber
# semantics (case, special hashes, one slog row per change), bad input
# that changes nothing, and a store that verifies afterwards.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"

seq_of() { "$MQ" stat | awk '$1 == "sequence" { print $2 }'; }
slog_rows() { "$MQ" log list "$@" | wc -l; }
# col N TABLE ADDRESS - column N of the row of ADDRESS as 'mq get' prints it
col() { "$MQ" get "$2" address="$3" | awk -F'\t' -v n="$1" 'NR == 2 { print $n }'; }

check "list-create" "$MQ" list-create list
expect_status "sub on a list that does not exist: exit 65" 65 "$MQ" sub nolist a@b.org
expect_grep "it names the list" "no such list: nolist" "$TMP/last.out"

# Case: the domain is stored lower-cased, the local part kept; any case
# of an address already present is the same subscriber.
check "sub Alice@Example.COM" "$MQ" sub list Alice@Example.COM
expect_eq "stored with the domain lower-cased" "Alice@example.com" "$(col 2 list Alice@example.com)"
expect_eq "then alice@EXAMPLE.com is already subscribed" "list: 0 subscribed, 1 already subscribed" "$("$MQ" sub list alice@EXAMPLE.com)"
expect_eq "one subscriber" "1" "$("$MQ" list list -n)"
expect_eq "issub in another case prints it as stored" "Alice@example.com" "$("$MQ" issub list ALICE@example.COM)"
expect_status "issub of a stranger: exit 1" 1 "$MQ" issub list bob@example.com

# hash and domain columns are those of ezmlm-idx (vectors computed
# outside mq, see tests/unit/subhash_cases.txt).
"$MQ" sub list BOB@Mail.Sub.Example.EDU Zz@ZZ.ZZZZ > /dev/null
expect_eq "hash of BOB@Mail.Sub.Example.EDU" "37" "$(col 1 list BOB@mail.sub.example.edu)"
expect_eq "domain of BOB@Mail.Sub.Example.EDU" "edu" "$(col 3 list BOB@mail.sub.example.edu)"
expect_eq "hash and domain of Zz@ZZ.ZZZZ" "8 zzz" "$(col 1 list Zz@zz.zzzz) $(col 3 list Zz@zz.zzzz)"

# Special hashes: 98 the receipt (listed after all others), 99 a
# sublist (never in the plain listing), others above 52 block.
"$MQ" sub list --hash 98 aaa-return-receipt@main.example > /dev/null
"$MQ" sub list --hash 99 sub1@host.example > /dev/null
expect_eq "--hash 60 blocks" "list: 1 subscribed, 0 already subscribed" "$("$MQ" sub list --hash 60 Evil@Spam.example)"
"$MQ" list list > "$TMP/all"
expect_eq "the receipt address comes last" "aaa-return-receipt@main.example" "$(tail -n 1 "$TMP/all")"
expect_eq "the listing: normal hashes, then the receipt" "3 1" "$(grep -vc return-receipt "$TMP/all") $(grep -c return-receipt "$TMP/all")"
expect_no_grep "sublist addresses are not listed" "sub1@host" "$TMP/all"
expect_no_grep "blocked addresses are not listed" "Evil" "$TMP/all"
expect_eq "--hash 99 lists the sublists" "sub1@host.example" "$("$MQ" list list --hash 99)"
expect_eq "a blocked address cannot subscribe" "list: 0 subscribed, 0 already subscribed, 1 blocked" "$("$MQ" sub list evil@spam.example)"
expect_status "issub of a blocked address: exit 1" 1 "$MQ" issub list evil@spam.example
expect_grep "it says why" "hash 60 .blocked" "$TMP/last.out"
expect_eq "unsub without --hash leaves it" "list: 0 unsubscribed, 1 not subscribed" "$("$MQ" unsub list evil@spam.example)"
expect_eq "unsub with another --hash leaves it" "list: 0 unsubscribed, 1 not subscribed" "$("$MQ" unsub list --hash 61 evil@spam.example)"
expect_eq "unsub --hash 60 removes it" "list: 1 unsubscribed, 0 not subscribed" "$("$MQ" unsub list --hash 60 evil@spam.example)"
expect_eq "unsub in another case" "list: 1 unsubscribed, 0 not subscribed" "$("$MQ" unsub list Zz@zz.ZZZZ)"

# One slog row per change, none for a no-op.
expect_eq "slog: one row per change" "8" "$(slog_rows)"
"$MQ" log list > "$TMP/log"
expect_grep "a subscription: time, +m, address" '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} \+m Alice@example.com$' "$TMP/log"
expect_grep "an unsubscription: -m" ' -m Zz@zz.zzzz$' "$TMP/log"
"$MQ" sub list --from 'Carol <carol@x.org>' carol@x.org > /dev/null
expect_eq "log search in the from line, any case" "1" "$(slog_rows 'CAROL <')"
expect_eq "log search: _ matches one character" "1" "$(slog_rows 'carol_x.org')"
"$MQ" log list carol > "$TMP/carol"
expect_grep "the from line is logged" '\+m carol@x.org Carol <carol@x.org>$' "$TMP/carol"

# The other tables are separate, each with its own slog.
"$MQ" sub list --digest dig@x.org > /dev/null
expect_eq "digest list" "dig@x.org" "$("$MQ" list list --digest)"
expect_status "not in the main list" 1 "$MQ" issub list dig@x.org
expect_eq "digest slog" "1" "$(slog_rows --digest)"
"$MQ" sub list --mod mod@x.org > /dev/null
check "issub --mod" "$MQ" issub list --mod mod@x.org

# Addresses from stdin: duplicates in any case count once; with -n a
# from line follows the address after one space, tab or comma (ezmlm-sub
# -n); empty lines and '#' lines are skipped.
printf 'one@a.org\nTwo@B.org Two B\n\n# a comment\nONE@A.ORG\ntwo@b.org\r\n' > "$TMP/in"
expect_eq "sub -n - from stdin" "list: 2 subscribed, 2 already subscribed" "$("$MQ" sub list -n - < "$TMP/in")"
expect_grep "a from line from stdin" '\+m Two@b.org Two B$' <("$MQ" log list two)
# A file on stdin is mapped, a pipe read, a file not at its start read
# from its offset on (which is left at the end): the same lines each way,
# also a last one without its newline that ends a page.
{ for i in $(seq 1 255); do printf 'pag%05d@pg.org\n' "$i"; done
  printf 'pag00256@pgx.org'; } > "$TMP/page"
expect_eq "a file of one page" 4096 "$(wc -c < "$TMP/page")"
expect_eq "sub - of a file ending a page without a newline" \
	"list: 256 subscribed, 0 already subscribed" "$("$MQ" sub list - < "$TMP/page")"
check "its last line" "$MQ" issub list pag00256@pgx.org
expect_eq "the same lines from a pipe" "list: 0 subscribed, 256 already subscribed" \
	"$(cat "$TMP/page" | "$MQ" sub list -)"
printf 'off1@pg.org\noff2@pg.org\noff3@pg.org\n' > "$TMP/off"
expect_eq "a file read from its offset is left at its end" "" \
	"$( { IFS= read -r _; "$MQ" sub list - > /dev/null; cat; } < "$TMP/off")"
check "the lines after the offset are read" "$MQ" issub list off3@pg.org
expect_status "the line before it is not" 1 "$MQ" issub list off1@pg.org
expect_eq "a mapped file is left at its end" "" \
	"$( { "$MQ" sub list - > /dev/null; cat; } < "$TMP/off")"
check "and read whole" "$MQ" issub list off1@pg.org
printf '"ann\\,x"@a.org,Ann X\n' | "$MQ" sub list -n - > /dev/null
expect_grep "-n: a backslash keeps the comma in the address" '\+m "ann\\,x"@a.org Ann X$' <("$MQ" log list ann)
"$MQ" sub list -n pat@a.org 'Pat A' quinn@a.org > /dev/null
expect_grep "-n: ADDR FROMLINE pairs" '\+m pat@a.org Pat A$' <("$MQ" log list pat)
check "-n: the last address needs no from line" "$MQ" issub list quinn@a.org
# Without -n the whole line is the address, as ezmlm-sub's: one with a
# space is refused whole, not cut at the space.
printf '"a b"@a.org From\n' > "$TMP/spaced"
expect_status "a spaced line is one address" 65 "$MQ" sub list - < "$TMP/spaced"
expect_grep "the space is refused in the address" "stdin:1: address '\"a b\"@a.org From': the local part holds a space" "$TMP/last.out"

# Bad input: one line naming it, exit 65, nothing written.
"$MQ" dump list > "$TMP/before"
seq0=$(seq_of)
printf 'good@x.org\nnoatsign  From Line\n' > "$TMP/bad"
expect_status "a bad line: exit 65" 65 "$MQ" sub list -n - < "$TMP/bad"
expect_grep "it names the line" "stdin:2: address 'noatsign': no @ sign" "$TMP/last.out"
expect_eq "one line" "1" "$(wc -l < "$TMP/last.out")"
# Line numbers count the lines skipped (comments, blanks) and CRLF ends.
printf '# list\n\nok1@x.org\r\n\nbad@\r\n' > "$TMP/bad2"
expect_status "a bad line after skipped ones: exit 65" 65 "$MQ" sub list - < "$TMP/bad2"
expect_grep "it names that line" "^mq: stdin:5: address 'bad@'" "$TMP/last.out"
{ printf '#\nok2@x.org\n'; head -c 1100 /dev/zero | tr '\0' x; echo; } > "$TMP/long"
expect_status "a line too long: exit 65" 65 "$MQ" sub list - < "$TMP/long"
expect_grep "it names the long line" "^mq: stdin:3: line longer than" "$TMP/last.out"
expect_status "no @: exit 65" 65 "$MQ" sub list noat
expect_status "--hash 100: usage" 64 "$MQ" sub list --hash 100 a@b.org
expect_status "bad list name: usage" 64 "$MQ" sub 'List;drop' a@b.org
"$MQ" dump list > "$TMP/after"
check "bad input changed no row" cmp "$TMP/before" "$TMP/after"
expect_eq "bad input moved no sequence" "$seq0" "$(seq_of)"

# A subscribe with more changes than changes-keep: every address and slog
# row is written, the change log overflows to one record, the store
# verifies, and later writes are logged again.
seq0=$(seq_of)
for i in $(seq 1 30); do echo "bulk$i@Bulk.example"; done > "$TMP/bulk"
expect_eq "sub of 30 with changes-keep 20" "list: 30 subscribed, 0 already subscribed" \
	"$(MQ_CHANGES_KEEP=20 "$MQ" sub list - < "$TMP/bulk")"
expect_eq "all 30 are listed" 30 "$("$MQ" list list | grep -c '^bulk[0-9]*@bulk.example$')"
expect_eq "30 slog rows" 30 "$("$MQ" log list bulk | wc -l)"
expect_eq "the sequence moved once" $((seq0 + 1)) "$(seq_of)"
check "the store verifies with the log overflowed" "$MQ" verify "$MQ_STORE_PATH"
expect_eq "a later unsub of 5" "list: 5 unsubscribed, 0 not subscribed" \
	"$(head -5 "$TMP/bulk" | MQ_CHANGES_KEEP=20 "$MQ" unsub list -)"
expect_eq "25 left" 25 "$("$MQ" list list | grep -c '^bulk')"
check "the store verifies after it" "$MQ" verify "$MQ_STORE_PATH"

# A file on stdin cut short while mq reads it (mapped): one line and exit
# 75, not taken for a damaged store, and nothing written.
seq0=$(seq_of)
seq 1 2000000 | sed 's/.*/cut&@cut.example/' > "$TMP/cut"
"$MQ" sub list - < "$TMP/cut" > "$TMP/cut.out" 2>&1 &
pid=$!
for _ in $(seq 1 1000); do
	grep -q "$TMP/cut" "/proc/$pid/maps" 2> /dev/null && break
	sleep 0.01
done
: > "$TMP/cut"
wait "$pid"
expect_eq "cut short while read: exit 75" 75 "$?"
expect_grep "it says so" "^mq: stdin: the file was cut short while mq read it$" "$TMP/cut.out"
expect_eq "not a damaged store" 0 "$(grep -c damaged "$TMP/cut.out")"
expect_eq "nothing written" "$seq0 0" "$(seq_of) $("$MQ" list list | grep -c '@cut.example$')"
check "the store verifies after the cut" "$MQ" verify "$MQ_STORE_PATH"

for c in sub unsub issub list log; do
	expect_grep "$c --help" "^usage: mq $c" <("$MQ" "$c" --help)
done

"$MQ" verify "$MQ_STORE_PATH" > "$TMP/verify" 2>&1
expect_grep "the store verifies" ": ok, [0-9]+ rows" "$TMP/verify"
finish
