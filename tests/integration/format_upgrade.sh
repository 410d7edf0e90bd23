#!/usr/bin/env bash
# format_upgrade - stores of older formats opened by today's mq (format
# 5): tests/fixtures/format2.mdb (four lists, subscribers of every
# address table, cookies, mlog rows, split entries, made by the format 2
# mq), tests/fixtures/format3.mdb (the same plus addresses with
# capitals in every address table and a domain-wide entry, made by the
# format 3 mq) and tests/fixtures/format4.mdb (the same plus cookies and
# log entries of many messages, some deleted again, made by the format
# 4 mq).  Each is upgraded to format 5 at the first writing open (tag
# records built from the cookie and log tables) and gives the answers
# the mq that made it gave (FIXTURE.answers: listings, issub, checktag,
# status, the split, the log, export ezmlm; format 4's: checktag of 15
# messages at several list numbers, right and wrong cookies), verifies
# (mq verify compares the records with the tables) and backs up.  Then,
# for each, 10 upgrades killed with SIGKILL at random moments (5 for
# format 4, whose answers take longest to ask): each time
# the file verifies as the old format or as format 5 (never between
# them), and a later open gives the same answers.  These upgrades take
# a millisecond of the process's run, so the kills rarely fall inside
# one: tests/unit/upgrade_kill_test.c kills the upgrade of 100,000
# messages inside its transaction.
. "$(dirname "$0")/../lib/harness.sh"

FIX=$REPO/tests/fixtures
export MQ_STORE_PATH="$TMP/mq.mdb"

# upgrade_once FORMAT - the fixture of FORMAT upgraded, its answers kept.
upgrade_once() {
	local f=$1
	rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
	cp "$FIX/format$f.mdb" "$MQ_STORE_PATH"
	expect_grep "the format $f fixture verifies as format $f" \
		"ok, [0-9]+ rows, format $f" <("$MQ_STATIC" verify 2>&1)
	"$FIX/format${f}_answers.sh" "$MQ" "$MQ_STORE_PATH" > "$TMP/answers"
	check "the upgraded format $f store gives the format $f mq's answers" \
		diff "$FIX/format$f.answers" "$TMP/answers"
	expect_grep "it is format 5 now" "ok, [0-9]+ rows, format 5" \
		<("$MQ_STATIC" verify 2>&1)
	rm -f "$TMP/backup.mdb"
	check "mq backup of it" "$MQ_STATIC" backup "$TMP/backup.mdb"
	"$FIX/format${f}_answers.sh" "$MQ_STATIC" "$TMP/backup.mdb" > "$TMP/answers.b"
	check "the backup gives the same answers" diff "$FIX/format$f.answers" "$TMP/answers.b"
}

# upgrade_killed FORMAT N - N upgrades of its fixture killed at random.
upgrade_killed() {
	local f=$1 kills=$2 bad=0 old=0 new=0 start full_ms pid delay_us
	# How long an upgrading open takes here, so that kills land inside one.
	cp "$FIX/format$f.mdb" "$TMP/timing.mdb"
	rm -f "$TMP/timing.mdb-lock"
	start=$(date +%s%N)
	MQ_STORE_PATH="$TMP/timing.mdb" "$MQ_STATIC" stat > /dev/null
	full_ms=$(( ($(date +%s%N) - start) / 1000000 + 1 ))
	echo "# an upgrading open of format $f takes ${full_ms} ms"
	for i in $(seq 1 "$kills"); do
		rm -f "$MQ_STORE_PATH" "$MQ_STORE_PATH-lock"
		cp "$FIX/format$f.mdb" "$MQ_STORE_PATH"
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
		grep -q "format $f$" "$TMP/verify.out" && old=$((old + 1))
		grep -q "format 5$" "$TMP/verify.out" && new=$((new + 1))
		"$FIX/format${f}_answers.sh" "$MQ_STATIC" "$MQ_STORE_PATH" > "$TMP/answers.k"
		diff -q "$FIX/format$f.answers" "$TMP/answers.k" > /dev/null ||
			{ bad=$((bad + 1)); echo "# kill $i: other answers"; }
	done
	echo "# after the kills: $old stores of format $f, $new of format 5"
	expect_eq "every killed upgrade of format $f left a store that verifies and answers the same" 0 "$bad"
	expect_eq "each of format $f or 5" "$kills" $((old + new))
}

upgrade_once 2
upgrade_once 3
upgrade_once 4

upgrade_killed 2 10
upgrade_killed 3 10
upgrade_killed 4 5
finish
