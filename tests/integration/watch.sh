#!/usr/bin/env bash
# NAME
#	watch.sh - mq watch: committed changes printed as they happen
# DESCRIPTION
#	A running mq watch --json prints a row set by another process
#	within a second, and a delete with its key; --since replays the
#	log, --table keeps one table's records; a list's creation shows
#	its name and nothing of its secret key, and a DKIM private key
#	never appears; a since older than the pruned log exits 1 naming
#	the oldest sequence available; an overflow record is printed and
#	says to resync from a dump; SIGTERM and SIGINT end it with 0, and
#	so does a reader that closes the pipe (mq watch | head -1), even
#	when nothing more commits.

. "$(dirname "$0")/../lib/harness.sh"

export MQ_STORE_PATH=$TMP/mq.mdb MQ_WWW_PORT=0
KEY_TEXT=PRIVATE-KEY-TEXT-NEVER-SHOWN-4711

# seq - the store's sequence now
seq_now() {
	"$MQ" stat | awk '$1 == "sequence" { print $2 }'
}

# wait_for FILE REGEX TENTHS - until a line of FILE matches
wait_for() {
	for _ in $(seq 1 "${3:-50}"); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# watch_bg OUT ARGS... - mq watch in the background; its pid in WATCH
watch_bg() {
	local out=$1
	shift
	"$MQ" watch "$@" > "$out" 2> "$out.err" &
	WATCH=$!
	at_exit "kill $WATCH 2>/dev/null"
}

"$MQ" set locals type=domain address=first.example > /dev/null
START=$(seq_now)
watch_bg "$TMP/live.out" --json --since "$START"
sleep 0.5
"$MQ" set locals type=domain address=live.example > /dev/null
check "a set by another process shows in a running watch within 1 s" \
	wait_for "$TMP/live.out" '"op":"put","table":"locals","key":\{"id":2\},"row":\{"id":2,"type":"domain","address":"live.example"\}' 10
"$MQ" del locals address=live.example > /dev/null
check "a delete shows with its key" \
	wait_for "$TMP/live.out" '^\{"seq":[0-9]+,"op":"del","table":"locals","key":\{"id":2\}\}$' 10
"$MQ" list-create news > /dev/null
"$MQ" set dkim_keys domain=example.org selector=s1 "privatekey=$KEY_TEXT" > /dev/null
check "a list's creation shows its name and nothing else" \
	wait_for "$TMP/live.out" '^\{"seq":[0-9]+,"op":"list-create","table":"news"\}$' 10
check "a DKIM key row shows" \
	wait_for "$TMP/live.out" '"table":"dkim_keys".*"selector":"s1"' 10
kill -TERM "$WATCH"
wait "$WATCH"
expect_eq "SIGTERM ends mq watch with 0" 0 "$?"
expect_no_grep "the private key never shows (json)" "$KEY_TEXT|privatekey" "$TMP/live.out"

timeout 20 "$MQ" watch --since 0 > "$TMP/all.out" 2>&1 &
WATCH=$!
sleep 1
kill -INT "$WATCH"
wait "$WATCH"
expect_eq "SIGINT ends mq watch with 0" 0 "$?"
expect_grep "--since 0 replays the first set as TSV" \
	"^1	put	locals	1	domain	first.example$" "$TMP/all.out"
expect_grep "a delete as TSV: sequence, op, table, key" \
	"^[0-9]+	del	locals	2$" "$TMP/all.out"
expect_no_grep "the private key never shows (TSV)" "$KEY_TEXT" "$TMP/all.out"

timeout 20 "$MQ" watch --since 0 --table dkim_keys --json > "$TMP/dkim.out" 2>&1 &
WATCH=$!
sleep 1
kill -TERM "$WATCH"
wait "$WATCH"
expect_grep "--table keeps that table's records" '"table":"dkim_keys"' "$TMP/dkim.out"
expect_no_grep "and no other table's" '"table":"(locals|news)"' "$TMP/dkim.out"

OUT=$(timeout 20 bash -c '"$0" watch --since 0 | head -1; echo "${PIPESTATUS[0]}"' "$MQ")
expect_eq "a reader closing the pipe ends mq watch with 0" \
	"1	put	locals	1	domain	first.example
0" "$OUT"

expect_status "a bad --since exits 65" 65 "$MQ" watch --since 12x
expect_status "an unknown option exits 64" 64 "$MQ" watch --bogus

# A log of 2 records: what a reader at sequence 0 missed is gone.
export MQ_STORE_PATH=$TMP/small.mdb MQ_CHANGES_KEEP=2
for i in 1 2 3 4 5; do
	"$MQ" set locals type=domain "address=d$i.example" > /dev/null
done
expect_status "a since older than the log exits 1" 1 "$MQ" watch --since 0
expect_grep "naming the oldest sequence available" \
	"oldest sequence available is 4" "$TMP/last.out"

BEFORE=$(seq_now)
printf 'type\taddress\ndomain\tx1.example\ndomain\tx2.example\ndomain\tx3.example\n' |
	"$MQ" set locals - > /dev/null
timeout 20 "$MQ" watch --since "$BEFORE" > "$TMP/over.out" 2> "$TMP/over.err" &
WATCH=$!
sleep 1
kill -TERM "$WATCH"
wait "$WATCH"
expect_grep "a transaction beyond changes-keep shows as an overflow" \
	"^$((BEFORE + 1))	overflow	$" "$TMP/over.out"
expect_grep "saying the reader must resync from a dump" \
	"resync from a dump" "$TMP/over.err"
finish
