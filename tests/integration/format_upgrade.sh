#!/usr/bin/env bash
# format_upgrade - a format 2 store (tests/fixtures/format2.mdb: four
# lists, subscribers of every address table, cookies, mlog rows, split
# entries, made by the format 2 mq) opened by today's mq: upgraded to
# format 3 at the first writing open, it gives the answers the format 2
# mq gave (tests/fixtures/format2.answers: listings, issub, checktag,
# status, the split, the log, export ezmlm), verifies and backs up.
# Then 20 upgrades killed with SIGKILL at random moments: each time the
# file verifies as format 2 or as format 3 (verify refuses a store
# holding both layouts), and a later open gives the same answers.
. "$(dirname "$0")/../lib/harness.sh"

FIX=$REPO/tests/fixtures
export MQ_STORE_PATH="$TMP/mq.mdb"

cp "$FIX/format2.mdb" "$MQ_STORE_PATH"
expect_grep "the fixture verifies as format 2" "ok, [0-9]+ rows, format 2" \
	<("$MQ_STATIC" verify 2>&1)
"$FIX/format2_answers.sh" "$MQ" "$MQ_STORE_PATH" > "$TMP/answers"
check "the upgraded store gives the format 2 mq's answers" \
	diff "$FIX/format2.answers" "$TMP/answers"
expect_grep "it is format 3 now" "ok, [0-9]+ rows, format 3" \
	<("$MQ_STATIC" verify 2>&1)
check "mq backup of it" "$MQ_STATIC" backup "$TMP/backup.mdb"
"$FIX/format2_answers.sh" "$MQ_STATIC" "$TMP/backup.mdb" > "$TMP/answers.b"
check "the backup gives the same answers" diff "$FIX/format2.answers" "$TMP/answers.b"

# How long an upgrading open takes here, so that kills land inside one.
cp "$FIX/format2.mdb" "$TMP/timing.mdb"
start=$(date +%s%N)
MQ_STORE_PATH="$TMP/timing.mdb" "$MQ_STATIC" stat > /dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 + 1 ))
echo "# an upgrading open takes ${full_ms} ms"

bad=0 old=0 new=0
for i in $(seq 1 20); do
	rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
	cp "$FIX/format2.mdb" "$MQ_STORE_PATH"
	"$MQ_STATIC" stat > /dev/null 2>&1 &
	pid=$!
	delay_us=$(( (RANDOM * 32768 + RANDOM) % (full_ms * 1000) ))
	sleep "$(printf '0.%06d' "$delay_us")"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! "$MQ_STATIC" verify > "$TMP/verify.out" 2>&1; then
		bad=$((bad + 1))
		echo "# kill $i: verify failed: $(cat "$TMP/verify.out")"
		continue
	fi
	grep -q "format 2$" "$TMP/verify.out" && old=$((old + 1))
	grep -q "format 3$" "$TMP/verify.out" && new=$((new + 1))
	"$FIX/format2_answers.sh" "$MQ_STATIC" "$MQ_STORE_PATH" > "$TMP/answers.k"
	diff -q "$FIX/format2.answers" "$TMP/answers.k" > /dev/null ||
		{ bad=$((bad + 1)); echo "# kill $i: other answers"; }
done
echo "# after the kills: $old stores of format 2, $new of format 3"
expect_eq "every killed upgrade left a store that verifies and answers the same" 0 "$bad"
expect_eq "each of format 2 or 3" 20 $((old + new))
finish
