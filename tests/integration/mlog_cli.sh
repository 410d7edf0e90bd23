#!/usr/bin/env bash
# mlog_cli - mq cookie, checktag, mlog and status on a list whose key is
# known: cookies equal ezmlm-idx's (the vector of the first line of
# tests/unit/cookie_cases.txt, computed outside mq), checktag refuses a
# wrong cookie and a message already done for a listno, mlog keeps the
# first row, status shows the delays of planted rows.
. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH="$TMP/mq.mdb"
seq_of() { "$MQ" stat | awk '$1 == "sequence" { print $2 }'; }

# A list with the key "secret key\n": an ezmlm directory holding only it.
mkdir -p "$TMP/t/subscribers"
printf 'secret key\n' > "$TMP/t/key"
check "list t with a known key" "$MQ" import ezmlm "$TMP/t"

# Cookies (key "secret key\n", message 1, sender alice@example.org, 'm').
expect_eq "cookie equals ezmlm-idx's" "cbfphbcpldmfnjcheocb" \
	"$("$MQ" cookie t 1 alice@example.org)"
expect_eq "cookie of message 12345 from Bob.Smith@Example.COM" \
	"jddhjcgacmfjdadjoaje" "$("$MQ" cookie t 12345 Bob.Smith@Example.COM)"
expect_eq "it is stored in t_cookie" "cbfphbcpldmfnjcheocb" \
	"$("$MQ" get t_cookie msgnum=1 | awk -F'\t' 'NR == 2 { print $3 }')"
expect_eq "the same message again: the same cookie" "cbfphbcpldmfnjcheocb" \
	"$("$MQ" cookie t 1 alice@example.org)"
seq0=$(seq_of)
expect_status "another sender for message 1: refused" 65 "$MQ" cookie t 1 mallory@example.org
expect_grep "it says the first stays" "t_cookie: message 1 has another cookie" "$TMP/last.out"
expect_eq "nothing written" "$seq0" "$(seq_of)"
check "digest cookie" "$MQ" cookie t 1 alice@example.org --digest --chunk 3 --bodysize 1000
expect_eq "in t_digest_cookie with chunk and bodysize" "3 1000" \
	"$("$MQ" get t_digest_cookie msgnum=1 | awk -F'\t' 'NR == 2 { print $4, $5 }')"
expect_status "cookie of a missing list: exit 1" 1 "$MQ" cookie nolist 1 a@b
expect_status "message number 0: exit 65" 65 "$MQ" cookie t 0 a@b
expect_status "message number x: exit 65" 65 "$MQ" cookie t x a@b
expect_status "missing sender: usage" 64 "$MQ" cookie t 1

# checktag
check "the right cookie passes" "$MQ" checktag t 1 cbfphbcpldmfnjcheocb
expect_status "a wrong cookie: exit 1" 1 "$MQ" checktag t 1 cbfphbcpldmfnjcheocc
expect_grep "it says so" "message 1: wrong cookie" "$TMP/last.out"
expect_status "a message without cookie: exit 1" 1 "$MQ" checktag t 2 cbfphbcpldmfnjcheocb
expect_grep "it says so" "no cookie stored for message 2" "$TMP/last.out"
check "listno 3 without log: passes" "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --listno 3
check "arrival at listno 3" "$MQ" mlog t 1 3 0
check "bounce at listno 3" "$MQ" mlog t 1 3 -1
check "arrival and bounce only: passes" "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --listno 3
check "processed at listno 3" "$MQ" mlog t 1 3 1 --subs 40
expect_status "processed: refused at listno 3" 1 "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --listno 3
expect_grep "it names the listno" "already processed or received by list number 3" "$TMP/last.out"
check "another listno passes" "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --listno 4
check "receipt at listno 5" "$MQ" mlog t 1 5 2
expect_status "receipt: refused at listno 5" 1 "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --listno 5
expect_status "a wrong cookie is refused before the log" 1 "$MQ" checktag t 1 aaaaaaaaaaaaaaaaaaaa --listno 4

# --sublist: the lowest listno of the sublist's entries active for the message.
"$MQ" split add t s1@lists.example --msgnum-lo 1 --msgnum-hi 1 > "$TMP/e1"
"$MQ" split add t s1@lists.example --hash-lo 0 --hash-hi 20 > "$TMP/e2"
l1=$(sed 's/.*listno=//' "$TMP/e1"); l2=$(sed 's/.*listno=//' "$TMP/e2")
check "sublist s1 before it processed message 1" "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --sublist s1@lists.example
check "s1 logs processed with its lowest listno $l1" "$MQ" mlog t 1 "$l1" 1
expect_status "then --sublist s1 refuses message 1" 1 "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --sublist s1@lists.example
expect_grep "naming listno $l1" "list number $l1 " "$TMP/last.out"
check "message 12345 is not done for s1 (listno $l2 there)" "$MQ" checktag t 12345 jddhjcgacmfjdadjoaje --sublist s1@lists.example
expect_status "a sublist without an active entry: exit 1" 1 "$MQ" checktag t 1 cbfphbcpldmfnjcheocb --sublist nosuch@lists.example
expect_grep "it says so" "sublist nosuch@lists.example has no entry active for message 1" "$TMP/last.out"
expect_status "--sublist and --listno together: usage" 64 "$MQ" checktag t 1 x --sublist a --listno 3

# mlog: the first row per (listno, msgnum, done) stays.
expect_eq "a duplicate is ignored" "already logged" "$("$MQ" mlog t 1 3 1 --subs 99)"
expect_eq "the first row stays" "40" \
	"$("$MQ" get t_mlog listno=3 msgnum=1 done=1 | awk -F'\t' 'NR == 2 { print $4 }')"
expect_status "a code that is not an integer: exit 65" 65 "$MQ" mlog t 1 3 x
expect_status "a bad time: exit 65" 65 "$MQ" mlog t 1 3 7 --tai yesterday
expect_status "mlog of a missing list: exit 1" 1 "$MQ" mlog nolist 1 3 0

# status: planted rows for message 20 at the main list (0) and two sublists.
check "sublist name" "$MQ" set t_name listno=7 name=sub7@lists.example
"$MQ" mlog t 20 0 0 --tai "2026-03-01 10:00:00" > /dev/null
"$MQ" mlog t 20 0 1 --tai "2026-03-01 10:00:03" > /dev/null
"$MQ" mlog t 20 7 0 --tai "2026-03-01 10:00:08" > /dev/null
"$MQ" mlog t 20 7 1 --tai "2026-03-01 10:00:15" > /dev/null
"$MQ" mlog t 20 7 2 --tai "2026-03-01 10:02:15" > /dev/null
"$MQ" mlog t 20 8 0 --tai "2026-03-01 10:00:04" > /dev/null
"$MQ" mlog t 20 8 -1 --tai "2026-03-01 11:30:04" > /dev/null
"$MQ" mlog t 19 7 0 --tai "2026-03-01 09:00:00" > /dev/null
"$MQ" status t -n 1 > "$TMP/status"
expect_grep "status has a header" "^msgnum +listno +sublist +arrival +processed +receipt +bounce" "$TMP/status"
expect_grep "listno 7: name, times and the delays 5s, 7s, 2m00s" \
	"^20 +7 +sub7@lists.example +2026-03-01 10:00:08 +2026-03-01 10:00:15 +2026-03-01 10:02:15 +- +5s +7s +2m00s$" "$TMP/status"
expect_grep "listno 8: bounce time, delay 1s" \
	"^20 +8 +\? +2026-03-01 10:00:04 +- +- +2026-03-01 11:30:04 +1s +- +-$" "$TMP/status"
expect_grep "the main list as listno 0" "^20 +0 +\(main\) +2026-03-01 10:00:00 +2026-03-01 10:00:03" "$TMP/status"
expect_no_grep "-n 1: only the last message" "^19 " "$TMP/status"
"$MQ" status t > "$TMP/status10"
expect_grep "default: the last 10 messages" "^19 +7 " "$TMP/status10"
"$MQ" status t -n 1 --json > "$TMP/status.json"
expect_grep "JSON has the delays in seconds" '"main_to_arrival": 5\.0' "$TMP/status.json"
expect_grep "JSON has missing events as null" '"bounce": null' "$TMP/status.json"
expect_status "status -n 0: usage" 64 "$MQ" status t -n 0
expect_status "status of a missing list: exit 1" 1 "$MQ" status nolist

# status reads ezmlm-idx 7's codes too: 1 tagged (arrival at the main
# list), 4 sent by a list, 3 accepted and sent by a sublist (list number
# hash_lo + 1), 5 receipt, -1 bounce.  Message 31, only tagged, takes the
# vocabulary of the rows around it.
"$MQ" mlog t 30 0 1 --tai "2026-03-02 10:00:00" > /dev/null
"$MQ" mlog t 30 0 4 --tai "2026-03-02 10:00:02" > /dev/null
"$MQ" mlog t 30 11 3 --tai "2026-03-02 10:00:06" > /dev/null
"$MQ" mlog t 30 11 5 --tai "2026-03-02 10:01:06" > /dev/null
"$MQ" mlog t 30 21 -1 --tai "2026-03-02 10:03:00" > /dev/null
"$MQ" mlog t 31 0 1 --tai "2026-03-02 10:05:00" > /dev/null
"$MQ" status t -n 2 > "$TMP/status7"
expect_grep "ezmlm-idx 7: the main list tagged (1) and sent (4) it" \
	"^30 +0 +\(main\) +2026-03-02 10:00:00 +2026-03-02 10:00:02 +- +- +- +2s +-$" "$TMP/status7"
expect_grep "ezmlm-idx 7: a sublist sent it (3), its receipt (5)" \
	"^30 +11 +\? +- +2026-03-02 10:00:06 +2026-03-02 10:01:06 +- +- +- +1m00s$" "$TMP/status7"
expect_grep "ezmlm-idx 7: a bounce (-1)" "^30 +21 +\? +- +- +- +2026-03-02 10:03:00 " "$TMP/status7"
expect_grep "ezmlm-idx 7: a message only tagged has arrived" \
	"^31 +0 +\(main\) +2026-03-02 10:05:00 +- " "$TMP/status7"
"$MQ" status t -n 3 > "$TMP/status7"
expect_grep "the seed's codes stay the seed's beside them" \
	"^20 +7 +sub7@lists.example +2026-03-01 10:00:08 +2026-03-01 10:00:15 +2026-03-01 10:02:15 " "$TMP/status7"

# SQL authoritative but unreachable: exit 75, no password shown, nothing written.
expect_status "cookie with SQL unreachable: exit 75" 75 \
	env MQ_DATABASE_ADDRESS=postgresql://u:sekrit@127.0.0.1:1/db "$MQ" cookie t 77 a@b.example
expect_no_grep "the password is not shown" "sekrit" "$TMP/last.out"
expect_status "mlog with SQL unreachable: exit 75" 75 \
	env MQ_DATABASE_ADDRESS=postgresql://u:sekrit@127.0.0.1:1/db "$MQ" mlog t 77 1 0
expect_status "nothing written to the store" 1 "$MQ" get t_cookie msgnum=77
expect_status "nor to the log" 1 "$MQ" get t_mlog msgnum=77

for c in cookie checktag mlog status; do
	"$MQ" "$c" --help > "$TMP/help"
	expect_grep "$c --help" "^usage: mq $c" "$TMP/help"
done
check "status of a list with no messages yet" "$MQ" list-create quiet
check "answers an empty JSON array" "$MQ" status quiet --json
expect_grep "that is []" "^\[\]$" "$TMP/last.out"
finish
