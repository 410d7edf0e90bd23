#!/usr/bin/env bash
# lists_split - mq split add/del/list/check and mq list --sublist: a
# 12-way split hands every address to exactly one sublist, receipts to
# all; a planted gap is found; domain entries, msgnum windows, notuse,
# the digest split and the listno a sublist logs with.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"

check "list-create" "$MQ" list-create list
awk 'BEGIN { for (i = 0; i < 600; i++) printf "user%d@Host%d.example.%s\n", i, i % 37, (i % 5 ? "org" : "EDU") }' > "$TMP/addrs"
check "subscribe 600" "$MQ" sub list - < "$TMP/addrs"
check "a receipt address" "$MQ" sub list --hash 98 list-return-receipt@main.example
check "a sublist address" "$MQ" sub list --hash 99 sub@host.example
expect_eq "no entries: not split" "list_name: no entries (the list is not split)" "$("$MQ" split check list)"

# Twelve sublists over the hash range 0..52 of every domain.
lo=0
for i in $(seq 1 12); do
	hi=$(( i == 12 ? 52 : lo + 3 ))
	"$MQ" split add list "s$i" --hash-lo "$lo" --hash-hi "$hi" > /dev/null
	lo=$((hi + 1))
done
expect_eq "twelve entries listed" "12" "$("$MQ" split list list | tail -n +2 | wc -l)"
expect_eq "check: no gaps" "list_name: 12 entries, no gaps" "$("$MQ" split check list)"
: > "$TMP/union"
for i in $(seq 1 12); do
	"$MQ" list list --sublist "s$i" --msgnum 7 > "$TMP/s$i"
	tail -n 1 "$TMP/s$i" | grep -qx list-return-receipt@main.example || fail "s$i: the receipt comes last"
	grep -v return-receipt "$TMP/s$i" >> "$TMP/union"
done
expect_eq "the 12 sublists partition the list" "$("$MQ" list list | grep -v return-receipt | sort)" "$(sort "$TMP/union")"
expect_eq "no address twice" "600" "$(sort -u "$TMP/union" | wc -l)"
expect_no_grep "no sublist address is sent to" "sub@host" "$TMP/union"

# A domain entry takes its domain away from the empty-domain entries.
check "an edu entry" "$MQ" split add list edu --domain EDU
expect_eq "check: the edu domain is covered" "list_name: 13 entries, no gaps" "$("$MQ" split check list)"
"$MQ" list list --sublist edu --msgnum 7 | grep -v return-receipt > "$TMP/edu"
expect_eq "edu takes exactly the .edu addresses" "$(grep -ci '\.edu$' "$TMP/addrs")" "$(grep -c '\.edu$' "$TMP/edu")"
expect_eq "and nothing else" "$(wc -l < "$TMP/edu")" "$(grep -c '\.edu$' "$TMP/edu")"
expect_eq "the others hand out no .edu address" "0" "$("$MQ" list list --sublist s1 --msgnum 7 | grep -c '\.edu$')"

# A planted gap: drop s5; check names its hash range, exits 65.
s5=$("$MQ" split list list | awk -F'\t' '$2 == "s5" { print $1 }')
check "split del" "$MQ" split del list "$s5"
expect_status "check finds the gap: exit 65" 65 "$MQ" split check list
expect_grep "it names domain, hashes and messages" "^list_name: gap: domain '' hash 16-19, messages 0-4294967295$" "$TMP/last.out"
expect_status "del of a missing entry: exit 1" 1 "$MQ" split del list "$s5"
check "fill it, inactive" "$MQ" split add list s5 --hash-lo 16 --hash-hi 19 --notuse
expect_status "a notuse entry does not fill a gap" 65 "$MQ" split check list
new=$("$MQ" split add list s5 --hash-lo 16 --hash-hi 19 --msgnum-lo 100 | sed -n 's/^list_name: listno=//p')
expect_eq "fill it, from message 100 on: a new listno" "$((s5 + 10))" "$new"
expect_status "the gap stays for messages 0-99" 65 "$MQ" split check list
expect_grep "it names those messages" "hash 16-19, messages 0-99$" "$TMP/last.out"
expect_status "s5 has no active entry for message 99: exit 1" 1 "$MQ" list list --sublist s5 --msgnum 99
expect_eq "s5 logs with its active entry's listno" "$new" "$("$MQ" list list --sublist s5 --msgnum 100 --listno)"

# The digest split is separate.
"$MQ" sub list --digest d1@x.org d2@y.org > /dev/null
check "digest entry" "$MQ" split add list dsub --digest
expect_eq "digest sublist" "d1@x.org d2@y.org" "$("$MQ" list list --digest --sublist dsub --msgnum 1 | sort | tr '\n' ' ' | sed 's/ $//')"
expect_status "main split has no dsub" 1 "$MQ" list list --sublist dsub --msgnum 1

# Bad input is refused and changes nothing.
expect_status "hash above 52: usage" 64 "$MQ" split add list x --hash-hi 53
expect_status "low above high: usage" 64 "$MQ" split add list x --hash-lo 9 --hash-hi 3
expect_status "a domain of 4 letters: usage" 64 "$MQ" split add list x --domain home
expect_grep "it says what a domain is" "first 1 to 3 letters" "$TMP/last.out"
expect_status "--sublist without --msgnum: usage" 64 "$MQ" list list --sublist s1
expect_status "no such list: 65" 65 "$MQ" split check nolist
expect_grep "split --help" "^usage: mq split" <("$MQ" split --help)

"$MQ" verify "$MQ_STORE_PATH" > "$TMP/verify" 2>&1
expect_grep "the store verifies" ": ok, [0-9]+ rows" "$TMP/verify"
finish
